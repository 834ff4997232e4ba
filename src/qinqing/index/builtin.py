"""The index facts of the apps already on main, computed in the database.

Each function is a source of the registry (``sources.py``): it groups by the firm's grid
path (or the region's path) in SQL and returns one row per group and fact, which the
engine rolls up to towns and districts by path prefix. No Python loop runs over cases,
visits or contacts; the loops below run over the groups the database returned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, F, Func, IntegerField, Q, Sum
from django.db.models.functions import Coalesce

from qinqing.common.workdays import SHANGHAI

#: whole days at which resolved cases are counted (a cumulative histogram in one query);
#: the median is read from it, in days rounded up, "over 180" counted as 181
DAY_STEPS = (*range(1, 31), 45, 60, 90, 120, 180)

Row = tuple[str, str, float, float]


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    """The half-open days [start, end) as moments in Asia/Shanghai."""
    first = datetime.combine(start, time.min, tzinfo=SHANGHAI)
    after = datetime.combine(end, time.min, tzinfo=SHANGHAI)
    return first, after


def directory_facts(*, start: date, end: date) -> list[Row]:
    """``directory.firms``: firms per grid (the register as it stands)."""
    from qinqing.directory.models import Enterprise

    groups = Enterprise.objects.order_by().values("grid__path").annotate(n=Count("pk"))
    return [(g["grid__path"], "directory.firms", float(g["n"]), 1.0) for g in groups]


class WholeDays(Func):
    """Whole days, rounded up, from the first expression to the second, computed by the
    database (julianday on SQLite, an epoch difference on PostgreSQL)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (start, p1), (end, p2) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"CAST(julianday({end}) - julianday({start}) + 0.999999 AS INTEGER)", [*p2, *p1]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        (start, p1), (end, p2) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"CAST(CEIL(EXTRACT(EPOCH FROM ({end} - {start})) / 86400) AS INTEGER)", [*p2, *p1]


def _step_of(days: int) -> int:
    """The histogram step a number of days falls in: the smallest step at or above it."""
    for step in DAY_STEPS:
        if days <= step:
            return step
    return DAY_STEPS[-1] + 1


def demand_facts(*, start: date, end: date) -> list[Row]:
    """Cases submitted in the period (merged duplicates left out), as the statistics page."""
    from qinqing.demands.models import Demand, Satisfaction
    from qinqing.demands.statistics import resolved_on_time_q, resolved_q
    from qinqing.demands.workflow import State

    first, after = _moments(start, end)
    resolved = resolved_q()

    aggregates = {
        "received": Count("pk", filter=~Q(state=State.WITHDRAWN)),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False)),
        "accepted_on_time": Count("pk", filter=Q(accepted_at__lte=F("accept_due_at"))),
        "resolved": Count("pk", filter=resolved),
        "resolved_on_time": Count("pk", filter=resolved_on_time_q()),
        "rated": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count(
            "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
        ),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0) & ~Q(state=State.WITHDRAWN)),
        "outcome_published": Count(
            "pk", filter=Q(replied_at__isnull=False) & ~Q(reply="") & ~Q(state=State.WITHDRAWN)
        ),
    }
    groups = (
        Demand.objects.filter(
            submitted_at__gte=first, submitted_at__lt=after, merged_into__isnull=True
        )
        .order_by()
        .values("region_path")
        .annotate(**aggregates)
    )
    rows: list[Row] = []
    for g in groups:
        path = g["region_path"]
        for name in (
            "received",
            "accepted",
            "accepted_on_time",
            "resolved",
            "resolved_on_time",
            "rated",
            "satisfied",
            "reopened",
            "outcome_published",
        ):
            rows.append((path, f"demands.{name}", float(g[name]), 1.0))
    # the day histogram: one GROUP BY (path, whole days) over the resolved cases
    days = (
        Demand.objects.filter(
            resolved, submitted_at__gte=first, submitted_at__lt=after, merged_into__isnull=True
        )
        .order_by()
        .annotate(days=WholeDays(F("submitted_at"), Coalesce(F("replied_at"), F("closed_at"))))
        .values("region_path", "days")
        .annotate(n=Count("pk"))
    )
    histogram: dict[tuple[str, int], int] = defaultdict(int)
    for g in days:
        histogram[(g["region_path"], _step_of(max(0, int(g["days"] or 0))))] += g["n"]
    for (path, step), count in sorted(histogram.items()):
        rows.append((path, "demands.days_to_resolve", float(step), float(count)))
    return rows


def outreach_facts(*, start: date, end: date) -> list[Row]:
    """Firms visited, pairing contacts made and due, meetings held."""
    from qinqing.directory.models import Pairing
    from qinqing.outreach.models import Meeting, PairingContact, Visit

    first, after = _moments(start, end)
    rows: list[Row] = []
    visited = (
        Visit.objects.filter(visited_on__gte=start, visited_on__lt=end)
        .order_by()
        .values("enterprise__grid__path")
        .annotate(n=Count("enterprise", distinct=True))
    )
    rows += [
        (g["enterprise__grid__path"], "outreach.firms_visited", float(g["n"]), 1.0) for g in visited
    ]
    contacts = (
        PairingContact.objects.filter(contacted_on__gte=start, contacted_on__lt=end)
        .order_by()
        .values("pairing__enterprise__grid__path")
        .annotate(n=Count("pk"))
    )
    rows += [
        (g["pairing__enterprise__grid__path"], "outreach.pairing_contacts", float(g["n"]), 1.0)
        for g in contacts
    ]
    # contacts due: each pairing active at some time in the period owes its quarterly
    # number for each quarter of the period (91.3 days a quarter)
    quarters = (end - start).days / 91.3125
    due = (
        Pairing.objects.filter(started_on__lt=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .order_by()
        .values("enterprise__grid__path")
        .annotate(n=Sum("contacts_per_quarter"))
    )
    rows += [
        (
            g["enterprise__grid__path"],
            "outreach.pairing_contacts_due",
            float(g["n"]) * quarters,
            1.0,
        )
        for g in due
    ]
    meetings = (
        Meeting.objects.filter(
            status=Meeting.Status.HELD, starts_at__gte=first, starts_at__lt=after
        )
        .order_by()
        .values("region__path")
        .annotate(n=Count("pk"))
    )
    rows += [(g["region__path"], "outreach.meetings_held", float(g["n"]), 1.0) for g in meetings]
    return rows
