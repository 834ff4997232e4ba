"""Who may draft, comment on and answer policy drafts."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import Department, Enterprise, Region

#: roles that act as a drafting office, within their region (a handler: their department's)
OFFICE_ROLES = (Role.HANDLER, Role.COORDINATOR, Role.OFFICIAL)


def office_regions(user: Any) -> list[Region]:
    regions: dict[int, Region] = {}
    for a in assignments_of(user):
        if a.role not in OFFICE_ROLES:
            continue
        region = a.region or (a.department.region if a.department is not None else None)
        if region is not None:
            regions[region.pk] = region
    return sorted(regions.values(), key=lambda r: (r.level, r.path))


def office_departments(user: Any) -> list[Department]:
    return [a.department for a in assignments_of(user) if a.role == Role.HANDLER and a.department]


def is_office(user: Any) -> bool:
    return bool(office_regions(user))


def may_manage(user: Any, draft: Any) -> bool:
    """The author; a handler of the drafting department; a coordinator above its region."""
    if draft.author_id == getattr(user, "pk", None):
        return True
    for a in assignments_of(user):
        if (
            a.role == Role.HANDLER
            and draft.department_id
            and a.department_id == draft.department_id
        ):
            return True
        if a.role == Role.COORDINATOR and a.region and draft.region.path.startswith(a.region.path):
            return True
    return False


def commenting_firms(user: Any) -> list[Enterprise]:
    """Firms for which ``user`` speaks: only a firm's own authorised (enterprise) users."""
    return [
        a.enterprise
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise is not None
    ]


def staff_paths(user: Any) -> list[str]:
    paths = [r.path for r in office_regions(user)]
    paths += [
        a.region.path
        for a in assignments_of(user)
        if a.role in (Role.SUPERVISOR, Role.STEWARD) and a.region
    ]
    return paths


def is_admin(user: Any) -> bool:
    return has_role(user, Role.SYSTEM_ADMIN)
