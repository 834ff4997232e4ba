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
