"""Background jobs of reports: the deadline sweep (idempotent)."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _
from django_tasks import task

from . import services


@task()
def sweep_report_deadlines() -> int:
    return services.sweep_deadlines()


@task()
def notify_report_deadlines(report_id: int, note: str, key: str) -> int:
    """Tell the supervisors of a report that a holiday schedule moved its deadlines: the
    number and the dates only (idempotent per new deadline)."""
    from django.urls import reverse

    from qinqing.inbox.services import deliver

    from .deadlines import recipients
    from .models import Report

    report = Report.objects.filter(pk=report_id).only("pk", "number", "region_path").first()
    if report is None:
        return 0
    return deliver(
        users=recipients(report),
        title=f"{report.number} " + _("举报期限调整"),
        body=note,
        link=reverse("reports:detail", args=[report.pk]),
        source=f"reports.deadline:{report.pk}:{hashlib.sha256(key.encode()).hexdigest()[:24]}",
    )
