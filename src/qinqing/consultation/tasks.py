"""Background jobs of surveys (run by the task worker; each one idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_survey_published(survey_id: int) -> int:
    """Tell the users of the firms addressed that a survey awaits them (in-app, email)."""
    from .services import notify_published

    return notify_published(survey_id)


@task()
def send_survey_reminders() -> int:
    """Every hour: close surveys past their date; remind firms that have not answered,
    ``reminder_days`` working days before the close, once per survey."""
    from .services import send_reminders

    return send_reminders()
