"""Background jobs of exemption: notifications and the deadline sweep."""

from __future__ import annotations

from django_tasks import task

from .services import sweep_deadlines


@task()
def sweep_exemption_deadlines() -> dict[str, int]:
    """Every hour or so: flag applications past a deadline and tell the supervisors."""
    return sweep_deadlines()


@task()
def notify_exemption(application_id: int, action: str) -> int:
    """Tell the people concerned about one step of an application (idempotent)."""
    from qinqing.inbox.services import deliver

    from .models import Application
    from .notifications import message_for, recipients

    application = (
        Application.objects.select_related("applicant", "filed_by")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    title, body, link = message_for(application, action)
    return deliver(
        users=recipients(application, action),
        title=title,
        body=body,
        link=link,
        source=f"exemption:{application.pk}:{action}:{application.version}",
    )
