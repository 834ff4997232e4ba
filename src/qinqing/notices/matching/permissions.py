"""Who may post, confirm and read in 供需对接."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import Enterprise

#: staff who post and confirm for the firms of their region subtree
ACTING_STAFF = (Role.STEWARD, Role.COORDINATOR)
#: staff who read every listing and match of their region subtree
READING_STAFF = (Role.STEWARD, Role.COORDINATOR, Role.SUPERVISOR)
#: roles that see the board of live listings
BOARD_ROLES = (
    Role.ENTERPRISE,
    Role.STEWARD,
    Role.COORDINATOR,
    Role.SUPERVISOR,
    Role.OFFICIAL,
    Role.SYSTEM_ADMIN,
)


def own_firm_ids(user: Any) -> set[int]:
    return {
        a.enterprise_id
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise_id is not None
    }


def staff_paths(user: Any, roles: tuple[str, ...] = READING_STAFF) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def acts_for(user: Any, enterprise: Enterprise) -> bool:
    """The firm's own user, or a steward/coordinator whose region holds the firm's grid."""
    if enterprise.pk in own_firm_ids(user):
        return True
    return any(enterprise.grid.path.startswith(p) for p in staff_paths(user, ACTING_STAFF))


def is_on_behalf(user: Any, enterprise: Enterprise) -> bool:
    return enterprise.pk not in own_firm_ids(user)


def firms_acted_for(user: Any) -> Q:
    """A filter on Enterprise for the firms ``user`` may post and confirm for."""
    condition = Q(pk__in=sorted(own_firm_ids(user)))
    for path in staff_paths(user, ACTING_STAFF):
        condition |= Q(grid__path__startswith=path)
    return condition


def listing_scope(user: Any) -> Q:
    """Listings ``user`` may read: their firms' own, their region's, and the live board."""
    from .models import LIVE_STATES

    condition = Q(enterprise_id__in=sorted(own_firm_ids(user)))
    for path in staff_paths(user):
        condition |= Q(region_path__startswith=path)
    if has_role(user, *BOARD_ROLES):
        condition |= Q(state__in=LIVE_STATES)
    return condition


def match_scope(user: Any) -> Q:
    """Matches ``user`` may read: those of their firms and of their region's firms."""
    firms = sorted(own_firm_ids(user))
    condition = Q(offer__enterprise_id__in=firms) | Q(request__enterprise_id__in=firms)
    for path in staff_paths(user):
        condition |= Q(offer__region_path__startswith=path)
        condition |= Q(request__region_path__startswith=path)
    if has_role(user, Role.SYSTEM_ADMIN):
        condition = Q()
    return condition


def is_summary_reader(user: Any) -> bool:
    return has_role(user, Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD, Role.SYSTEM_ADMIN)
