"""走访 (visits): rules per region, the steward's month, logging a visit, coverage.

The rules this module implements (they are the ones the pages and the API explain):

*Rule.* A region may carry a :class:`~qinqing.outreach.models.VisitRule`; the nearest rule up
the region tree from a firm's grid applies (a grid's own rule, else its community's, town's,
district's, city's). Without any rule a firm needs 1 visit a month and a key firm
(:class:`~qinqing.outreach.models.KeyFirm`) 2 visits a month.

*Months.* Months are calendar months in Asia/Shanghai. A visit counts for the month of its
``visited_on`` (31 January counts for January, 1 February for February). Holidays change
nothing: the Spring Festival week is an ordinary part of its month for a calendar-month rule.
Two visits to the same firm on the same day count once (a double tap must not fake a second
visit of a key firm).

*Requirement met.* A firm's requirement for a month is met when it was visited on at least
``required`` different days of that month, by anyone allowed to log visits for it.

*Status of a firm in a month* (``month_plan``, ``overdue_list``, ``coverage``):

- ``visited`` (已走访): the requirement of the month is met;
- ``overdue`` (已逾期): not met, and
    - for a month that has ended: always;
    - for the current month: the previous month's requirement was not met either (the visit
      is carried over and is late from the first day), or the firm is behind the evenly spread
      schedule: the k-th of n visits is due by day ⌈k·D/n⌉ of a D-day month (a key firm's
      first visit of two by the 16th of a 31-day month; a firm with one visit a month is due
      by the month's last day, so never behind schedule within the month);
    - for a month still to come: never;
- ``due`` (待走访): otherwise.

*A firm that moves.* The grid at the time of a visit is kept on the visit, but a grid's,
steward's, town's or district's coverage is computed over the firms *currently* in it. A firm
moved mid-month counts for its current grid (and steward) for the whole month, and the visits
the previous grid's steward made earlier in the month still count for the firm. The previous
steward's own visits stay visible to them.

*No rule history.* Rules and the key-firm list are not versioned: history by month is
recomputed with today's rules, key firms and grid membership.

Only the functions under "services" write; each checks the actor, runs in one transaction and
leaves an audit entry.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length, Substr, TruncMonth
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.files import (
    JPEG,
    PDF,
    PNG,
    WEBP,
    FileKind,
    UploadRefused,
    accepting,
    inspect,
    together,
)
from qinqing.common.ranges import date_in_range
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise, Region, RegionLevel

from .models import Invitation, KeyFirm, Meeting, Visit, VisitFile, VisitRule

register("visit.log", gettext_lazy("记录走访"))
register("visit.rule_set", gettext_lazy("设置走访规则"))
register("visit.key_firm_set", gettext_lazy("设置重点企业"))
register("visit.export", gettext_lazy("导出走访记录"))
register("visit.file_download", gettext_lazy("下载走访附件"))

DEFAULT_VISITS_PER_MONTH = 1
DEFAULT_KEY_FIRM_VISITS_PER_MONTH = 2
MAX_VISITS_PER_MONTH = 10
#: how far back a visit may be logged (days before today, Asia/Shanghai)
MAX_DAYS_BACK = 31
MAX_FILES = 5
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


class Status(models.TextChoices):
    DUE = "due", gettext_lazy("待走访")
    OVERDUE = "overdue", gettext_lazy("已逾期")
    VISITED = "visited", gettext_lazy("已走访")


class Level(models.TextChoices):
    DISTRICT = "district", gettext_lazy("区县市")
    TOWN = "town", gettext_lazy("乡镇街道")
    GRID = "grid", gettext_lazy("网格")
    STEWARD = "steward", gettext_lazy("管家")


LEVEL_REGION = {Level.DISTRICT: RegionLevel.DISTRICT, Level.TOWN: RegionLevel.TOWN}

#: roles that read coverage and visit records of a region subtree
COVERAGE_ROLES = (Role.STEWARD, Role.COORDINATOR, Role.SUPERVISOR)
#: roles that may log a visit for a firm of their region subtree
LOGGING_ROLES = (Role.STEWARD, Role.COORDINATOR)


def max_file_bytes() -> int:
    return int(getattr(settings, "VISIT_FILE_MAX_BYTES", DEFAULT_MAX_FILE_BYTES))


# --- months ----------------------------------------------------------------------------------
def today() -> date:
    """Today's date in Asia/Shanghai."""
    return timezone.now().astimezone(SHANGHAI).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(month: date) -> date:
    return month_start(month_start(month) - timedelta(days=1))


def next_month(month: date) -> date:
    return month_end(month) + timedelta(days=1)


def parse_month(text: str | None) -> date | None:
    """ "2026-01" → 1 January 2026; None for anything else."""
    text = (text or "").strip()
    try:
        year, month = text.split("-")
        if len(year) != 4 or not 1 <= len(month) <= 2:
            return None
        month_start = date(int(year), int(month), 1)
    except ValueError:
        return None
    # 0001-01 or 9999-12 would overflow the months before or after it
    return month_start if date_in_range(month_start) else None


def month_label(month: date) -> str:
    return _("%(y)d年%(m)d月") % {"y": month.year, "m": month.month}


def months_back(month: date, n: int) -> list[date]:
    """The ``n`` months ending with ``month``, oldest first."""
    months = [month_start(month)]
    while len(months) < n:
        months.append(previous_month(months[-1]))
    return months[::-1]


# --- who may do what -------------------------------------------------------------------------
def role_paths(user: Any, *roles: str) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def _covers(paths: Sequence[str], region_path: str) -> bool:
    return any(region_path.startswith(p) for p in paths)


def _under(paths: Sequence[str], field_name: str) -> Q:
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(**{f"{field_name}__startswith": p})
    return condition


def can_log(user: Any, enterprise: Enterprise) -> bool:
    """A steward whose grid holds the firm, or a coordinator of a region that holds it."""
    return _covers(role_paths(user, *LOGGING_ROLES), enterprise.grid.path)


def can_set_rule(user: Any, region: Region) -> bool:
    return _covers(role_paths(user, Role.COORDINATOR), region.path)


def is_coverage_reader(user: Any) -> bool:
    return bool(role_paths(user, *COVERAGE_ROLES))


def is_steward(user: Any) -> bool:
    return bool(role_paths(user, Role.STEWARD))


# --- rules -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    visits_per_month: int
    key_firm_visits_per_month: int
    #: the region whose rule applies; None for the built-in default
    region: Region | None = None

    def required(self, *, key_firm: bool) -> int:
        return self.key_firm_visits_per_month if key_firm else self.visits_per_month


DEFAULT_RULE = Rule(DEFAULT_VISITS_PER_MONTH, DEFAULT_KEY_FIRM_VISITS_PER_MONTH)


def _path_codes(path: str) -> list[str]:
    return [c for c in path.strip("/").split("/") if c]


def rule_for(region: Region) -> Rule:
    """The nearest rule up the tree from ``region`` (itself included), else the default."""
    rules = list(
        VisitRule.objects.filter(region__code__in=_path_codes(region.path)).select_related("region")
    )
    if not rules:
        return DEFAULT_RULE
    nearest = max(rules, key=lambda r: len(r.region.path))
    return Rule(nearest.visits_per_month, nearest.key_firm_visits_per_month, nearest.region)


def _nearest_rule(field_name: str) -> Subquery:
    """For a firm (outer row): ``field_name`` of the nearest rule up the tree from its grid."""
    return Subquery(
        VisitRule.objects.annotate(prefix=Substr(OuterRef("grid__path"), 1, Length("region__path")))
        .filter(prefix=F("region__path"))
        .order_by(Length("region__path").desc())
        .values(field_name)[:1],
        output_field=IntegerField(),
    )


#: above this many rules the requirement is looked up by a correlated subquery instead of a
#: CASE over the rules' region paths
MAX_CASE_RULES = 200


def _rule_case(rules: list[tuple[str, int, int]], index: int, default: int) -> Any:
    """CASE over the firm's grid path: the deepest rule whose region holds the grid."""
    branches = [
        When(grid__path__startswith=path, then=Value(values[index]))
        for path, *values in sorted(rules, key=lambda r: len(r[0]), reverse=True)
    ]
    if not branches:
        return Value(default)
    return Case(*branches, default=Value(default), output_field=IntegerField())


def required_expression() -> Case:
    """Visits a month the firm (outer row) needs under its rule, key firms apart.

    The rules are few (one per region that deviates from its parent): they are read once and
    written into the query as a CASE over the grid's path, deepest region first.
    """
    rules = list(
        VisitRule.objects.order_by("pk").values_list(
            "region__path", "visits_per_month", "key_firm_visits_per_month"
        )[: MAX_CASE_RULES + 1]
    )
    if len(rules) > MAX_CASE_RULES:
        normal: Any = Coalesce(_nearest_rule("visits_per_month"), Value(DEFAULT_VISITS_PER_MONTH))
        key: Any = Coalesce(
            _nearest_rule("key_firm_visits_per_month"), Value(DEFAULT_KEY_FIRM_VISITS_PER_MONTH)
        )
    else:
        normal = _rule_case(rules, 0, DEFAULT_VISITS_PER_MONTH)
        key = _rule_case(rules, 1, DEFAULT_KEY_FIRM_VISITS_PER_MONTH)
    return Case(
        When(Exists(KeyFirm.objects.filter(enterprise=OuterRef("pk"))), then=key),
        default=normal,
        output_field=IntegerField(),
    )


def done_expression(month: date) -> Coalesce:
    """Different days of ``month`` on which the firm (outer row) was visited."""
    visits = (
        Visit.objects.filter(
            enterprise=OuterRef("pk"),
            visited_on__gte=month_start(month),
            visited_on__lte=month_end(month),
        )
        .order_by()
        .values("enterprise")
        .annotate(n=Count("visited_on", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(visits, output_field=IntegerField()), Value(0))


def _overdue_condition(month: date, on: date) -> Q:
    """Over firms annotated with ``required``, ``done``, ``prev_done`` (and ``pace``)."""
    not_met = Q(done__lt=F("required"))
    current = month_start(on)
    if month_start(month) > current:
        return Q(pk__in=[])
    if month_start(month) < current:
        return not_met
    return not_met & (Q(prev_done__lt=F("required")) | Q(pace__lte=0))


def _pace_expression(month: date, on: date) -> Any:
    """≤ 0 when the firm is behind the evenly spread schedule on day ``on`` of ``month``.

    Visits due by the end of day d-1 of a D-day month: ⌊(d-1)·n/D⌋; the firm is behind when
    done < that, i.e. when (done + 1)·D ≤ (d-1)·n (integers only, no division in SQL).
    """
    days = calendar.monthrange(month.year, month.month)[1]
    elapsed = on.day - 1 if month_start(on) == month_start(month) else 0
    return models.ExpressionWrapper(
        (F("done") + 1) * Value(days) - F("required") * Value(elapsed),
        output_field=IntegerField(),
    )


def with_month(qs: QuerySet[Enterprise], month: date, on: date | None = None) -> QuerySet[Any]:
    """Firms annotated for ``month``: required, done, prev_done, pace, status (and is_key)."""
    on = on or today()
    qs = qs.annotate(
        required=required_expression(),
        done=done_expression(month),
        prev_done=done_expression(previous_month(month)),
        is_key=Exists(KeyFirm.objects.filter(enterprise=OuterRef("pk"))),
    ).annotate(pace=_pace_expression(month, on))
    return qs.annotate(
        status=Case(
            When(done__gte=F("required"), then=Value(Status.VISITED.value)),
            When(_overdue_condition(month, on), then=Value(Status.OVERDUE.value)),
            default=Value(Status.DUE.value),
            output_field=models.CharField(),
        ),
        status_rank=Case(
            When(done__gte=F("required"), then=Value(2)),
            When(_overdue_condition(month, on), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    )


# --- selectors -------------------------------------------------------------------------------
def portfolio(user: Any) -> QuerySet[Enterprise]:
    """The firms of the user's steward grids (a steward's 20 firms)."""
    paths = role_paths(user, Role.STEWARD)
    return Enterprise.objects.select_related("grid").filter(_under(paths, "grid__path"))


def loggable_firms(user: Any) -> QuerySet[Enterprise]:
    """Firms the user may log a visit for."""
    paths = role_paths(user, *LOGGING_ROLES)
    return Enterprise.objects.select_related("grid").filter(_under(paths, "grid__path"))


def coverage_firms(user: Any, region: Region | None = None) -> QuerySet[Enterprise]:
    """Firms whose coverage the user reads (stewards, coordinators, supervisors: subtree)."""
    qs = Enterprise.objects.filter(_under(role_paths(user, *COVERAGE_ROLES), "grid__path"))
    if region is not None:
        qs = qs.filter(grid__path__startswith=region.path)
    return qs


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    """Region readers: visits of the firms now in their subtree, visits made there, and their
    own; a firm's users and observer: the firm's visits."""
    paths = role_paths(user, *COVERAGE_ROLES)
    condition = _under(paths, "enterprise__grid__path") | _under(paths, "grid__path")
    if paths:
        condition |= Q(steward=user)
    firms = [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role in (Role.ENTERPRISE, Role.OBSERVER) and a.enterprise_id
    ]
    if firms:
        condition |= Q(enterprise_id__in=firms)
    return (
        Visit.objects.select_related("enterprise", "grid", "steward", "demand")
        .annotate(file_count=Count("files"))
        .filter(condition)
    )


def visit_detail(*, user: Any, visit_id: int) -> Visit:
    """Raises Visit.DoesNotExist for a visit outside the reader's scope."""
    return visits_visible_to(user).get(pk=visit_id)


def visit_list(
    *,
    user: Any,
    month: date | None = None,
    enterprise_id: int | None = None,
    query: str = "",
) -> QuerySet[Visit]:
    qs = visits_visible_to(user)
    if month is not None:
        qs = qs.filter(visited_on__gte=month_start(month), visited_on__lte=month_end(month))
    if enterprise_id is not None:
        qs = qs.filter(enterprise_id=enterprise_id)
    query = query.strip()
    if query:
        qs = qs.filter(Q(enterprise__name__icontains=query) | Q(enterprise__uscc=query.upper()))
    return qs.order_by("-visited_on", "-pk")


def files_of(visit: Visit) -> list[VisitFile]:
    return list(visit.files.order_by("pk"))


def visit_file_for(*, user: Any, file_id: int) -> VisitFile:
    """Raises VisitFile.DoesNotExist for a file of a visit outside the reader's scope."""
    visible = visits_visible_to(user).values("pk")
    return VisitFile.objects.select_related("visit").get(pk=file_id, visit_id__in=visible)


@dataclass
class Plan:
    month: date
    today: date
    rows: QuerySet[Any]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_current(self) -> bool:
        return month_start(self.today) == self.month


def month_plan(
    *, user: Any, month: date | None = None, status: str = "", on: date | None = None
) -> Plan:
    """The steward's firms for ``month`` with required and done visits and a status.

    ``rows`` is a queryset (one query, paginate it); ``counts`` holds the totals of each
    status and of all firms (one aggregate query).
    """
    on = on or today()
    month = month_start(month or on)
    qs = with_month(portfolio(user), month, on)
    counts = qs.aggregate(
        total=Count("pk"),
        due=Count("pk", filter=Q(status=Status.DUE)),
        overdue=Count("pk", filter=Q(status=Status.OVERDUE)),
        visited=Count("pk", filter=Q(status=Status.VISITED)),
    )
    rows = qs.annotate(
        last_visited_on=Subquery(
            Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__lte=month_end(month))
            .order_by("-visited_on")
            .values("visited_on")[:1]
        )
    )
    if status in Status.values:
        rows = rows.filter(status=status)
    rows = rows.order_by("status_rank", "name", "pk")
    return Plan(month=month, today=on, rows=rows, counts=counts)


def overdue_list(
    *, user: Any, month: date | None = None, region: Region | None = None, on: date | None = None
) -> QuerySet[Any]:
    """Firms in the reader's scope that are overdue in ``month`` (paginate it)."""
    on = on or today()
    month = month_start(month or on)
    qs = with_month(coverage_firms(user, region).select_related("grid"), month, on)
    return qs.filter(status=Status.OVERDUE).order_by("grid__path", "name", "pk")


@dataclass
class CoverageRow:
    key: Any
    label: str
    firms: int = 0
    met: int = 0
    overdue: int = 0
    visits: int = 0
    region: Region | None = None
    parent_label: str = ""
    #: where the row stands in the table (region path; a steward's first grid's path)
    order: str = ""

    @property
    def share(self) -> float:
        return self.met / self.firms if self.firms else 0.0

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f}"


@dataclass
class Coverage:
    month: date
    level: str
    rows: list[CoverageRow]
    total: CoverageRow


def _grid_figures(user: Any, month: date, on: date, region: Region | None) -> list[dict[str, Any]]:
    """One aggregate query: firms, firms with the requirement met, overdue firms, per grid."""
    qs = with_month(coverage_firms(user, region), month, on)
    return list(
        qs.order_by()
        .values("grid_id", "grid__path", "grid__name")
        .annotate(
            firms=Count("pk"),
            met=Count("pk", filter=Q(status=Status.VISITED)),
            overdue=Count("pk", filter=Q(status=Status.OVERDUE)),
        )
    )


def coverage(
    *,
    user: Any,
    month: date | None = None,
    level: str = Level.GRID,
    region: Region | None = None,
    on: date | None = None,
) -> Coverage:
    """The share of firms whose requirement for ``month`` was met, by steward, grid, town or
    district, over the firms now in the reader's scope (optionally within ``region``).

    Computed as one aggregate query per grid and rolled up (the rows are grids, not firms),
    plus one query for the regions or stewards named and one for the visits made: the number
    of queries does not grow with the number of firms.
    """
    on = on or today()
    month = month_start(month or on)
    level = level if level in Level.values else Level.GRID
    grids = _grid_figures(user, month, on, region)
    rows: dict[Any, CoverageRow] = {}
    visits_in_month = Visit.objects.filter(
        visited_on__gte=month,
        visited_on__lte=month_end(month),
        enterprise__in=coverage_firms(user, region).values("pk"),
    ).order_by()

    def add(row: CoverageRow, figures: dict[str, Any]) -> None:
        row.firms += figures["firms"]
        row.met += figures["met"]
        row.overdue += figures["overdue"]

    if level == Level.GRID:
        ids = [g["grid_id"] for g in grids]
        regions = Region.objects.select_related("parent").in_bulk(ids)
        for g in grids:
            grid = regions[g["grid_id"]]
            row = rows.setdefault(
                g["grid_id"],
                CoverageRow(
                    key=g["grid_id"],
                    label=g["grid__name"],
                    region=grid,
                    parent_label=grid.parent.name if grid.parent else "",
                ),
            )
            add(row, g)
        for v in visits_in_month.values("enterprise__grid_id").annotate(n=Count("pk")):
            if v["enterprise__grid_id"] in rows:
                rows[v["enterprise__grid_id"]].visits = v["n"]
    elif level in LEVEL_REGION:
        codes = {c for g in grids for c in _path_codes(g["grid__path"])}
        ancestors = {
            r.code: r
            for r in Region.objects.filter(code__in=codes, level=LEVEL_REGION[Level(level)])
        }
        for g in grids:
            found = [ancestors[c] for c in _path_codes(g["grid__path"]) if c in ancestors]
            if not found:
                continue
            ancestor = found[0]
            row = rows.setdefault(
                ancestor.pk, CoverageRow(key=ancestor.pk, label=ancestor.name, region=ancestor)
            )
            add(row, g)
        by_path = {r.path: r.pk for r in ancestors.values()}
        for v in visits_in_month.values("enterprise__grid__path").annotate(n=Count("pk")):
            for p, pk in by_path.items():
                if v["enterprise__grid__path"].startswith(p) and pk in rows:
                    rows[pk].visits += v["n"]
    else:
        # stewards: the grids each holds (a grid shared by two stewards counts for both)
        codes = {c for g in grids for c in _path_codes(g["grid__path"])}
        assignments = (
            RoleAssignment.objects.filter(role=Role.STEWARD, region__code__in=codes)
            .select_related("user", "region")
            .order_by("user__display_name", "user__username", "pk")
        )
        held: dict[Any, dict[Any, dict[str, Any]]] = {}
        for a in assignments:
            assert a.region is not None
            mine = held.setdefault(a.user_id, {})
            for g in grids:
                if g["grid__path"].startswith(a.region.path):
                    mine[g["grid_id"]] = g
            rows.setdefault(a.user_id, CoverageRow(key=a.user_id, label=str(a.user)))
        for user_id, figures in held.items():
            row = rows[user_id]
            for g in figures.values():
                add(row, g)
            paths = sorted(g["grid__path"] for g in figures.values())
            row.order = paths[0] if paths else ""
            row.parent_label = "、".join(
                g["grid__name"] for g in sorted(figures.values(), key=lambda g: g["grid__path"])
            )
        for v in visits_in_month.values("steward_id").annotate(n=Count("pk")):
            if v["steward_id"] in rows:
                rows[v["steward_id"]].visits = v["n"]
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.region.path if r.region else r.order, r.label, str(r.key)),
    )
    total = CoverageRow(key=None, label=_("合计"))
    for g in grids:
        add(total, g)
    total.visits = visits_in_month.count()
    return Coverage(month=month, level=level, rows=ordered, total=total)


@dataclass
class HistoryRow:
    month: date
    firms: int
    met: int
    visits: int

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def share(self) -> float:
        return self.met / self.firms if self.firms else 0.0

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f}"


def history(
    *,
    user: Any,
    months: int = 12,
    until: date | None = None,
    region: Region | None = None,
    firms: QuerySet[Enterprise] | None = None,
) -> list[HistoryRow]:
    """Coverage month by month (oldest first) over the firms now in scope: two queries."""
    until = month_start(until or today())
    span = months_back(until, months)
    base = firms if firms is not None else coverage_firms(user, region)
    aliases = {f"d{i}": done_expression(m) for i, m in enumerate(span)}
    figures = (
        base.order_by()
        .annotate(required=required_expression(), **aliases)
        .aggregate(
            firms=Count("pk"),
            **{
                f"m{i}": Count("pk", filter=Q(**{f"d{i}__gte": F("required")}))
                for i in range(len(span))
            },
        )
    )
    counts = {
        row["month"]: row["n"]
        for row in Visit.objects.filter(
            enterprise__in=base.values("pk"),
            visited_on__gte=span[0],
            visited_on__lte=month_end(until),
        )
        .annotate(month=TruncMonth("visited_on"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }
    return [
        HistoryRow(
            month=m,
            firms=figures["firms"],
            met=figures[f"m{i}"],
            visits=counts.get(m, 0),
        )
        for i, m in enumerate(span)
    ]


def upcoming_meetings(user: Any, *, limit: int = 5) -> list[Meeting]:
    """Meetings to come that the user is invited to or organises (read-only here)."""
    invited = Invitation.objects.filter(user=user).values("meeting_id")
    return list(
        Meeting.objects.filter(Q(pk__in=invited) | Q(organizer=user))
        .filter(starts_at__gt=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("region")
        .order_by("starts_at", "pk")[:limit]
    )


def open_demands_of_portfolio(user: Any) -> QuerySet[Any]:
    """Open demands of the steward's firms, nearest resolution deadline first."""
    from qinqing.demands.selectors import demands_visible_to
    from qinqing.demands.workflow import OPEN_STATES

    return (
        demands_visible_to(user)
        .filter(state__in=OPEN_STATES, enterprise__in=portfolio(user).values("pk"))
        .order_by("resolve_due_at", "pk")
    )


def regions_for_rules(user: Any) -> QuerySet[Region]:
    """Regions whose rule the user may set (a coordinator's subtree, grids included)."""
    paths = role_paths(user, Role.COORDINATOR)
    return Region.objects.filter(_under(paths, "path")).order_by("path")


def rules_in_scope(user: Any) -> QuerySet[VisitRule]:
    paths = role_paths(user, *COVERAGE_ROLES)
    codes = {c for p in paths for c in _path_codes(p)}
    return (
        VisitRule.objects.filter(_under(paths, "region__path") | Q(region__code__in=codes))
        .select_related("region")
        .order_by("region__path")
    )


def key_firms_in_scope(user: Any) -> QuerySet[KeyFirm]:
    return (
        KeyFirm.objects.filter(enterprise__in=coverage_firms(user).values("pk"))
        .select_related("enterprise", "enterprise__grid")
        .order_by("enterprise__name", "pk")
    )


# --- services --------------------------------------------------------------------------------
FILE_FIELD = "files"


FILE_KINDS: dict[str, FileKind] = accepting(JPEG, PNG, WEBP, PDF)
#: for the file picker's ``accept`` attribute
ACCEPT = ",".join(FILE_KINDS)


def files_hint() -> str:
    return _("可上传照片（JPG、PNG、WebP）或PDF，每个不超过%(size)s，最多%(n)d个。") % {
        "size": filesizeformat(max_file_bytes()),
        "n": MAX_FILES,
    }


def _refuse(field_name: str, message: str) -> ServiceError:
    return UploadRefused(message, field_errors={field_name: [message]})


def _display_name(raw: str) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext)] + ext
    return name or _("附件")


def check_file(upload: UploadedFile) -> tuple[str, str, FileKind]:
    """(display name, extension, kind) of an acceptable photo or PDF; ServiceError if not.

    The extension must name one of the kinds of ``FILE_KINDS`` and the content be a sound
    file of that kind by its structure (``common.files.inspect``).
    """
    name = _display_name(upload.name or "")
    ext = os.path.splitext(name)[1].lower()
    kind = FILE_KINDS.get(ext)
    if kind is None:
        raise _refuse(
            FILE_FIELD,
            _("“%(name)s”不能上传：只能上传照片（JPG、PNG、WebP）或PDF文件。") % {"name": name},
        )
    size = upload.size or 0
    if size == 0:
        raise _refuse(FILE_FIELD, _("“%(name)s”是空文件。") % {"name": name})
    if size > max_file_bytes():
        raise _refuse(
            FILE_FIELD,
            _("“%(name)s”有%(size)s，超过了每个文件%(limit)s的上限。")
            % {
                "name": name,
                "size": filesizeformat(size),
                "limit": filesizeformat(max_file_bytes()),
            },
        )
    inspect(upload, kind, name=name, field=FILE_FIELD)
    return name, ext, kind


def _clean_text(values: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    limits = {
        "met_person": (64, _("接待人不超过64字。")),
        "topics": (5000, _("交流内容不超过5000字。")),
        "policies_explained": (2000, _("宣讲政策不超过2000字。")),
        "problems": (5000, _("发现问题不超过5000字。")),
    }
    cleaned = {k: (v or "").strip() for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    for name, (limit, message) in limits.items():
        if len(cleaned.get(name, "")) > limit:
            errors[name] = [message]
    return cleaned, errors


def _demand_channel(actor: Any, enterprise: Enterprise) -> str:
    """``visit`` when the demand rules accept it for the actor, else their own channel."""
    from qinqing.demands.models import Channel
    from qinqing.demands.permissions import submit_channels

    allowed = submit_channels(actor, enterprise)
    if Channel.VISIT in allowed:
        return Channel.VISIT
    if Channel.STEWARD in allowed:
        return Channel.STEWARD
    if allowed:
        return allowed[0]
    raise NotPermitted(_("您不能为该企业提交诉求。"))


def demand_title(problems: str) -> str:
    first = next((line.strip() for line in problems.splitlines() if line.strip()), "")
    title = _("走访发现：%(p)s") % {"p": first}
    return title if len(title) <= 60 else title[:59] + "…"


@transaction.atomic
def visit_log(
    *,
    actor: Any,
    enterprise: Enterprise,
    visited_on: date | None,
    met_person: str = "",
    topics: str = "",
    policies_explained: str = "",
    problems: str = "",
    files: Sequence[UploadedFile] = (),
    raise_demand: bool = False,
    category: Any = None,
) -> Visit:
    """Log a visit; with ``raise_demand`` the problems found become a demand for the firm, in
    the same transaction, linked to the visit. All or nothing: a refused file or demand leaves
    no visit behind."""
    firm = Enterprise.objects.select_for_update().select_related("grid").get(pk=enterprise.pk)
    if not can_log(actor, firm):
        raise NotPermitted(_("您不能为该企业记录走访。"))
    text, errors = _clean_text(
        {
            "met_person": met_person,
            "topics": topics,
            "policies_explained": policies_explained,
            "problems": problems,
        }
    )
    now_day = today()
    if visited_on is None:
        errors["visited_on"] = [_("请填写走访日期。")]
    elif visited_on > now_day:
        errors["visited_on"] = [_("走访日期不能晚于今天。")]
    elif visited_on < now_day - timedelta(days=MAX_DAYS_BACK):
        errors["visited_on"] = [
            _("只能补记%(n)d天内的走访（最早%(d)s）。")
            % {"n": MAX_DAYS_BACK, "d": (now_day - timedelta(days=MAX_DAYS_BACK)).isoformat()}
        ]
    if not text["topics"] and not text["problems"]:
        errors["topics"] = [_("请填写交流内容。")]
    if raise_demand:
        if len(text["problems"]) < 5:
            errors["problems"] = [_("转为诉求时请具体描述发现的问题（至少5个字）。")]
        if category is None:
            errors["category"] = [_("转为诉求时请选择诉求类别。")]
        elif not category.active:
            errors["category"] = [_("该类别已停用，请选择其他类别。")]
    uploads = [f for f in files if f is not None]
    if len(uploads) > MAX_FILES:
        errors[FILE_FIELD] = [
            _("最多上传%(n)d个文件，您选择了%(m)d个。") % {"n": MAX_FILES, "m": len(uploads)}
        ]
    checked: list[tuple[UploadedFile, str, str, FileKind]] = []
    if FILE_FIELD not in errors:
        refused: list[ServiceError] = []
        for u in uploads:
            try:
                checked.append((u, *check_file(u)))
            except ServiceError as exc:
                refused.append(exc)
        if refused:
            errors.update(together(refused, field=FILE_FIELD, count=len(uploads)).field_errors)
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert visited_on is not None
    if Visit.objects.filter(
        enterprise=firm, steward=actor, visited_on=visited_on, topics=text["topics"]
    ).exists():
        raise Conflict(_("这次走访已经记录过了。"))
    visit = Visit.objects.create(
        enterprise=firm,
        grid=firm.grid,
        steward=actor,
        visited_on=visited_on,
        **text,
    )
    if raise_demand:
        from qinqing.demands.services import demand_submit

        description = _("%(p)s\n\n（%(d)s走访发现，接待人：%(m)s）") % {
            "p": text["problems"],
            "d": visited_on.isoformat(),
            "m": text["met_person"] or _("未填写"),
        }
        try:
            demand = demand_submit(
                actor=actor,
                enterprise=firm,
                category=category,
                title=demand_title(text["problems"]),
                description=description[:5000],
                channel=_demand_channel(actor, firm),
            )
        except ServiceError as exc:
            moved = {
                ("problems" if k in ("title", "description") else k): v
                for k, v in exc.field_errors.items()
            }
            raise type(exc)(exc.message, field_errors=moved) from exc
        visit.demand = demand
        visit.save(update_fields=["demand"])
    saved: list[VisitFile] = []
    try:
        for upload, name, ext, kind in checked:
            item = VisitFile(
                visit=visit, name=name, size=upload.size or 0, content_type=kind.content_type
            )
            item.file.save(f"{uuid4().hex}{ext}", upload, save=False)
            saved.append(item)
            item.save()
        record(
            actor=actor,
            action="visit.log",
            obj=visit,
            role=primary_role(actor),
            changes={
                "enterprise": firm.pk,
                "grid": firm.grid_id,
                "visited_on": visited_on.isoformat(),
                "demand": visit.demand.number if visit.demand else None,
                "files": len(saved),
            },
        )
    except BaseException:
        for item in saved:
            item.file.delete(save=False)
        raise

    return visit


def _rule_value(value: Any, field_name: str, errors: dict[str, list[str]]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field_name] = [_("请填写1到10之间的整数。")]
        return 0
    if not 1 <= number <= MAX_VISITS_PER_MONTH:
        errors[field_name] = [_("请填写1到10之间的整数。")]
    return number


@transaction.atomic
def visit_rule_set(
    *, actor: Any, region: Region, visits_per_month: Any, key_firm_visits_per_month: Any
) -> VisitRule:
    """Set the visit rule of ``region`` (a coordinator of the region or of a region above)."""
    if not can_set_rule(actor, region):
        raise NotPermitted(_("您不能设置该区域的走访规则。"))
    errors: dict[str, list[str]] = {}
    normal = _rule_value(visits_per_month, "visits_per_month", errors)
    key = _rule_value(key_firm_visits_per_month, "key_firm_visits_per_month", errors)
    if not errors and key < normal:
        errors["key_firm_visits_per_month"] = [_("重点企业的走访次数不能少于一般企业。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    existing = VisitRule.objects.select_for_update().filter(region=region).first()
    before = (
        {"visits": existing.visits_per_month, "key": existing.key_firm_visits_per_month}
        if existing
        else None
    )
    rule, _created = VisitRule.objects.update_or_create(
        region=region,
        defaults={"visits_per_month": normal, "key_firm_visits_per_month": key},
    )
    record(
        actor=actor,
        action="visit.rule_set",
        obj=rule,
        role=primary_role(actor),
        changes={
            "region": region.code,
            "before": before,
            "after": {"visits": normal, "key": key},
        },
    )
    return rule


@transaction.atomic
def visit_rule_remove(*, actor: Any, region: Region) -> None:
    """Remove ``region``'s own rule: the next rule up the tree applies again."""
    if not can_set_rule(actor, region):
        raise NotPermitted(_("您不能设置该区域的走访规则。"))
    rule = VisitRule.objects.select_for_update().filter(region=region).first()
    if rule is None:
        return
    record(
        actor=actor,
        action="visit.rule_set",
        obj=rule,
        role=primary_role(actor),
        changes={
            "region": region.code,
            "before": {"visits": rule.visits_per_month, "key": rule.key_firm_visits_per_month},
            "after": None,
        },
    )
    rule.delete()


@transaction.atomic
def key_firm_set(
    *, actor: Any, enterprise: Enterprise, is_key: bool, reason: str = ""
) -> KeyFirm | None:
    """List a firm as a key firm (more visits a month) or take it off the list."""
    if not can_set_rule(actor, enterprise.grid):
        raise NotPermitted(_("您不能设置该企业是否为重点企业。"))
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise _refuse("reason", _("原因不超过200字。"))
    current = KeyFirm.objects.select_for_update().filter(enterprise=enterprise).first()
    if is_key:
        if current is None:
            current = KeyFirm.objects.create(enterprise=enterprise, reason=reason)
        elif reason and current.reason != reason:
            current.reason = reason
            current.save(update_fields=["reason"])
    elif current is not None:
        current.delete()
        current = None
    record(
        actor=actor,
        action="visit.key_firm_set",
        obj=enterprise,
        role=primary_role(actor),
        changes={"key_firm": is_key, "reason": reason},
    )
    return current


def file_download_record(*, actor: Any, item: VisitFile) -> None:
    """An access entry when staff other than the visit's author open a visit's file."""
    if item.visit.steward_id == getattr(actor, "pk", None):
        return
    with transaction.atomic():
        record(
            actor=actor,
            action="visit.file_download",
            obj=item.visit,
            role=primary_role(actor),
            changes={"file": item.pk, "name": item.name},
        )


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""
