"""Who may declare emergencies, report for a firm and read reports and overviews."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import Enterprise

DECLARING_ROLES = (Role.COORDINATOR, Role.SUPERVISOR)
#: staff who report on behalf of the firms of their region subtree
ACTING_STAFF = (Role.STEWARD, Role.COORDINATOR)
#: staff who read reports and overviews of their region subtree
READING_STAFF = (Role.STEWARD, Role.COORDINATOR, Role.SUPERVISOR)
OVERVIEW_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD)


def own_firm_ids(user: Any) -> set[int]:
    return {
        a.enterprise_id
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise_id is not None
    }


def staff_paths(user: Any, roles: tuple[str, ...] = READING_STAFF) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def can_declare(user: Any) -> bool:
    return has_role(user, *DECLARING_ROLES)


def reports_for(user: Any, enterprise: Enterprise) -> bool:
    """The firm's own user, or a steward/coordinator whose region holds the firm."""
    if enterprise.pk in own_firm_ids(user):
        return True
    return any(enterprise.grid.path.startswith(p) for p in staff_paths(user, ACTING_STAFF))


def report_scope(user: Any) -> Q:
    """Reports ``user`` may read: their own firm's, and those of their region subtree."""
    condition = Q(enterprise_id__in=sorted(own_firm_ids(user)))
    for path in staff_paths(user):
        condition |= Q(region_path__startswith=path)
    return condition


def is_overview_reader(user: Any) -> bool:
    return has_role(user, *OVERVIEW_ROLES)
