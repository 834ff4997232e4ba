"""Background jobs of 协同监测 (idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_emergency_reminders() -> int:
    """Hourly: remind firms that have not reported this period, after the reminder hour."""
    from .services import send_reminders

    return send_reminders()
