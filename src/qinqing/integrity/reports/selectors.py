"""Every read about reports: permission-scoped lists of metadata, the retaliation watch, the
health-index facts. Nothing here decrypts (that is ``services.report_open``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Demand, DemandEvent, Satisfaction
from qinqing.directory.models import Enterprise

from . import conf
from .models import Assignment, IntegrityNote, KeyShare, Report
from .permissions import note_scope, report_scope
from .workflow import OPEN_STATES, Outcome, State, supervisor_paths


def reports_visible_to(user: Any) -> QuerySet[Report]:
    return Report.objects.filter(report_scope(user)).select_related("region")


def report_list(
    *,
    user: Any,
    state: str = "",
    category: str = "",
    overdue: bool = False,
    mine: bool = False,
    q: str = "",
) -> QuerySet[Report]:
    qs = reports_visible_to(user).annotate(assignee_count=Count("assignments", distinct=True))
    if state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category=category)
    if overdue:
        qs = qs.filter(overdue=True, state__in=OPEN_STATES)
    if mine:
        qs = qs.filter(assignments__supervisor=user)
    if q:
        qs = qs.filter(number__icontains=q.strip())
    return qs.order_by("-received_at", "-pk")


def report_detail(*, user: Any, report_id: int) -> Report:
    return (
        reports_visible_to(user)
        .prefetch_related("assignments__supervisor", "responsible_links__user")
        .get(pk=report_id)
    )


# --- who was found responsible (clear metadata) ---------------------------------------------
#: roles of the people a substantiated finding may name: those who act for firms
RESPONSIBLE_ROLES = (Role.OFFICIAL, Role.HANDLER, Role.STEWARD, Role.COORDINATOR)


def responsible_candidates(user: Any) -> QuerySet[User]:
    """The platform users a supervisor may record as found responsible: active holders of
    a working role (official, handler, steward, coordinator) whose region, or whose
    department's region, lies in the supervisor's own region subtree."""
    condition = Q(pk__in=[])
    for path in supervisor_paths(user):
        condition |= Q(region__path__startswith=path) | Q(department__region__path__startswith=path)
    held = RoleAssignment.objects.filter(condition, role__in=RESPONSIBLE_ROLES).values("user_id")
    return User.objects.filter(pk__in=held, is_active=True).order_by("display_name", "username")


def responsible_of(report: Report) -> list[Any]:
    """The users recorded as found responsible for ``report`` (prefetched by report_detail)."""
    return [link.user for link in report.responsible_links.all()]


@dataclass(frozen=True)
class PriorReport:
    """What the exemption check may know of a substantiated report: metadata, no content."""

    number: str
    concluded_on: date
    region: str
    serious: bool
    reviewed: bool

    def describe(self) -> str:
        parts = [
            self.number,
            _("%(day)s 查实") % {"day": self.concluded_on.isoformat()},
            self.region,
        ]
        if self.serious:
            parts.append(_("情节严重"))
        if not self.reviewed:
            parts.append(_("结论尚待复核办结"))
        return " · ".join(parts)


def substantiated_reports_against(*, user: Any) -> list[PriorReport]:
    """Reports concluded substantiated that recorded ``user`` as found responsible, newest
    first: number, day of the finding (Asia/Shanghai), region, serious, and whether a second
    supervisor has closed it. Not scoped to a reader: the caller (the exemption checks)
    shows it only to those who may judge the user's case. One query, nothing decrypted."""
    if user is None or getattr(user, "pk", None) is None:
        return []
    rows = (
        Report.objects.filter(
            responsible_links__user_id=user.pk,
            outcome=Outcome.SUBSTANTIATED,
            state__in=[State.CONCLUDED, State.CLOSED],
        )
        .select_related("region")
        .order_by("-concluded_at", "-pk")
        .distinct()
    )
    return [
        PriorReport(
            number=r.number,
            concluded_on=timezone.localtime(r.concluded_at, SHANGHAI).date(),  # type: ignore[arg-type]
            region=r.region.name,
            serious=r.serious,
            reviewed=r.state == State.CLOSED,
        )
        for r in rows
    ]


def events_of(report: Report) -> list[Any]:
    return list(report.events.select_related("actor").order_by("created_at", "pk"))


def openable_ids(*, user: Any, key_id: int | None, report_ids: list[int]) -> set[int]:
    """Which of these reports the user's unlocked key opens (one query)."""
    if key_id is None:
        return set()
    return set(
        KeyShare.objects.filter(
            report_id__in=report_ids, purpose="content", supervisor_key_id=key_id
        ).values_list("report_id", flat=True)
    )


def unreadable_count(*, user: Any) -> int:
    """Open reports in the user's scope that no supervisor key opens (need recovery)."""
    with_share = KeyShare.objects.filter(holder="supervisor", supervisor_key__active=True).values(
        "report_id"
    )
    return reports_visible_to(user).filter(state__in=OPEN_STATES).exclude(pk__in=with_share).count()


def notes_visible_to(user: Any, *, tone: str = "") -> QuerySet[IntegrityNote]:
    qs = IntegrityNote.objects.filter(note_scope(user)).select_related(
        "author", "enterprise", "region"
    )
    if tone:
        qs = qs.filter(tone=tone)
    return qs.order_by("-created_at", "-pk")


def assignees_of(report: Report) -> list[Assignment]:
    return list(report.assignments.select_related("supervisor").order_by("assigned_at"))


# --- statistics on metadata only -----------------------------------------------------------
def counts_by_state(*, user: Any) -> dict[str, int]:
    rows = reports_visible_to(user).values("state").annotate(n=Count("pk")).order_by()
    return {r["state"]: r["n"] for r in rows}


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def index_facts(*, start: date, end: date) -> list[tuple[str, str, float]]:
    """Facts for the health index over [start, end) (dates in Asia/Shanghai): one row per
    report received, per report concluded substantiated, and per substantiated one marked
    serious, keyed by the report's region path."""
    lo, hi = _start(start), _start(end)
    facts: list[tuple[str, str, float]] = []
    for path in Report.objects.filter(received_at__gte=lo, received_at__lt=hi).values_list(
        "region_path", flat=True
    ):
        facts.append((path, "reports.received", 1.0))
    for path, serious in Report.objects.filter(
        outcome=Outcome.SUBSTANTIATED, concluded_at__gte=lo, concluded_at__lt=hi
    ).values_list("region_path", "serious"):
        facts.append((path, "reports.substantiated", 1.0))
        if serious:
            facts.append((path, "reports.serious_substantiated", 1.0))
    return facts


# --- retaliation watch ---------------------------------------------------------------------
@dataclass(frozen=True)
class Watch:
    report: Report
    firm: Enterprise
    before: int
    after: int
    flagged: bool


def _months(n: int) -> timedelta:
    return timedelta(days=round(30.44 * n))


def retaliation_watch(
    *, user: Any, now: datetime | None = None, flagged_only: bool = False
) -> list[Watch]:
    """Each report with a protected firm, with the firm's adverse demand outcomes (returned
    by a department, or closed with the firm unsatisfied) in the N months before the report
    and after it; flagged when ``after ≥ MIN`` and ``after ≥ RATIO × before``. Two queries."""
    moment = now or timezone.now()
    months = _months(conf.get("REPORTS_RETALIATION_MONTHS"))
    reports = list(
        reports_visible_to(user)
        .filter(protected_firm__isnull=False)
        .select_related("protected_firm")
        .order_by("-received_at")
    )
    if not reports:
        return []
    firms = {r.protected_firm_id for r in reports}
    earliest = min(r.received_at for r in reports) - months
    stamps: dict[int, list[datetime]] = defaultdict(list)
    returned = DemandEvent.objects.filter(
        action="return", demand__enterprise_id__in=firms, created_at__gte=earliest
    ).values_list("demand__enterprise_id", "created_at")
    unsatisfied = Demand.objects.filter(
        enterprise_id__in=firms,
        satisfaction=Satisfaction.UNSATISFIED,
        closed_at__gte=earliest,
    ).values_list("enterprise_id", "closed_at")
    for firm_id, at in [*returned, *unsatisfied]:
        if at is not None:
            stamps[firm_id].append(at)
    minimum, ratio = conf.get("REPORTS_RETALIATION_MIN"), conf.get("REPORTS_RETALIATION_RATIO")
    result = []
    for r in reports:
        times = stamps.get(r.protected_firm_id or 0, [])
        before = sum(1 for t in times if r.received_at - months <= t < r.received_at)
        after = sum(1 for t in times if r.received_at <= t < min(moment, r.received_at + months))
        flagged = after >= minimum and after >= ratio * before
        if flagged or not flagged_only:
            result.append(Watch(r, r.protected_firm, before, after, flagged))  # type: ignore[arg-type]
    return result


def open_in_scope(user: Any) -> Q:
    return Q(state__in=OPEN_STATES) & report_scope(user)
