"""Every read of 廉情监督, scoped to the reader; no N+1 (pages prefetch what they show)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.common.workdays import SHANGHAI

from . import permissions
from .models import (
    CleanAnswer,
    CleanAssessment,
    CleanCriterion,
    ConductItem,
    Filing,
    FilingMatch,
    FilingStatus,
    Gift,
    GiftHandling,
    Outcome,
)
from .services import in_force, today


# --- conduct lists --------------------------------------------------------------------------------
def items_in_force(on: date | None = None) -> QuerySet[ConductItem]:
    return ConductItem.objects.filter(in_force(on or today())).order_by(
        "list_kind", "position", "code"
    )


def item_versions(code: str) -> QuerySet[ConductItem]:
    return ConductItem.objects.filter(code=code).select_related("created_by").order_by("-version")


# --- filings --------------------------------------------------------------------------------------
def _under(paths: list[str], field_name: str) -> Q:
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(**{f"{field_name}__startswith": p})
    return condition


def filings_visible_to(user: Any) -> QuerySet[Filing]:
    """The filer's own filings; a supervisor's or coordinator's region subtree. Nobody else."""
    if not getattr(user, "is_authenticated", False):
        return Filing.objects.none()
    paths = permissions.region_paths(user, *permissions.SUPERIOR_ROLES)
    return Filing.objects.filter(Q(filer=user) | _under(paths, "region__path")).select_related(
        "filer", "region", "decided_by"
    )


def filing_list(
    *,
    user: Any,
    filer_id: int | None = None,
    firm_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    outcome: str = "",
    status: str = "",
) -> QuerySet[Filing]:
    """Visible filings with the register's filters (period ``[start, end]``), newest first;
    firms and matched item codes prefetched."""
    qs = filings_visible_to(user)
    if filer_id:
        qs = qs.filter(filer_id=filer_id)
    if firm_id:
        qs = qs.filter(firms__id=firm_id)
    if start:
        qs = qs.filter(contact_date__gte=start)
    if end:
        qs = qs.filter(contact_date__lte=end)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related(
        "firms", Prefetch("matches", queryset=FilingMatch.objects.select_related("item"))
    ).order_by("-contact_date", "-pk")


def filing_detail(*, user: Any, filing_id: int) -> Filing:
    """One visible filing with its firms, gifts and matched items (DoesNotExist otherwise)."""
    return (
        filings_visible_to(user)
        .prefetch_related(
            "firms",
            "gifts",
            Prefetch("matches", queryset=FilingMatch.objects.select_related("item")),
        )
        .get(pk=filing_id)
    )


def approvals_for(user: Any) -> QuerySet[Filing]:
    """Filings waiting for this superior's decision (never their own)."""
    paths = permissions.region_paths(user, *permissions.SUPERIOR_ROLES)
    if not paths:
        return Filing.objects.none()
    return (
        filing_list(user=user, status=FilingStatus.PENDING)
        .exclude(filer=user)
        .order_by("contact_date", "pk")
    )


def filers_in_scope(user: Any) -> QuerySet[Any]:
    """The people whose filings the reader may see (for the register's filter)."""
    from qinqing.accounts.models import User

    return (
        User.objects.filter(pk__in=filings_visible_to(user).values("filer_id"))
        .only("pk", "username", "display_name")
        .order_by("display_name", "username")
    )


def gifts_handed_in(
    *, user: Any, start: date | None = None, end: date | None = None
) -> QuerySet[Gift]:
    """礼品上交登记: gifts handed in, on the visible filings, by hand-in date."""
    qs = Gift.objects.filter(
        handling=GiftHandling.HANDED_IN, filing__in=filings_visible_to(user).values("pk")
    ).select_related("filing", "filing__filer")
    if start:
        qs = qs.filter(handed_in_on__gte=start)
    if end:
        qs = qs.filter(handed_in_on__lte=end)
    return qs.order_by("-handed_in_on", "-pk")


@dataclass(frozen=True)
class MissingFiling:
    """A contact the platform knows of that no filing of the official covers."""

    source: str  # "pairing" or "meeting"
    official_id: int
    official_name: str
    enterprise_id: int
    enterprise_name: str
    day: date
    detail: str


def _official_in(user: Any, field_name: str) -> Q:
    """Officials the reader oversees (a superior's region subtree) or the reader themself."""
    paths = permissions.region_paths(user, *permissions.SUPERIOR_ROLES)
    oversees = RoleAssignment.objects.filter(user=OuterRef(field_name), role=Role.OFFICIAL).filter(
        _under(paths, "region__path")
    )
    return Q(**{field_name: user.pk}) | Q(Exists(oversees))


def missing_filings(
    *, user: Any, start: date | None = None, end: date | None = None
) -> list[MissingFiling]:
    """Filings due but missing, found by two queries (no loop over officials):

    - a pairing contact (列名结对 visit or meeting; a phone call needs no filing) of an
      official with a firm, on a day for which no filing of that official names that firm;
    - a held meeting the official attended, for every firm that attended it, where no filing
      of the official on the meeting's day (Asia/Shanghai) names that firm."""
    from qinqing.outreach.models import Invitation, Meeting, PairingContact

    if not getattr(user, "is_authenticated", False):
        return []
    covered_contact = Filing.objects.filter(
        filer=OuterRef("pairing__official"),
        contact_date=OuterRef("contacted_on"),
        firms=OuterRef("pairing__enterprise"),
    )
    contacts = (
        PairingContact.objects.filter(_official_in(user, "pairing__official"))
        .exclude(kind=PairingContact.Kind.CALL)
        .filter(~Exists(covered_contact))
        .values(
            "contacted_on",
            "kind",
            official=F("pairing__official_id"),
            official_display=F("pairing__official__display_name"),
            official_username=F("pairing__official__username"),
            firm=F("pairing__enterprise_id"),
            firm_name=F("pairing__enterprise__name"),
        )
    )
    if start:
        contacts = contacts.filter(contacted_on__gte=start)
    if end:
        contacts = contacts.filter(contacted_on__lte=end)
    meetings = (
        Invitation.objects.filter(
            user__isnull=False,
            attended=True,
            meeting__status=Meeting.Status.HELD,
            user__role_assignments__role=Role.OFFICIAL,
            meeting__invitations__enterprise__isnull=False,
            meeting__invitations__attended=True,
        )
        .filter(_official_in(user, "user"))
        .annotate(
            firm=F("meeting__invitations__enterprise"),
            firm_name=F("meeting__invitations__enterprise__name"),
            day=TruncDate("meeting__starts_at", tzinfo=SHANGHAI),
        )
    )
    meetings = meetings.filter(
        ~Exists(
            Filing.objects.filter(
                filer=OuterRef("user"), contact_date=OuterRef("day"), firms=OuterRef("firm")
            )
        )
    )
    if start:
        meetings = meetings.filter(day__gte=start)
    if end:
        meetings = meetings.filter(day__lte=end)
    kinds = dict(PairingContact.Kind.choices)
    rows = [
        MissingFiling(
            "pairing",
            c["official"],
            c["official_display"] or c["official_username"],
            c["firm"],
            c["firm_name"],
            c["contacted_on"],
            str(kinds.get(c["kind"], c["kind"])),
        )
        for c in contacts
    ]
    rows += [
        MissingFiling(
            "meeting",
            m["user"],
            m["user__display_name"] or m["user__username"],
            m["firm"],
            m["firm_name"],
            m["day"],
            m["meeting__title"],
        )
        for m in meetings.values(
            "user",
            "user__display_name",
            "user__username",
            "firm",
            "firm_name",
            "day",
            "meeting__title",
        ).distinct()
    ]
    rows.sort(key=lambda r: (r.day, r.official_id, r.enterprise_id), reverse=True)
    return rows


# --- the health index -----------------------------------------------------------------------------
def index_facts(*, start: date, end: date) -> list[tuple[str, str, float]]:
    """Raw facts for the health index: per filing dated in ``[start, end)`` a row
    ``(filer's region path, "filings.total", 1)`` and, when prohibited,
    ``(path, "filings.prohibited", 1)``; per clean enterprise recognised and valid on the
    period's last day ``end - 1 day`` ``(firm's grid path, "clean_firms.recognised", 1)``."""
    rows: list[tuple[str, str, float]] = []
    filings = Filing.objects.filter(contact_date__gte=start, contact_date__lt=end).values_list(
        "region__path", "outcome"
    )
    for path, outcome in filings.iterator(chunk_size=2000):
        rows.append((path, "filings.total", 1.0))
        if outcome == Outcome.PROHIBITED:
            rows.append((path, "filings.prohibited", 1.0))
    last_day = end - timedelta(days=1)
    clean = clean_recognised(on=last_day).values_list("enterprise__grid__path", flat=True)
    rows += [(path, "clean_firms.recognised", 1.0) for path in clean.iterator(chunk_size=2000)]
    return rows


# --- clean enterprises ----------------------------------------------------------------------------
def criteria_active() -> QuerySet[CleanCriterion]:
    return CleanCriterion.objects.filter(active=True).order_by("position", "code")


def clean_recognised(*, on: date | None = None) -> QuerySet[CleanAssessment]:
    """Recognised clean enterprises whose validity period contains ``on`` (the public list)."""
    day = on or today()
    return (
        CleanAssessment.objects.filter(
            status="recognised", valid_from__lte=day, valid_until__gte=day
        )
        .select_related("enterprise", "enterprise__grid", "enterprise__grid__parent")
        .order_by("enterprise__name", "pk")
    )


def assessment_of(enterprise: Any) -> CleanAssessment | None:
    """The firm's open self-assessment, else its latest one."""
    qs = CleanAssessment.objects.filter(enterprise=enterprise)
    return qs.filter(status__in=["draft", "submitted", "returned"]).first() or qs.first()


def answers_of(assessment: CleanAssessment | None) -> dict[int, CleanAnswer]:
    if assessment is None:
        return {}
    return {
        a.criterion_id: a
        for a in CleanAnswer.objects.filter(assessment=assessment).prefetch_related("files")
    }


def assessments_visible_to(user: Any) -> QuerySet[CleanAssessment]:
    """Own firm's assessments; a reviewer's (chamber members, supervised region)."""
    from qinqing.directory.models import ChamberMembership

    firms = permissions.firms_of(user)
    paths = permissions.region_paths(user, Role.SUPERVISOR)
    chambers = permissions.chamber_ids(user)
    condition = Q(enterprise_id__in=firms) | _under(paths, "enterprise__grid__path")
    if chambers:
        condition |= Q(
            enterprise_id__in=ChamberMembership.objects.filter(chamber_id__in=chambers).values(
                "enterprise_id"
            )
        )
    return (
        CleanAssessment.objects.filter(condition)
        .select_related("enterprise", "enterprise__grid", "reviewed_by")
        .annotate(answer_count=Count("answers"))
    )


def reviews_for(user: Any, *, status: str = "submitted") -> QuerySet[CleanAssessment]:
    qs = assessments_visible_to(user).exclude(enterprise_id__in=permissions.firms_of(user))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("submitted_at", "pk")
