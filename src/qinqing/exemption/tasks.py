"""Background jobs of exemption: notifications and the deadline sweep."""

from __future__ import annotations

from django.urls import reverse
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


@task()
def notify_exemption_deadlines(application_id: int, note: str, key: str, fields: list[str]) -> int:
    """Tell who owes the next step that a holiday schedule moved its deadline (idempotent per
    new deadline)."""
    import hashlib

    from django.utils.translation import gettext as _

    from qinqing.inbox.services import deliver

    from .models import Application
    from .notifications import deadline_recipients

    application = (
        Application.objects.select_related("applicant", "filed_by", "assessor")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return deliver(
        users=deadline_recipients(application, fields),
        title=f"{application.number} " + _("容错免责期限调整") + f"：{application.matter}",
        body=note,
        link=reverse("exemption:detail", args=[application.pk]),
        source=f"exemption.deadline:{application.pk}:{digest}",
    )
