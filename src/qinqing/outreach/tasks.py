"""Background jobs for meetings (run by the task worker; each one idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_meeting_reminders() -> int:
    """Every hour: remind invitees of meetings starting within a day (each invitation once)."""
    from .meetings import send_reminders

    return send_reminders()


@task()
def notify_meeting(kind: str, pk: int) -> int:
    """Tell the people concerned about an invitation, a seat, a change or an item."""
    from .meetings import notify

    return notify(kind, pk)


@task()
def notify_follow_up_day_off(follow_up_id: int, note: str) -> int:
    """Tell a follow-up's owner and department that its date became a day off (once)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from qinqing.inbox.services import deliver

    from .meetings import handlers_of
    from .models import FollowUp

    follow_up = FollowUp.objects.select_related("owner").filter(pk=follow_up_id).first()
    if follow_up is None:
        return 0
    people = [follow_up.owner] if follow_up.owner is not None else []
    if follow_up.department_id is not None:
        people.extend(handlers_of(follow_up.department_id))
    return deliver(
        users=people,
        title=_("会议事项期限逢休息日：%(t)s") % {"t": follow_up.title},
        body=note,
        link=reverse("outreach:meetings:follow_ups"),
        source=f"outreach.follow_up.day_off:{follow_up.pk}:{follow_up.due_on.isoformat()}",
    )
