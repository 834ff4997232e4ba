"""Background jobs for demands (run by the task worker)."""

from __future__ import annotations

from django_tasks import task

from .services import sweep_deadlines


@task()
def sweep_demand_deadlines() -> dict[str, int]:
    """Every few minutes: 80 % reminders, escalation at breach, auto-close of unrated replies."""
    return sweep_deadlines()
