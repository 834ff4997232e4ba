"""Every demand read, scoped to the reader."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.db.models import Q, QuerySet

from .models import Category, Demand, DemandEvent, RoutingRule
from .permissions import demand_scope, is_staff_of_demand
from .workflow import OPEN_STATES, OVERDUE_STATES, State


def demands_visible_to(user: Any) -> QuerySet[Demand]:
    return Demand.objects.select_related("enterprise", "category", "department").filter(
        demand_scope(user)
    )


def demand_detail(*, user: Any, demand_id: int) -> Demand:
    """Raises Demand.DoesNotExist for a case outside the reader's scope."""
    return demands_visible_to(user).get(pk=demand_id)


def demand_by_number(*, user: Any, number: str) -> Demand:
    return demands_visible_to(user).get(number=number)


def timeline(*, user: Any, demand: Demand) -> list[DemandEvent]:
    events = demand.events.select_related("actor", "department").order_by("created_at", "pk")
    if not is_staff_of_demand(user, demand):
        events = events.filter(internal=False)
    return list(events)


def handler_inbox(*, user: Any, state: str = "", overdue: bool = False) -> QuerySet[Demand]:
    """Open cases of the handler's departments, nearest resolution deadline first."""
    from qinqing.accounts.models import Role
    from qinqing.accounts.scopes import assignments_of

    departments = [a.department_id for a in assignments_of(user) if a.role == Role.HANDLER]
    qs = Demand.objects.select_related("enterprise", "category", "department").filter(
        department_id__in=departments, state__in=OPEN_STATES
    )
    if state:
        qs = qs.filter(state=state)
    if overdue:
        from django.utils import timezone

        qs = qs.filter(state__in=OVERDUE_STATES, resolve_due_at__lt=timezone.now())
    return qs.order_by("resolve_due_at", "pk")


BOARD_COLUMNS = ("unassigned", "returned", "overdue", "disputed", "extensions")


def dispatch_board(*, user: Any, column: str) -> QuerySet[Demand]:
    """The coordinator's board: unassigned, returned, overdue, disputed, pending extensions."""
    from django.utils import timezone

    qs = demands_visible_to(user)
    if column == "unassigned":
        qs = qs.filter(state=State.SUBMITTED)
    elif column == "returned":
        qs = qs.filter(state=State.SUBMITTED, events__action="return").distinct()
    elif column == "overdue":
        qs = qs.filter(state__in=OVERDUE_STATES, resolve_due_at__lt=timezone.now())
    elif column == "disputed":
        qs = qs.filter(state=State.DISPUTED)
    elif column == "extensions":
        qs = qs.filter(extensions__status="pending").distinct()
    return qs.order_by("resolve_due_at", "pk")


def firm_demands(*, user: Any) -> QuerySet[Demand]:
    return demands_visible_to(user).order_by("-submitted_at", "-pk")


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in pairwise(chars)}


def possible_duplicates(*, user: Any, demand: Demand, threshold: float = 0.3) -> list[Demand]:
    """Open cases of the same firm and category with similar titles (character bigrams,
    which suit Chinese text without word breaks), most similar first."""
    candidates = (
        demands_visible_to(user)
        .filter(
            enterprise_id=demand.enterprise_id,
            category_id=demand.category_id,
            state__in=OPEN_STATES,
        )
        .exclude(pk=demand.pk)
        .order_by("-submitted_at")[:50]
    )
    mine = _bigrams(demand.title + demand.description[:60])
    scored = []
    for other in candidates:
        theirs = _bigrams(other.title + other.description[:60])
        union = mine | theirs
        score = len(mine & theirs) / len(union) if union else 0.0
        if score >= threshold:
            scored.append((score, other))
    return [other for _score, other in sorted(scored, key=lambda x: -x[0])[:10]]


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(active=True).select_related("parent").order_by("code")


def routing_rules_for(*, user: Any) -> QuerySet[RoutingRule]:
    from qinqing.accounts.models import Role
    from qinqing.accounts.scopes import assignments_of

    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role == Role.COORDINATOR and a.region:
            condition |= Q(region__path__startswith=a.region.path)
    return (
        RoutingRule.objects.filter(condition)
        .select_related("region", "category", "department")
        .order_by("region__path", "category__code")
    )
