"""Reads of the conflict graph, scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of

from .graph import ConflictPath, PathNode, active_on, find_conflicts
from .models import (
    AlertState,
    CandidateState,
    ConflictAlert,
    FirmRelation,
    MatchCandidate,
    Person,
    PersonRelation,
    Source,
)
from .permissions import may_confirm_matches, may_declare, may_maintain

__all__ = [
    "ConflictPath",
    "PathNode",
    "active_on",
    "alerts_visible_to",
    "candidates_visible_to",
    "find_conflicts",
    "people_visible_to",
]


def people_visible_to(user: Any) -> QuerySet[Person]:
    """Maintainers see everyone; a declaring official sees themself and whom they declared."""
    qs = Person.objects.select_related("user")
    if may_maintain(user):
        return qs
    if may_declare(user):
        return qs.filter(Q(user=user) | Q(created_by=user, source=Source.DECLARED))
    return qs.none()


def person_relations(person: Person) -> list[PersonRelation]:
    return list(
        PersonRelation.objects.filter(Q(from_person=person) | Q(to_person=person))
        .select_related("from_person", "to_person")
        .order_by("valid_to", "kind", "pk")
    )


def firm_relations(person: Person) -> list[FirmRelation]:
    return list(
        FirmRelation.objects.filter(person=person)
        .select_related("enterprise")
        .order_by("valid_to", "kind", "pk")
    )


def _supervisor_paths(user: Any) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role == Role.SUPERVISOR and a.region]


def alerts_visible_to(user: Any) -> QuerySet[ConflictAlert]:
    """Supervisors: alerts in their region (and those with no region); officials: their own."""
    condition = Q(official_id=getattr(user, "pk", None)) if getattr(user, "pk", None) else Q()
    if not getattr(user, "is_authenticated", False):
        return ConflictAlert.objects.none()
    paths = _supervisor_paths(user)
    if paths:
        condition |= Q(region_path="")
        for path in paths:
            condition |= Q(region_path__startswith=path)
    return ConflictAlert.objects.filter(condition).select_related(
        "official", "enterprise", "other_user", "decided_by"
    )


def open_alerts(user: Any) -> QuerySet[ConflictAlert]:
    return alerts_visible_to(user).filter(state=AlertState.OPEN)


def candidates_visible_to(user: Any) -> QuerySet[MatchCandidate]:
    if not may_confirm_matches(user):
        return MatchCandidate.objects.none()
    return MatchCandidate.objects.select_related("left", "right", "decided_by")


def pending_candidates(user: Any) -> QuerySet[MatchCandidate]:
    return candidates_visible_to(user).filter(state=CandidateState.PENDING)


def platform_contacts(person: Person, *, limit: int = 20) -> dict[str, list[Any]]:
    """The platform's own contacts of a person with an account, read live: pairings, visits,
    demands handled (three queries)."""
    if person.user_id is None:
        return {"pairings": [], "visits": [], "demands": []}
    from qinqing.demands.models import DemandEvent
    from qinqing.directory.models import Pairing
    from qinqing.outreach.models import Visit

    pairings = list(
        Pairing.objects.filter(official_id=person.user_id)
        .select_related("enterprise")
        .order_by("-started_on")[:limit]
    )
    visits = list(
        Visit.objects.filter(steward_id=person.user_id)
        .select_related("enterprise")
        .order_by("-visited_on")[:limit]
    )
    handled = list(
        DemandEvent.objects.filter(
            actor_id=person.user_id, action__in=["accept", "start", "reply", "wait_firm"]
        )
        .select_related("demand", "demand__enterprise")
        .order_by("-created_at")[:limit]
    )
    return {"pairings": pairings, "visits": visits, "demands": handled}


def enterprise_by_uscc(uscc: str) -> Any:
    from qinqing.common.uscc import normalize
    from qinqing.directory.models import Enterprise

    return Enterprise.objects.filter(uscc=normalize(uscc or "")).first()


def contact_firm_ids(user_id: int) -> list[int]:
    """Firms the user deals with on the platform: paired, visited, demands handled."""
    from qinqing.demands.models import DemandEvent
    from qinqing.directory.models import Pairing
    from qinqing.outreach.models import Visit

    ids = set(Pairing.objects.filter(official_id=user_id).values_list("enterprise_id", flat=True))
    ids |= set(Visit.objects.filter(steward_id=user_id).values_list("enterprise_id", flat=True))
    ids |= set(
        DemandEvent.objects.filter(actor_id=user_id, action__in=["accept", "start", "reply"])
        .values_list("demand__enterprise_id", flat=True)
        .distinct()
    )
    return sorted(ids)
