"""Background jobs of 供需对接 (each one idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_match(match_id: int, event: str) -> int:
    """Tell both firms about a proposal, a confirmation or a cancellation."""
    from .services import notify

    return notify(match_id, event)


@task()
def expire_listings() -> int:
    """Daily: listings past their validity become expired; their proposals are cancelled."""
    from .services import expire_listings as expire

    return expire()
