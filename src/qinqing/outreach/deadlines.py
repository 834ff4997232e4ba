"""Meeting follow-ups after a calendar change (registered with
``qinqing.common.deadline_recompute``; docs/deadlines.md, "When the calendar changes").

A follow-up's 完成期限 is a calendar date the organiser chose, not a count of working days,
so it is never moved. When a calendar change turns the date of an open follow-up into a day
off, its owner (and the handlers of its department) are told, once per date and status, and
the audit log keeps the notice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from qinqing.audit.actions import register
from qinqing.audit.models import AuditEntry
from qinqing.audit.services import record
from qinqing.common.deadline_recompute import chinese_date, years_label
from qinqing.common.workdays import WorkingCalendar

from .models import FollowUp

register("outreach.follow_up_day_off", _l("会议事项期限逢休息日提示"))


def recompute_deadlines(
    *, first: date, last: date, years: list[int], actor_id: int | None = None
) -> dict[str, int]:
    """Tell the owners of open follow-ups due on a day that is now a day off; idempotent (each
    follow-up is told once per date)."""
    from .tasks import notify_follow_up_day_off

    calendar = WorkingCalendar()
    calendar.ensure_loaded(first, last)
    counts: dict[str, int] = defaultdict(int)
    open_items = (
        FollowUp.objects.filter(done_at__isnull=True, due_on__gte=first, due_on__lte=last)
        .select_related("meeting")
        .order_by("due_on", "pk")
    )
    items = list(open_items)
    told = {
        (object_id, changes.get("due_on"))
        for object_id, changes in AuditEntry.objects.filter(
            action="outreach.follow_up_day_off",
            object_type=FollowUp._meta.label_lower,
            object_id__in=[str(f.pk) for f in items],
        ).values_list("object_id", "changes")
    }
    for follow_up in items:
        counts["checked"] += 1
        if calendar.is_working_day(follow_up.due_on):
            continue
        if (str(follow_up.pk), follow_up.due_on.isoformat()) in told:
            continue  # told already about this date
        note = _("因%(years)s年节假日安排调整，") % {"years": years_label(years)} + _(
            "会议事项「%(title)s」的完成期限%(due)s为休息日，期限不变，请提前安排。"
        ) % {"title": follow_up.title, "due": chinese_date(follow_up.due_on)}
        with transaction.atomic():
            record(
                actor=None,
                action="outreach.follow_up_day_off",
                obj=follow_up,
                with_client=False,
                changes={"message": note, "due_on": follow_up.due_on.isoformat(), "years": years},
            )
            transaction.on_commit(partial(notify_follow_up_day_off.enqueue, follow_up.pk, note))
        counts["day_off"] += 1
    return dict(counts)
