"""Background jobs of the common app: the recompute of open deadlines after a calendar change."""

from __future__ import annotations

import logging
from datetime import date

from django_tasks import task

from . import deadline_recompute

logger = logging.getLogger("qinqing.deadlines")


@task()
def recompute_domain_deadlines(
    name: str, first: str, last: str, years: list[int], actor_id: int | None
) -> dict[str, int]:
    """Recompute one domain's open deadlines for days changed between ``first`` and ``last``
    (ISO dates); idempotent, so a retried or repeated job changes nothing more."""
    counts = deadline_recompute.recompute_function(name)(
        first=date.fromisoformat(first),
        last=date.fromisoformat(last),
        years=list(years),
        actor_id=actor_id,
    )
    logger.info("deadlines recomputed: %s %s", name, counts)
    return counts
