"""Open exemption applications' deadlines after a calendar change (registered with
``qinqing.common.deadline_recompute``; docs/deadlines.md, "When the calendar changes").

The running deadline of each stage is computed again from the moment the stage began, on the
calendar as it is now: acceptance from the submission, the decision from the acceptance, the
applicant's appeal from the decision (until they appeal), the appeal's review from the
appeal. Only what differs is written, with an audit entry that carries the sentence
("因2027年节假日安排调整，决定期限由…调整为…"); the people who owe the step are told (the
region's supervisors, the assessor, or for the appeal deadline the applicant).

A breach stays: the sweep flags every application already past a deadline first, and
``overdue_stage`` is never cleared here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.deadline_recompute import moved_note
from qinqing.common.workdays import SHANGHAI, WorkingCalendar, end_of_day

from .models import Application
from .workflow import State

register("exemption.deadline_recompute", _l("节假日调整容错免责期限"))

LABELS = {
    "accept_due_at": _l("受理期限"),
    "decide_due_at": _l("决定期限"),
    "appeal_due_at": _l("申诉期限"),
    "appeal_decide_due_at": _l("申诉复查期限"),
}
#: deadline -> (the moment its stage began, the stage's working days, the states it runs in)
CLOCKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "accept_due_at": ("submitted_at", "accept", (State.SUBMITTED,)),
    "decide_due_at": ("accepted_at", "decide", (State.ACCEPTED, State.ASSESSED)),
    "appeal_due_at": ("decided_at", "appeal", (State.DECIDED,)),
    "appeal_decide_due_at": ("appealed_at", "appeal_decide", (State.APPEALED,)),
}
BATCH = 500


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def expected_deadlines(application: Application, calendar: WorkingCalendar) -> dict[str, datetime]:
    """The running deadlines of ``application`` computed from their stage's start."""
    from .services import deadline_days

    result: dict[str, datetime] = {}
    for field, (start_field, stage, states) in CLOCKS.items():
        start = getattr(application, start_field)
        if application.state not in states or start is None or getattr(application, field) is None:
            continue
        if field == "appeal_due_at" and application.appealed_at is not None:
            continue
        result[field] = calendar.deadline_after(start, deadline_days(stage))
    return result


def _candidates(first: date, last: date) -> Any:
    since = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI)
    crosses = Q()
    for field, (start_field, _stage, states) in CLOCKS.items():
        crosses |= Q(
            state__in=states,
            **{f"{field}__gte": since, f"{start_field}__lte": end_of_day(last)},
        )
    return Application.objects.filter(crosses).order_by("pk")


def recompute_deadlines(
    *, first: date, last: date, years: list[int], actor_id: int | None = None
) -> dict[str, int]:
    """Recompute the running deadlines the days ``first``..``last`` may move; idempotent."""
    from .services import sweep_deadlines
    from .tasks import notify_exemption_deadlines

    now = timezone.now()
    sweep_deadlines(now)  # flag every breach under the calendar it happened on
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
            for application in batch:
                counts["checked"] += 1
                moved = {
                    field: (getattr(application, field), due)
                    for field, due in expected_deadlines(application, calendar).items()
                    if getattr(application, field) != due
                }
                if not moved:
                    continue
                for field, (_before, after) in moved.items():
                    setattr(application, field, after)
                application.save(update_fields=[*moved, "updated_at"])
                note = moved_note(years, moved, LABELS, now)
                record(
                    actor=None,
                    action="exemption.deadline_recompute",
                    obj=application,
                    with_client=False,
                    changes={
                        "message": note,
                        "years": years,
                        "triggered_by": actor_id,
                        "overdue_stage": application.overdue_stage,
                        **{
                            field: [_iso(before), _iso(after)]
                            for field, (before, after) in moved.items()
                        },
                    },
                )
                pk = application.pk
                key = "|".join(f"{f}:{_iso(a)}" for f, (_b, a) in moved.items())
                fields = list(moved)
                transaction.on_commit(
                    partial(notify_exemption_deadlines.enqueue, pk, note, key, fields)
                )
                counts["moved"] += 1
    return dict(counts)
