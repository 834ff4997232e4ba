"""Every exemption read, scoped to the reader; the statistics and the health-index facts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Region

from .models import Application, Case, Evidence, Outcome
from .permissions import application_scope, may_read_library, supervisor_paths
from .workflow import OPEN_STATES, State

#: the three distinctions (三个严格区分开来) as paired questions: which side the facts fall
DISTINCTION_QUESTIONS: dict[str, dict[str, Any]] = {
    "d1": {
        "title": _("区分一：改革探索中的失误，还是明知故犯"),
        "tolerable": _("因缺乏经验、先行先试出现的失误"),
        "intolerable": _("明知故犯的违纪违法行为"),
    },
    "d2": {
        "title": _("区分二：上级尚无明确限制的探索，还是上级明令禁止后依然我行我素"),
        "tolerable": _("上级尚无明确限制的探索性试验中的失误"),
        "intolerable": _("上级明令禁止后依然我行我素的违纪违法行为"),
    },
    "d3": {
        "title": _("区分三：为推动发展的无意过失，还是为谋取私利的违纪违法"),
        "tolerable": _("为推动发展的无意过失"),
        "intolerable": _("为谋取私利的违纪违法行为"),
    },
}
FACTOR_LABELS: dict[str, Any] = {
    "due_procedure": _("决策履行了规定程序"),
    "collective_decision": _("经集体研究决定"),
    "no_private_gain": _("未谋取私利"),
    "loss_limited": _("损失已挽回或控制"),
    "prompt_correction": _("及时纠正"),
}


# --- applications -----------------------------------------------------------------------------
def applications_visible_to(user: Any) -> QuerySet[Application]:
    return Application.objects.select_related(
        "applicant", "filed_by", "region", "enterprise", "assessor"
    ).filter(application_scope(user))


def application_detail(*, user: Any, application_id: int) -> Application:
    """Raises Application.DoesNotExist for an application outside the reader's scope."""
    return (
        applications_visible_to(user)
        .select_related("department", "signed_off_by", "appeal_reviewer", "accepted_by")
        .get(pk=application_id)
    )


def application_list(
    *, user: Any, state: str = "", outcome: str = "", q: str = "", overdue: bool = False
) -> QuerySet[Application]:
    qs = applications_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if q:
        qs = qs.filter(
            Q(number__icontains=q) | Q(matter__icontains=q) | Q(applicant__display_name=q)
        )
    if overdue:
        from django.utils import timezone

        now = timezone.now()
        qs = qs.filter(
            Q(state=State.SUBMITTED, accept_due_at__lt=now)
            | Q(state__in=[State.ACCEPTED, State.ASSESSED], decide_due_at__lt=now)
            | Q(state=State.APPEALED, appeal_decide_due_at__lt=now)
        )
    return qs.order_by("-submitted_at", "-pk")


def review_queue(*, user: Any) -> QuerySet[Application]:
    """Open applications of the supervisor's regions, nearest deadline first."""
    condition = Q(pk__in=[])
    for path in supervisor_paths(user):
        condition |= Q(region_path__startswith=path)
    return (
        Application.objects.select_related("applicant", "region", "assessor")
        .filter(condition, state__in=OPEN_STATES)
        .order_by("accept_due_at", "pk")
    )


def evidence_of(application: Application) -> list[Evidence]:
    return list(application.evidence.select_related("uploaded_by").order_by("created_at", "pk"))


def evidence_for(*, user: Any, evidence_id: int) -> Evidence:
    """Raises Evidence.DoesNotExist for a file of an application outside the reader's scope."""
    visible = Application.objects.filter(application_scope(user)).values("pk")
    return Evidence.objects.select_related("application").get(
        pk=evidence_id, application_id__in=visible
    )


# --- the case library -------------------------------------------------------------------------
def cases_published(
    *, user: Any, q: str = "", outcome: str = "", distinction: str = ""
) -> QuerySet[Case]:
    """Published cases, full-text search over the anonymised title and text."""
    if not may_read_library(user):
        return Case.objects.none()
    qs = Case.objects.filter(published_at__isnull=False)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(title__icontains=word) | Q(text__icontains=word))
    if outcome:
        qs = qs.filter(outcome=outcome)
    if distinction:
        qs = _with(qs, distinction)
    return qs.order_by("-published_at", "-pk")


def _with(qs: QuerySet[Case], distinction: str) -> QuerySet[Case]:
    """Cases whose applied distinctions include ``distinction`` (portable: JSON as text)."""
    return qs.filter(distinctions__icontains=f'"{distinction}"')


def case_detail(*, user: Any, case_id: int) -> Case:
    return cases_published(user=user).get(pk=case_id)


def case_drafts(*, user: Any) -> QuerySet[Case]:
    condition = Q(pk__in=[])
    for path in supervisor_paths(user):
        condition |= Q(application__region_path__startswith=path)
    return (
        Case.objects.filter(condition, published_at__isnull=True)
        .select_related("application")
        .order_by("-created_at")
    )


# --- statistics ---------------------------------------------------------------------------------
def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


@dataclass
class StatRow:
    key: str
    label: str
    applications: int = 0
    decided: int = 0
    exempt: int = 0
    reduced: int = 0
    not_exempt: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None


def _region_key(path: str, depth: int) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    return parts[min(depth, len(parts)) - 1] if parts else ""


def statistics_for(
    *, user: Any, start: date, end: date, by: str = "region"
) -> tuple[list[StatRow], StatRow]:
    """Applications filed and decisions made in [start, end) in the supervisor's regions, by
    region one level below the supervisor's, or by month."""
    paths = supervisor_paths(user)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(region_path__startswith=path)
    lo, hi = _moment(start), _moment(end)
    rows = Application.objects.filter(condition).filter(
        Q(submitted_at__gte=lo, submitted_at__lt=hi) | Q(decided_at__gte=lo, decided_at__lt=hi)
    )
    values = rows.values_list(
        "region_path", "submitted_at", "decided_at", "outcome", "days_to_decide"
    )
    depth = min((len([p for p in path.strip("/").split("/") if p]) for path in paths), default=1)
    depth += 1
    groups: dict[str, StatRow] = {}
    total = StatRow("", str(_("合计")))

    def key_of(path: str, moment: datetime) -> str:
        if by == "month":
            return f"{moment.astimezone(SHANGHAI):%Y-%m}"
        return _region_key(path, depth)

    for path, submitted, decided, outcome, days in values:
        if lo <= submitted < hi:
            key = key_of(path, submitted)
            groups.setdefault(key, StatRow(key, key)).applications += 1
            total.applications += 1
        if decided is not None and lo <= decided < hi:
            key = key_of(path, decided)
            row = groups.setdefault(key, StatRow(key, key))
            for target in (row, total):
                target.decided += 1
                if outcome == Outcome.EXEMPT:
                    target.exempt += 1
                elif outcome == Outcome.REDUCED:
                    target.reduced += 1
                else:
                    target.not_exempt += 1
                if days is not None:
                    target.days.append(days)
    if by != "month":
        names = dict(Region.objects.filter(code__in=groups).values_list("code", "name"))
        for key, row in groups.items():
            row.label = names.get(key, key)
    return sorted(groups.values(), key=lambda r: r.key), total


# --- the health index -------------------------------------------------------------------------
def index_facts(*, start: date, end: date) -> list[tuple[str, str, float]]:
    """Facts for the health index, one row per event, keyed by the applicant's region path:
    ``exemption.applications`` (1 per application filed in [start, end)),
    ``exemption.decided`` and ``exemption.exempted`` (1 per decision in the period, the latter
    only when the decision exempted), ``exemption.days_to_decide`` (working days from filing
    to decision, per decision)."""
    lo, hi = _moment(start), _moment(end)
    facts: list[tuple[str, str, float]] = []
    filed = Application.objects.filter(submitted_at__gte=lo, submitted_at__lt=hi)
    for path in filed.values_list("region_path", flat=True).order_by("pk"):
        facts.append((path, "exemption.applications", 1.0))
    decided = Application.objects.filter(decided_at__gte=lo, decided_at__lt=hi).order_by("pk")
    for path, outcome, days in decided.values_list("region_path", "outcome", "days_to_decide"):
        facts.append((path, "exemption.decided", 1.0))
        if outcome == Outcome.EXEMPT:
            facts.append((path, "exemption.exempted", 1.0))
        facts.append((path, "exemption.days_to_decide", float(days or 0)))
    return facts


# --- people to choose from ----------------------------------------------------------------------
def applicants_for(user: Any) -> list[tuple[int, str]]:
    """The colleagues ``user`` may apply for (coordinators: their region; handlers: their
    department; supervisors: their region, during an investigation)."""
    from qinqing.accounts.models import Role, RoleAssignment
    from qinqing.accounts.scopes import assignments_of

    from .permissions import APPLICANT_ROLES

    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role in (Role.COORDINATOR, Role.SUPERVISOR) and a.region:
            condition |= Q(region__path__startswith=a.region.path) | Q(
                department__region__path__startswith=a.region.path
            )
        elif a.role == Role.HANDLER and a.department_id:
            condition |= Q(department_id=a.department_id)
    rows = (
        RoleAssignment.objects.filter(condition, role__in=list(APPLICANT_ROLES))
        .exclude(user_id=getattr(user, "pk", 0) or 0)
        .select_related("user")
        .order_by("user__username")
    )
    people: dict[int, str] = {}
    for a in rows:
        people.setdefault(a.user_id, f"{a.user} ({a.get_role_display()})")
    return list(people.items())


def assessor_choices(application: Application) -> list[tuple[int, str]]:
    """Supervisors of the application's region who have no conflict with it."""
    from qinqing.accounts.models import Role, RoleAssignment

    from .permissions import may_judge

    parts = [p for p in application.region_path.strip("/").split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    rows = RoleAssignment.objects.filter(
        role=Role.SUPERVISOR, region__path__in=ancestors
    ).select_related("user")
    seen: dict[int, str] = {}
    for a in rows:
        if a.user_id not in seen and may_judge(a.user, application):
            seen[a.user_id] = str(a.user)
    return list(seen.items())
