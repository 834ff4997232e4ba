"""Open demands' deadlines after a calendar change (registered with
``qinqing.common.deadline_recompute``; docs/deadlines.md, "When the calendar changes").

Each open timer is computed again from its start with the calendar as it is now, the way the
services computed it:

- acceptance: ``acceptance_days`` after the (last) dispatch, or the submission, while not
  accepted;
- first response: ``response_days`` after the submission, while nobody has responded;
- resolution: ``resolution_days`` after the submission, plus every approved extension, plus
  the working days of every finished pause (请企业补充材料 → 继续办理, counted again on the
  new calendar), while the case is being handled or waits for the firm.

Only what differs is written: one timeline event per case ("因2027年节假日安排调整，办结期限由…
调整为…"), one audit entry, and the firm and the department are told. A breach is never
undone: the sweep runs first, so a deadline already passed is escalated under the rule in
force when it passed, and ``escalated_at`` stays when the new deadline lies ahead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from qinqing.audit.actions import register
from qinqing.common.deadline_recompute import moved_note
from qinqing.common.workdays import SHANGHAI, WorkingCalendar, end_of_day

from .models import Demand, DemandEvent, Extension
from .services import _audit, _event, sweep_deadlines
from .workflow import Action, State

register("demand.deadline_recompute", _l("节假日调整期限"))

#: the states whose acceptance timer runs
ACCEPT_STATES = [State.SUBMITTED, State.DISPATCHED]
#: the states whose first-response timer runs (while nobody has responded)
RESPONSE_STATES = [
    State.SUBMITTED,
    State.DISPATCHED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.WAITING_FIRM,
]
#: the states whose resolution timer runs or is paused
RESOLVE_STATES = RESPONSE_STATES

LABELS = {
    "accept_due_at": _l("受理期限"),
    "response_due_at": _l("响应期限"),
    "resolve_due_at": _l("办结期限"),
}

#: cases read and locked per transaction
BATCH = 500


def _day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def _paused_working_days(
    calendar: WorkingCalendar, events: Iterable[DemandEvent]
) -> tuple[int, datetime | None]:
    """The working days of every finished pause, and the start of a pause still running."""
    total, started = 0, None
    for event in events:
        if event.action == Action.WAIT_FIRM:
            started = event.created_at
        elif event.action == Action.RESUME and started is not None:
            total += calendar.working_days_between(started, event.created_at)
            started = None
    return total, started


def expected_deadlines(demand: Demand, calendar: WorkingCalendar) -> dict[str, datetime]:
    """The open timers of ``demand`` computed from their start on ``calendar``.

    Needs ``category``, ``approved_days`` (the approved extensions' working days) and the
    prefetched ``pauses`` (``_candidates`` and ``with_extensions``).
    """
    category = demand.category
    result: dict[str, datetime] = {}
    if (
        demand.state in ACCEPT_STATES
        and demand.accepted_at is None
        and demand.accept_due_at is not None
    ):
        start = demand.dispatched_at or demand.submitted_at
        result["accept_due_at"] = calendar.deadline_after(start, category.acceptance_days)
    if (
        demand.state in RESPONSE_STATES
        and demand.first_response_at is None
        and demand.response_due_at is not None
    ):
        result["response_due_at"] = calendar.deadline_after(
            demand.submitted_at, category.response_days
        )
    if demand.state in RESOLVE_STATES and demand.resolve_due_at is not None:
        paused, _running = _paused_working_days(calendar, getattr(demand, "pauses", []))
        days = category.resolution_days + int(getattr(demand, "approved_days", 0) or 0) + paused
        result["resolve_due_at"] = end_of_day(
            calendar.working_days_after(_day(demand.submitted_at), days)
        )
    return result


def _candidates(first: date, last: date) -> Any:
    """Open cases with a timer that may cross a changed day: started before the last changed
    day and due on or after the first (set-based; the calendar walk does the rest)."""
    since = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI)
    until = end_of_day(last)
    crosses = (
        Q(accept_due_at__gte=since, state__in=ACCEPT_STATES, accepted_at__isnull=True)
        | Q(response_due_at__gte=since, state__in=RESPONSE_STATES, first_response_at__isnull=True)
        | Q(resolve_due_at__gte=since, state__in=RESOLVE_STATES)
    )
    return (
        Demand.objects.filter(crosses, submitted_at__lte=until)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DemandEvent.objects.filter(
                    action__in=[Action.WAIT_FIRM, Action.RESUME]
                ).order_by("created_at", "pk"),
                to_attr="pauses",
            )
        )
        .order_by("pk")
    )


def with_extensions(demands: list[Demand]) -> list[Demand]:
    """Set ``approved_days`` on each case: its approved extensions' days, in one query."""
    days = dict(
        Extension.objects.filter(
            demand_id__in=[d.pk for d in demands], status=Extension.Status.APPROVED
        )
        .values("demand_id")
        .annotate(total=Sum("days"))
        .values_list("demand_id", "total")
    )
    for demand in demands:
        demand.approved_days = days.get(demand.pk, 0)  # type: ignore[attr-defined]
    return demands


def recompute_deadlines(
    *, first: date, last: date, years: list[int], actor_id: int | None = None
) -> dict[str, int]:
    """Recompute the open timers the days ``first``..``last`` may move; idempotent."""
    now = timezone.now()
    sweep_deadlines(now=now)  # record every breach under the calendar it happened on
    calendar = WorkingCalendar()
    counts: dict[str, int] = defaultdict(int)
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                _candidates(first, last)
                .filter(pk__gt=last_pk)
                .select_for_update(of=("self",))[:BATCH]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            with_extensions(batch)
            for demand in batch:
                counts["checked"] += 1
                moved = {
                    field: (getattr(demand, field), due)
                    for field, due in expected_deadlines(demand, calendar).items()
                    if getattr(demand, field) != due
                }
                if not moved:
                    continue
                for field, (_before, after) in moved.items():
                    setattr(demand, field, after)
                demand.save(update_fields=[*moved, "updated_at"])
                note = moved_note(years, moved, LABELS, now)
                _event(
                    demand, actor=None, action="deadline_recompute", before=demand.state, note=note
                )
                _audit(
                    None,
                    "demand.deadline_recompute",
                    demand,
                    years=years,
                    triggered_by=actor_id,
                    escalated_at=_iso(demand.escalated_at) if demand.escalated_at else None,
                    **{
                        field: [_iso(before), _iso(after)]
                        for field, (before, after) in moved.items()
                    },
                )
                counts["moved"] += 1
                counts.update({field: counts[field] + 1 for field in moved})
    return dict(counts)


__all__ = ["expected_deadlines", "recompute_deadlines"]
