"""Demand statistics: the figures of the public page, the staff dashboard and the export.

Every figure is defined in ``docs/demand-statistics.md``; in short, over the cases
*submitted in the period* (Asia/Shanghai calendar days, merged duplicates left out):

- received: every such case;
- accepted / accepted on time: ``accepted_at`` set / ``accepted_at ≤ accept_due_at``;
- responded / responded on time: ``first_response_at`` set / ``≤ response_due_at``;
- resolved: replied (``replied_at`` set) or closed, never withdrawn;
- resolved on time: resolved by ``resolve_due_at``, the moment of resolution being
  ``replied_at`` (or ``closed_at`` for a case closed without a standing reply);
- due: resolved, or still unresolved in the department's or coordinator's hands after
  ``resolve_due_at`` (the denominator of the on-time resolution rate);
- rated / satisfied: a satisfaction given / 满意 or 基本满意;
- reopened: ``reopen_count > 0``;
- median working days to resolve: the median of
  ``working_days_between(submitted_at, resolved moment)``.

Counts are computed in the database, one aggregate query per table, with
``COUNT(*) FILTER (WHERE …)`` and no date function: a period and its months are compared
as ranges of ``submitted_at``. Only the median needs rows: the (submitted, resolved)
moments of the resolved cases, read once in chunks and reduced to a histogram of working
days per group, so memory grows with the number of groups, not of cases.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of
from qinqing.common.workdays import SHANGHAI, WorkingCalendar
from qinqing.directory.models import Region, RegionLevel

from .models import Demand, Satisfaction
from .workflow import State

#: the longest custom period (days) and so at most 25 months in the monthly chart
MAX_RANGE_DAYS = 731
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: unresolved cases past their resolution deadline count as due (not paused, not withdrawn)
UNRESOLVED_STATES = [
    State.SUBMITTED,
    State.DISPATCHED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.DISPUTED,
]
#: states in which an overdue case is the lead department's to move (the dashboard list)
DEPARTMENT_STATES = [State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS]

#: who may read the staff dashboard
DASHBOARD_ROLES = {Role.SUPERVISOR, Role.COORDINATOR, Role.SYSTEM_ADMIN}


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Calendar days ``first``..``last`` (both included) in Asia/Shanghai."""

    kind: str  # "half", "month" or "range"
    first: date
    last: date
    key: str  # the value of the ``period`` parameter ("" for a custom range)

    @property
    def start(self) -> datetime:
        """The first moment of the period (aware)."""
        return datetime.combine(self.first, datetime.min.time(), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """The first moment after the period (aware, excluded)."""
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)

    @property
    def label(self) -> str:
        if self.kind == "half":
            if self.first.month == 1:
                return _("%(year)d年上半年") % {"year": self.first.year}
            return _("%(year)d年下半年") % {"year": self.first.year}
        if self.kind == "month":
            return _("%(year)d年%(month)d月") % {
                "year": self.first.year,
                "month": self.first.month,
            }
        return _("%(first)s 至 %(last)s") % {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }

    @property
    def slug(self) -> str:
        """A name for files: 2026H1, 2026-03 or 20260101-20260331."""
        if self.kind == "range":
            return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"
        return self.key

    def query(self) -> dict[str, str]:
        """The GET parameters that select this period again."""
        if self.kind == "range":
            return {"from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": self.key}

    def months(self) -> list[tuple[date, date]]:
        """The calendar months of the period, the first and last clipped to it."""
        spans = []
        first = self.first
        while first <= self.last:
            following = _next_month(first)
            spans.append((first, min(self.last, following - timedelta(days=1))))
            first = following
        return spans


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def half_year(year: int, half: int) -> Period:
    first = date(year, 1 if half == 1 else 7, 1)
    last = date(year, 6, 30) if half == 1 else date(year, 12, 31)
    return Period("half", first, last, f"{year}H{half}")


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    return Period("month", first, _next_month(first) - timedelta(days=1), f"{year}-{number:02d}")


def date_range(first: date, last: date) -> Period:
    return Period("range", first, last, "")


def shanghai_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(SHANGHAI).date()


def current_half_year(now: datetime | None = None) -> Period:
    today = shanghai_today(now)
    return half_year(today.year, 1 if today.month <= 6 else 2)


_HALF = re.compile(r"^(\d{4})H([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _iso_date(text: str) -> date | None:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse_period(params: Mapping[str, str], *, now: datetime | None = None) -> tuple[Period, str]:
    """The period chosen by GET parameters, and an error message ("" if none).

    ``from`` and ``to`` (ISO dates, both included) win over ``period`` (``2026H1`` or
    ``2026-03``); anything invalid falls back to the current half-year with a message.
    """
    default = current_half_year(now)
    first_text, last_text = params.get("from", ""), params.get("to", "")
    if first_text or last_text:
        first, last = _iso_date(first_text or ""), _iso_date(last_text or "")
        if first is None or last is None:
            return default, _("日期无效，请按“2026-01-31”的格式填写起止日期。")
        if last < first:
            return default, _("结束日期不能早于开始日期。")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            return default, _("自定义期间最长%(days)d天。") % {"days": MAX_RANGE_DAYS}
        return date_range(first, last), ""
    key = (params.get("period") or "").strip()
    if not key:
        return default, ""
    if match := _HALF.match(key):
        year = int(match.group(1))
        if FIRST_YEAR <= year <= LAST_YEAR:
            return half_year(year, int(match.group(2))), ""
    if match := _MONTH.match(key):
        year, number = int(match.group(1)), int(match.group(2))
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 12:
            return month(year, number), ""
    return default, _("统计期间无效，已显示本半年。")


def period_choices(now: datetime | None = None) -> list[tuple[str, list[Period]]]:
    """What the period menu offers: the last six half-years and the last twelve months."""
    today = shanghai_today(now)
    halves = []
    year, half = today.year, 1 if today.month <= 6 else 2
    for _i in range(6):
        halves.append(half_year(year, half))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    months = []
    year, number = today.year, today.month
    for _i in range(12):
        months.append(month(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return [(_("半年"), halves), (_("月份"), months)]


# --- figures ---------------------------------------------------------------------------------


def _pct(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


def _pct_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@dataclass
class Figures:
    """The figures of one group (a region, a department, a category or the whole scope)."""

    key: Any
    label: str
    received: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    responded: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    due: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    median_days: float | None = None
    #: ranking (departments only): the rank, or None when unranked
    rank: int | None = None
    #: ranking (departments only): False when below the minimum number of cases
    enough_cases: bool = True
    #: drill-down (regions only): the region's id when it has sub-regions to show
    drill: int | None = None

    @property
    def accepted_on_time_rate(self) -> float | None:
        return _pct(self.accepted_on_time, self.accepted)

    @property
    def responded_on_time_rate(self) -> float | None:
        return _pct(self.responded_on_time, self.responded)

    @property
    def resolved_on_time_rate(self) -> float | None:
        return _pct(self.resolved_on_time, self.due)

    @property
    def satisfaction_rate(self) -> float | None:
        return _pct(self.satisfied, self.rated)

    @property
    def accepted_on_time_text(self) -> str:
        return _pct_text(self.accepted_on_time_rate)

    @property
    def responded_on_time_text(self) -> str:
        return _pct_text(self.responded_on_time_rate)

    @property
    def resolved_on_time_text(self) -> str:
        return _pct_text(self.resolved_on_time_rate)

    @property
    def satisfaction_text(self) -> str:
        return _pct_text(self.satisfaction_rate)

    @property
    def median_text(self) -> str:
        if self.median_days is None:
            return "—"
        return f"{self.median_days:g}"


COUNT_FIELDS = (
    "received",
    "accepted",
    "accepted_on_time",
    "responded",
    "responded_on_time",
    "resolved",
    "resolved_on_time",
    "due",
    "rated",
    "satisfied",
    "reopened",
)


@dataclass
class MonthFigures:
    first: date
    last: date
    received: int
    resolved_on_time: int
    with_year: bool = False

    @property
    def label(self) -> str:
        if self.with_year:
            return f"{self.first:%Y-%m}"
        return _("%(month)d月") % {"month": self.first.month}


@dataclass
class Report:
    period: Period
    total: Figures
    regions: list[Figures]
    departments: list[Figures]
    categories: list[Figures]
    months: list[MonthFigures]
    min_cases: int
    now: datetime
    overdue: list[OverdueRow] = field(default_factory=list)

    @property
    def ranked_departments(self) -> list[Figures]:
        return [f for f in self.departments if f.rank is not None]


@dataclass
class OverdueRow:
    label: str
    overdue_accept: int
    overdue_resolve: int


def resolved_q() -> Q:
    """Replied, or closed, never withdrawn (a withdrawn case is closed by the firm itself)."""
    return (Q(replied_at__isnull=False) | Q(state=State.CLOSED)) & ~Q(state=State.WITHDRAWN)


def resolved_on_time_q() -> Q:
    """Resolved by the resolution deadline: the reply, or the closing if no reply stands."""
    return resolved_q() & (
        Q(replied_at__lte=F("resolve_due_at"))
        | Q(replied_at__isnull=True, closed_at__lte=F("resolve_due_at"))
    )


def due_q(now: datetime) -> Q:
    """Resolved, or unresolved after the resolution deadline (paused cases are not due)."""
    overdue = Q(state__in=UNRESOLVED_STATES, replied_at__isnull=True, resolve_due_at__lt=now)
    return resolved_q() | overdue


def _aggregates(now: datetime) -> dict[str, Any]:
    """One ``COUNT(*) FILTER (WHERE …)`` per figure."""
    return {
        "received": Count("pk"),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False)),
        "accepted_on_time": Count("pk", filter=Q(accepted_at__lte=F("accept_due_at"))),
        "responded": Count("pk", filter=Q(first_response_at__isnull=False)),
        "responded_on_time": Count("pk", filter=Q(first_response_at__lte=F("response_due_at"))),
        "resolved": Count("pk", filter=resolved_q()),
        "resolved_on_time": Count("pk", filter=resolved_on_time_q()),
        "due": Count("pk", filter=due_q(now)),
        "rated": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count(
            "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
        ),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    }


def _figures(key: Any, label: str, row: Mapping[str, Any]) -> Figures:
    figures = Figures(key=key, label=label)
    for name in COUNT_FIELDS:
        setattr(figures, name, row.get(name) or 0)
    return figures


def cases_in(period: Period, condition: Q | None = None) -> QuerySet[Demand]:
    """The cases counted for ``period``: submitted in it, merged duplicates left out."""
    qs = Demand.objects.filter(
        submitted_at__gte=period.start,
        submitted_at__lt=period.end,
        merged_into__isnull=True,
    )
    if condition is not None:
        qs = qs.filter(condition)
    return qs.order_by()


def _region_case(groups: Sequence[Region]) -> Case:
    return Case(
        *[When(region_path__startswith=r.path, then=Value(r.pk)) for r in groups],
        default=Value(None),
        output_field=IntegerField(),
    )


# --- the median ------------------------------------------------------------------------------


class WorkdayIndex:
    """Working days counted from a base day, so that for days a ≤ b
    ``working_days_between(a, b) == index.count(b) - index.count(a)``.

    Built from one ``WorkingCalendar`` (the administrators' settings read range by range),
    extended on demand; days before the base count as the base.
    """

    def __init__(self, base: date, last: date | None = None) -> None:
        self.calendar = WorkingCalendar()
        self.base = base
        self._cumulative = [0]  # working days in (base, base + i]
        if last is not None and last > base:
            self._extend((last - base).days, ahead=0)

    def count(self, day: date) -> int:
        offset = (day - self.base).days
        if offset <= 0:
            return 0
        if offset >= len(self._cumulative):
            self._extend(offset)
        return self._cumulative[offset]

    def _extend(self, offset: int, ahead: int = 90) -> None:
        known = len(self._cumulative)
        # read ahead so that a day just past the range does not cost a query each
        target = max(offset, known + ahead)
        self.calendar.ensure_loaded(
            self.base + timedelta(days=known), self.base + timedelta(days=target)
        )
        running = self._cumulative[-1]
        for i in range(known, target + 1):
            if self.calendar.is_working_day(self.base + timedelta(days=i)):
                running += 1
            self._cumulative.append(running)

    def between(self, start: datetime, end: datetime) -> int:
        """``working_days_between(start, end)`` for aware datetimes."""
        first = start.astimezone(SHANGHAI).date()
        last = end.astimezone(SHANGHAI).date()
        return max(0, self.count(last) - self.count(first))


def median_of(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as {value: how many}; the mean of the two middle ones
    when their number is even; None for no values."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(value)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def _region_key(paths: Mapping[str, int], depths: Iterable[int], region_path: str) -> int | None:
    segments = region_path.split("/")
    for depth in depths:
        prefix = "/".join(segments[: depth + 1]) + "/"
        if prefix in paths:
            return paths[prefix]
    return None


@dataclass
class Medians:
    total: float | None
    regions: dict[int, float | None]
    departments: dict[int | None, float | None]
    categories: dict[int, float | None]


def _shanghai_day(value: Any) -> date:
    """The Asia/Shanghai calendar day of a datetime as the database driver returns it:
    naive UTC text on SQLite ("2026-03-02 02:00:00[.ffffff]"), a datetime elsewhere."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    elif value.tzinfo is None:
        moment = value.replace(tzinfo=UTC)
    else:
        moment = value
    return moment.astimezone(SHANGHAI).date()


def _medians(
    qs: QuerySet[Demand], period: Period, groups: Sequence[Region], latest: datetime | None
) -> Medians:
    """Median working days to resolve, per group, from one pass over the resolved cases.

    ``latest`` is the last moment of resolution in the set, so that the working-day
    settings are read in one query. The rows are read with the database cursor, without
    Django's per-value datetime conversion: the working-day count only needs the Shanghai
    calendar day, which depends on the UTC hour alone and is looked up once per hour.
    """
    paths = {r.path: r.pk for r in groups}
    depths = sorted({p.count("/") - 1 for p in paths})
    last = max(period.last, latest.astimezone(SHANGHAI).date() if latest else period.last)
    index = WorkdayIndex(period.first - timedelta(days=1), last)
    total: Counter[int] = Counter()
    regions: defaultdict[int, Counter[int]] = defaultdict(Counter)
    departments: defaultdict[int | None, Counter[int]] = defaultdict(Counter)
    categories: defaultdict[int, Counter[int]] = defaultdict(Counter)
    counts: dict[Any, int] = {}  # UTC hour → working days from the index's base
    region_of: dict[str, int | None] = {}

    def count(value: Any) -> int:
        key = (
            value[:13]
            if isinstance(value, str)
            else value.replace(minute=0, second=0, microsecond=0)
        )
        if key not in counts:
            counts[key] = index.count(_shanghai_day(value))
        return counts[key]

    rows = (
        qs.filter(resolved_q())
        .annotate(resolved_at=Coalesce("replied_at", "closed_at"))
        .values_list("submitted_at", "resolved_at", "department_id", "category_id", "region_path")
    )
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            for submitted_at, resolved_at, department_id, category_id, region_path in chunk:
                if resolved_at is None:  # a closed case always has closed_at; guard old data
                    continue
                days = max(0, count(resolved_at) - count(submitted_at))
                total[days] += 1
                departments[department_id][days] += 1
                categories[category_id][days] += 1
                if paths:
                    if region_path not in region_of:
                        region_of[region_path] = _region_key(paths, depths, region_path)
                    region = region_of[region_path]
                    if region is not None:
                        regions[region][days] += 1
    return Medians(
        total=median_of(total),
        regions={k: median_of(v) for k, v in regions.items()},
        departments={k: median_of(v) for k, v in departments.items()},
        categories={k: median_of(v) for k, v in categories.items()},
    )


# --- ranking ---------------------------------------------------------------------------------


def rank_departments(rows: list[Figures], min_cases: int) -> list[Figures]:
    """Rank departments with at least ``min_cases`` received cases; the rest stay unranked.

    Order: on-time resolution rate, then satisfaction rate (higher first; none last), then
    median working days (fewer first). Equal keys share a rank (1, 2, 2, 4).
    Ranked departments come first in rank order, then the others by name.
    """

    def sort_key(f: Figures) -> tuple[float, float, float]:
        on_time = f.resolved_on_time_rate
        satisfaction = f.satisfaction_rate
        median = f.median_days
        return (
            -(on_time if on_time is not None else -1.0),
            -(satisfaction if satisfaction is not None else -1.0),
            median if median is not None else float("inf"),
        )

    eligible = [f for f in rows if f.key is not None and f.received >= min_cases]
    others = [f for f in rows if f not in eligible]
    eligible.sort(key=lambda f: (sort_key(f), f.label))
    previous: tuple[float, float, float] | None = None
    rank = 0
    for position, figures in enumerate(eligible, start=1):
        key = sort_key(figures)
        if key != previous:
            rank, previous = position, key
        figures.rank, figures.enough_cases = rank, True
    for figures in others:
        figures.rank = None
        figures.enough_cases = figures.received >= min_cases and figures.key is not None
    others.sort(key=lambda f: (f.key is None, f.label))
    return eligible + others


# --- the report ------------------------------------------------------------------------------


def demand_report(
    *,
    period: Period,
    condition: Q | None = None,
    region_groups: Sequence[Region] = (),
    now: datetime | None = None,
    min_cases: int | None = None,
) -> Report:
    """Every figure of ``period`` for the cases matching ``condition`` (all when None).

    Queries: one for the totals and the months, one per table (regions, departments,
    categories), one read of the resolved cases for the medians, and a few reads of the
    working-day settings; none depends on the number of cases.
    """
    now = now or timezone.now()
    if min_cases is None:
        min_cases = int(getattr(settings, "DEMAND_STATS_MIN_CASES", 10))
    qs = cases_in(period, condition)
    aggregates = _aggregates(now)

    months = period.months()
    monthly: dict[str, Any] = {}
    on_time = resolved_on_time_q()
    for i, (first, last) in enumerate(months):
        in_month = Q(
            submitted_at__gte=datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI),
            submitted_at__lt=datetime.combine(
                last + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI
            ),
        )
        monthly[f"m{i}_received"] = Count("pk", filter=in_month)
        monthly[f"m{i}_on_time"] = Count("pk", filter=in_month & on_time)
    totals = qs.aggregate(
        **aggregates, **monthly, last_reply=Max("replied_at"), last_close=Max("closed_at")
    )
    with_year = period.first.year != period.last.year
    month_figures = [
        MonthFigures(first, last, totals[f"m{i}_received"], totals[f"m{i}_on_time"], with_year)
        for i, (first, last) in enumerate(months)
    ]

    latest = max((m for m in (totals["last_reply"], totals["last_close"]) if m), default=None)
    medians = _medians(qs, period, region_groups, latest)
    total = _figures(None, _("合计"), totals)
    total.median_days = medians.total

    regions: list[Figures] = []
    if region_groups:
        by_region = {
            row["group"]: row
            for row in qs.annotate(group=_region_case(region_groups))
            .values("group")
            .annotate(**aggregates)
            .order_by()
        }
        for region in region_groups:
            figures = _figures(region.pk, region.name, by_region.get(region.pk, {}))
            figures.median_days = medians.regions.get(region.pk)
            if region.level < RegionLevel.GRID:
                figures.drill = region.pk
            regions.append(figures)

    departments = []
    for row in qs.values("department_id", "department__name").annotate(**aggregates).order_by():
        key = row["department_id"]
        figures = _figures(key, row["department__name"] or _("待派单"), row)
        figures.median_days = medians.departments.get(key)
        departments.append(figures)
    departments = rank_departments(departments, min_cases)

    categories = []
    for row in (
        qs.values("category_id", "category__name", "category__code")
        .annotate(**aggregates)
        .order_by("category__code")
    ):
        figures = _figures(row["category_id"], row["category__name"], row)
        figures.median_days = medians.categories.get(row["category_id"])
        categories.append(figures)

    return Report(
        period=period,
        total=total,
        regions=regions,
        departments=departments,
        categories=categories,
        months=month_figures,
        min_cases=min_cases,
        now=now,
    )


def overdue_by_department(
    *, condition: Q | None = None, now: datetime | None = None
) -> list[OverdueRow]:
    """Open cases past a deadline now, per lead department (any submission date).

    Overdue to accept: dispatched and not accepted after ``accept_due_at``; overdue to
    resolve: dispatched, accepted or in progress after ``resolve_due_at``.
    """
    now = now or timezone.now()
    qs = Demand.objects.filter(state__in=DEPARTMENT_STATES, merged_into__isnull=True)
    if condition is not None:
        qs = qs.filter(condition)
    late_accept = Q(state=State.DISPATCHED, accept_due_at__lt=now)
    late_resolve = Q(resolve_due_at__lt=now)
    rows = (
        qs.filter(late_accept | late_resolve)
        .values("department_id", "department__name")
        .annotate(
            overdue_accept=Count("pk", filter=late_accept),
            overdue_resolve=Count("pk", filter=late_resolve),
        )
        .order_by("-overdue_resolve", "-overdue_accept", "department__name")
    )
    return [
        OverdueRow(
            label=row["department__name"] or _("待派单"),
            overdue_accept=row["overdue_accept"],
            overdue_resolve=row["overdue_resolve"],
        )
        for row in rows
    ]


# --- scopes ----------------------------------------------------------------------------------


def public_region_groups() -> list[Region]:
    """The rows of the public region table: every district (区县市)."""
    return list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("path"))


def can_read_dashboard(user: Any) -> bool:
    return any(a.role in DASHBOARD_ROLES for a in assignments_of(user))


@dataclass
class DashboardScope:
    """What a dashboard reader sees: a condition on cases and the region rows to show."""

    condition: Q | None  # None: every case (a system administrator)
    root: Region | None  # the region drilled into, None at the top
    groups: list[Region]
    trail: list[Region]  # the way from the reader's own region(s) down to ``root``
    label: str


def _reader_regions(user: Any) -> list[Region] | None:
    """The regions of the reader's supervisor/coordinator roles; None for every region."""
    regions: list[Region] = []
    for a in assignments_of(user):
        if a.role == Role.SYSTEM_ADMIN:
            return None
        if a.role in (Role.SUPERVISOR, Role.COORDINATOR) and a.region is not None:
            regions.append(a.region)
    # the widest first; a region inside another one of the reader's adds nothing
    regions.sort(key=lambda r: (len(r.path), r.path))
    kept: list[Region] = []
    for region in regions:
        if not any(region.path.startswith(k.path) for k in kept):
            kept.append(region)
    return kept


def dashboard_scope(user: Any, region_id: int | None = None) -> DashboardScope:
    """The reader's scope, drilled down to ``region_id`` if given.

    Raises PermissionError for a reader without a dashboard role and LookupError for a
    region outside the reader's scope.
    """
    if not can_read_dashboard(user):
        raise PermissionError
    own = _reader_regions(user)
    root: Region | None = None
    if region_id is not None:
        root = Region.objects.filter(pk=region_id).first()
        if root is None or (own is not None and not any(root.path.startswith(r.path) for r in own)):
            raise LookupError(region_id)
    if root is not None:
        ancestors = [p for p in root.path.strip("/").split("/")[:-1]]
        above = {r.code: r for r in Region.objects.filter(code__in=ancestors)}
        trail = [above[c] for c in ancestors if c in above]
        if own is not None:
            widest = min(len(r.path) for r in own if root.path.startswith(r.path))
            trail = [r for r in trail if len(r.path) >= widest]
        trail.append(root)
        groups = list(Region.objects.filter(parent=root).order_by("path"))
        return DashboardScope(
            condition=Q(region_path__startswith=root.path),
            root=root,
            groups=groups,
            trail=trail,
            label=root.name,
        )
    if own is None:
        return DashboardScope(
            condition=None,
            root=None,
            groups=public_region_groups(),
            trail=[],
            label=_("全市"),
        )
    condition = Q(pk__in=[])
    for region in own:
        condition |= Q(region_path__startswith=region.path)
    if len(own) == 1:
        groups = list(Region.objects.filter(parent=own[0]).order_by("path"))
        return DashboardScope(
            condition=condition, root=own[0], groups=groups, trail=[own[0]], label=own[0].name
        )
    return DashboardScope(
        condition=condition,
        root=None,
        groups=own,
        trail=[],
        label="、".join(r.name for r in own),
    )
