"""Background jobs of reports: the deadline sweep (idempotent)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def sweep_report_deadlines() -> int:
    return services.sweep_deadlines()
