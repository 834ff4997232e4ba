"""Background jobs for demands (run by the task worker)."""

from __future__ import annotations

from django_tasks import task

from .services import sweep_deadlines


@task()
def sweep_demand_deadlines() -> dict[str, int]:
    """Every few minutes: 80 % reminders, escalation at breach, auto-close of unrated replies."""
    return sweep_deadlines()


@task()
def notify_demand_event(event_id: int) -> int:
    """Tell the people concerned about one step of a case (inbox, email; idempotent)."""
    from qinqing.inbox.services import deliver

    from .models import DemandEvent
    from .notifications import message_for, recipients

    event = DemandEvent.objects.select_related("demand").filter(pk=event_id).first()
    if event is None:
        return 0
    title, body, link = message_for(event)
    return deliver(
        users=recipients(event),
        title=title,
        body=body,
        link=link,
        source=f"demands.event:{event.pk}",
        sms=event.action in ("escalate",),
    )
