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

from django.db import connections
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Sum
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


def _fetch(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of an aggregating ``values_list`` query as the database returns them: the
    ORM writes the SQL, a plain cursor runs it (no per-row conversion into Python values,
    which the whole numbers and paths of these groups do not need)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def directory_facts(*, start: date, end: date) -> list[Row]:
    """``directory.firms``: firms per grid (the register as it stands)."""
    from qinqing.directory.models import Enterprise

    groups = _fetch(Enterprise.objects.order_by().values_list("grid__path").annotate(n=Count("*")))
    return [(path, "directory.firms", float(n), 1.0) for path, n in groups]


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
    groups = _fetch(
        Demand.objects.filter(
            submitted_at__gte=first, submitted_at__lt=after, merged_into__isnull=True
        )
        .order_by()
        .values_list("region_path")
        .annotate(**aggregates)
    )
    facts = [f"demands.{name}" for name in aggregates]
    rows: list[Row] = [
        (g[0], fact, float(count or 0), 1.0)
        for g in groups
        for fact, count in zip(facts, g[1:], strict=True)
    ]
    # the day histogram: one GROUP BY (path, whole days) over the resolved cases
    days = _fetch(
        Demand.objects.filter(
            resolved, submitted_at__gte=first, submitted_at__lt=after, merged_into__isnull=True
        )
        .order_by()
        .annotate(days=WholeDays(F("submitted_at"), Coalesce(F("replied_at"), F("closed_at"))))
        .values_list("region_path", "days")
        .annotate(n=Count("*"))
    )
    histogram: dict[tuple[str, int], int] = defaultdict(int)
    for path, whole_days, n in days:
        histogram[(path, _step_of(max(0, int(whole_days or 0))))] += n
    for (path, step), count in sorted(histogram.items()):
        rows.append((path, "demands.days_to_resolve", float(step), float(count)))
    return rows


def outreach_facts(*, start: date, end: date) -> list[Row]:
    """Firms visited, pairing contacts made and due, meetings held."""
    from qinqing.directory.models import Pairing
    from qinqing.outreach.models import Meeting, PairingContact, Visit

    first, after = _moments(start, end)
    visited = _fetch(
        Visit.objects.filter(visited_on__gte=start, visited_on__lt=end)
        .order_by()
        .values_list("enterprise__grid__path")
        .annotate(n=Count("enterprise", distinct=True))
    )
    rows: list[Row] = [(path, "outreach.firms_visited", float(n), 1.0) for path, n in visited]
    contacts = _fetch(
        PairingContact.objects.filter(contacted_on__gte=start, contacted_on__lt=end)
        .order_by()
        .values_list("pairing__enterprise__grid__path")
        .annotate(n=Count("*"))
    )
    rows += [(path, "outreach.pairing_contacts", float(n), 1.0) for path, n in contacts]
    # contacts due: each pairing active at some time in the period owes its quarterly
    # number for each quarter of the period (91.3 days a quarter)
    quarters = (end - start).days / 91.3125
    due = _fetch(
        Pairing.objects.filter(started_on__lt=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .order_by()
        .values_list("enterprise__grid__path")
        .annotate(n=Sum("contacts_per_quarter"))
    )
    rows += [(path, "outreach.pairing_contacts_due", float(n) * quarters, 1.0) for path, n in due]
    meetings = _fetch(
        Meeting.objects.filter(
            status=Meeting.Status.HELD, starts_at__gte=first, starts_at__lt=after
        )
        .order_by()
        .values_list("region__path")
        .annotate(n=Count("*"))
    )
    rows += [(path, "outreach.meetings_held", float(n), 1.0) for path, n in meetings]
    return rows
