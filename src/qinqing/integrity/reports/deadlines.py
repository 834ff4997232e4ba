"""Open reports' deadlines after a calendar change (registered with
``qinqing.common.deadline_recompute``; docs/deadlines.md, "When the calendar changes").

Triage (``REPORTS_TRIAGE_DAYS``) and conclusion (``REPORTS_CONCLUSION_DAYS``) are counted from
the receipt; each running clock is computed again on the calendar as it is now and written
only when it differs. The report's timeline gets a ``deadline_recompute`` step (metadata
only, like every step of a report), the audit entry carries the sentence ("因2027年节假日安排
调整，办结期限由…调整为…"), and the supervisors the report is assigned to (or, before
assignment, the region's supervisors) are told, by number and dates only.

A breach stays: the sweep flags every report already past a deadline first, and ``overdue``
is never cleared here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.deadline_recompute import moved_note
from qinqing.common.workdays import SHANGHAI, WorkingCalendar, end_of_day

from . import conf
from .models import Event, Report
from .workflow import CONCLUSION_CLOCK, TRIAGE_CLOCK

register("report.deadline_recompute", _l("节假日调整举报期限"))

LABELS = {"triage_due_at": _l("初核期限"), "conclusion_due_at": _l("办结期限")}
BATCH = 500


def expected_deadlines(report: Report, calendar: WorkingCalendar) -> dict[str, datetime]:
    """The running clocks of ``report`` computed from its receipt on ``calendar``."""
    result: dict[str, datetime] = {}
    if report.state in TRIAGE_CLOCK:
        result["triage_due_at"] = calendar.deadline_after(
            report.received_at, conf.get("REPORTS_TRIAGE_DAYS")
        )
    if report.state in CONCLUSION_CLOCK:
        result["conclusion_due_at"] = calendar.deadline_after(
            report.received_at, conf.get("REPORTS_CONCLUSION_DAYS")
        )
    return result


def note_for(
    years: list[int], moved: dict[str, tuple[datetime, datetime]], now: datetime, overdue: bool
) -> str:
    note = moved_note(years, moved, LABELS, now)
    if overdue:
        note += "。" + _("该举报已记为逾期，逾期记录保留。")
    return note


def recompute_deadlines(
    *, first: date, last: date, years: list[int], actor_id: int | None = None
) -> dict[str, int]:
    """Recompute the running clocks the days ``first``..``last`` may move; idempotent."""
    from .services import sweep_deadlines
    from .tasks import notify_report_deadlines

    now = timezone.now()
    sweep_deadlines(now=now)  # flag every breach under the calendar it happened on
    calendar = WorkingCalendar()
    since = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI)
    candidates = (
        Report.objects.filter(
            Q(state__in=TRIAGE_CLOCK, triage_due_at__gte=since)
            | Q(state__in=CONCLUSION_CLOCK, conclusion_due_at__gte=since),
            received_at__lte=end_of_day(last),
        )
        .only("pk", "number", "state", "received_at", "triage_due_at", "conclusion_due_at")
        .order_by("pk")
    )
    counts: dict[str, int] = defaultdict(int)
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(candidates.filter(pk__gt=last_pk).select_for_update()[:BATCH])
            if not batch:
                break
            last_pk = batch[-1].pk
            overdue = set(
                Report.objects.filter(pk__in=[r.pk for r in batch], overdue=True).values_list(
                    "pk", flat=True
                )
            )
            for report in batch:
                counts["checked"] += 1
                moved = {
                    field: (getattr(report, field), due)
                    for field, due in expected_deadlines(report, calendar).items()
                    if getattr(report, field) != due
                }
                if not moved:
                    continue
                for field, (_before, after) in moved.items():
                    setattr(report, field, after)
                report.save(update_fields=list(moved))  # never ``overdue``: a breach stays
                note = note_for(years, moved, now, report.pk in overdue)
                Event.objects.create(
                    report=report, action="deadline_recompute", actor=None, created_at=now
                )
                record(
                    actor=None,
                    action="report.deadline_recompute",
                    obj=report,
                    with_client=False,
                    changes={
                        "message": note,
                        "years": years,
                        "triggered_by": actor_id,
                        "overdue": report.pk in overdue,
                        **{
                            field: [_iso(before), _iso(after)]
                            for field, (before, after) in moved.items()
                        },
                    },
                )
                pk, key = report.pk, "|".join(f"{f}:{_iso(a)}" for f, (_b, a) in moved.items())
                transaction.on_commit(partial(notify_report_deadlines.enqueue, pk, note, key))
                counts["moved"] += 1
    return dict(counts)


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def recipients(report: Report) -> list[Any]:
    """The supervisors assigned to ``report``; before assignment, its region's supervisors."""
    from qinqing.accounts.models import Role, RoleAssignment

    assigned = [a.supervisor for a in report.assignments.select_related("supervisor")]
    if assigned:
        return assigned
    parts = [p for p in report.region_path.strip("/").split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.SUPERVISOR, region__path__in=ancestors
        ).select_related("user")
    ]
