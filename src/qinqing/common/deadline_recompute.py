"""Open deadlines follow the calendar: when the working status of days changes (a holiday
notice confirmed or withdrawn, an administrator's setting), every domain recomputes its open
deadlines that the change can move (docs/deadlines.md, "When the calendar changes").

``common`` knows no domain. A domain registers its recompute function in its
``AppConfig.ready()``::

    register("demands", "qinqing.demands.deadlines.recompute_deadlines")

The function is called with keyword arguments ``first`` and ``last`` (the first and last
changed day, ``date``), ``years`` (the years whose schedule changed, for the message) and
``actor_id`` (the administrator whose change it was, or None) and returns counts for the
log. It must be idempotent: it recomputes each open deadline from its start with the calendar
as it is when it runs, and writes only what differs.

The calendar services call ``calendar_changed`` inside their transaction; one background
task per registered domain is enqueued when the transaction commits, so a confirmation never
holds a web request while thousands of cases are recomputed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .workdays import SHANGHAI

logger = logging.getLogger("qinqing.deadlines")

#: domain name -> dotted path of its recompute function (imported when a task runs)
_registry: dict[str, str] = {}


def register(name: str, path: str) -> None:
    """Register the recompute function of a domain (``AppConfig.ready()``); idempotent."""
    _registry[name] = path


def registered() -> dict[str, str]:
    return dict(_registry)


def recompute_function(name: str) -> Callable[..., dict[str, int]]:
    function: Callable[..., dict[str, int]] = import_string(_registry[name])
    return function


def calendar_changed(*, days: Iterable[date], actor: Any) -> bool:
    """Schedule the recompute of every domain's open deadlines after the caller's transaction
    commits, for the days whose working status changed; nothing when there are none.

    Returns whether anything was scheduled.
    """
    changed = sorted(set(days))
    if not changed or not _registry:
        return False
    first, last = changed[0], changed[-1]
    years = sorted({day.year for day in changed})
    actor_id = getattr(actor, "pk", None)

    def enqueue() -> None:
        from .tasks import recompute_domain_deadlines

        for name in sorted(_registry):
            recompute_domain_deadlines.enqueue(
                name, first.isoformat(), last.isoformat(), years, actor_id
            )

    transaction.on_commit(enqueue)
    logger.info(
        "calendar changed on %d day(s) from %s to %s: open deadlines will be recomputed",
        len(changed),
        first,
        last,
    )
    return True


def recompute_now(
    *, first: date, last: date, years: list[int], actor_id: int | None = None
) -> dict[str, dict[str, int]]:
    """Run every domain's recompute in this process (the command and the tests)."""
    return {
        name: recompute_function(name)(first=first, last=last, years=years, actor_id=actor_id)
        for name in sorted(_registry)
    }


def years_label(years: Iterable[int]) -> str:
    """2027 → "2027"; 2026 and 2027 → "2026、2027" (for "因…年节假日安排调整")."""
    return "、".join(str(year) for year in sorted(set(years)))


def chinese_date(day: date) -> str:
    """2027年2月18日: how a deadline is written in the timeline."""
    return f"{day.year}年{day.month}月{day.day}日"


def moved_note(
    years: list[int],
    moved: Mapping[str, tuple[datetime, datetime]],
    labels: Mapping[str, Any],
    now: datetime,
) -> str:
    """The timeline's sentence for the deadlines a calendar change moved:
    "因2027年节假日安排调整，办结期限由…调整为…", saying when a breached one stays breached."""
    parts = []
    for field, (before, after) in moved.items():
        was, will = before.astimezone(SHANGHAI).date(), after.astimezone(SHANGHAI).date()
        text = _("%(label)s由%(before)s调整为%(after)s") % {
            "label": labels[field],
            "before": chinese_date(was),
            "after": chinese_date(will),
        }
        if before < now < after:
            text += _("（原期限已于%(when)s届满，超期记录保留）") % {"when": chinese_date(was)}
        parts.append(text)
    return _("因%(years)s年节假日安排调整，") % {"years": years_label(years)} + "；".join(parts)
