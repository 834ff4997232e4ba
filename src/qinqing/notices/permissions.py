"""Who may do what with notices (predicates; the selectors scope the reads)."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import Enterprise, Region

#: roles that write notices, each within the region of their assignment (or department)
AUTHOR_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.OFFICIAL, Role.HANDLER)
#: roles that read the receipts of every notice written in their region
READER_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.OFFICIAL, Role.HANDLER)
FIRM_ROLES = (Role.ENTERPRISE, Role.OBSERVER)


def author_regions(user: Any) -> list[Region]:
    """The regions ``user`` may write notices for, highest first."""
    regions: dict[int, Region] = {}
    for a in assignments_of(user):
        if a.role not in AUTHOR_ROLES:
            continue
        region = a.region or (a.department.region if a.department is not None else None)
        if region is not None:
            regions[region.pk] = region
    return sorted(regions.values(), key=lambda r: (r.level, r.path))


def staff_paths(user: Any) -> list[str]:
    """Region paths whose notices ``user`` reads as staff (authors' and stewards' regions)."""
    paths = [r.path for r in author_regions(user)]
    paths += [a.region.path for a in assignments_of(user) if a.role == Role.STEWARD and a.region]
    return paths


def steward_paths(user: Any) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role == Role.STEWARD and a.region]


def firm_ids(user: Any) -> list[int]:
    """The firms ``user`` reads notices for (an enterprise user's or observer's firm)."""
    return [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role in FIRM_ROLES and a.enterprise_id is not None
    ]


def reader_firm_ids(user: Any) -> list[int]:
    """The firms whose reading marks receipts: only the firm's own authorised users."""
    return [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise_id is not None
    ]


def is_author(user: Any) -> bool:
    return bool(author_regions(user)) or has_role(user, Role.SYSTEM_ADMIN)


def may_manage(user: Any, notice: Any) -> bool:
    """The author, or a coordinator of a region above the notice's region."""
    if notice.author_id == getattr(user, "pk", None):
        return True
    return any(
        a.role == Role.COORDINATOR
        and a.region
        and notice.author_region.path.startswith(a.region.path)
        for a in assignments_of(user)
    )


def may_read_receipts(user: Any, notice: Any) -> bool:
    if may_manage(user, notice) or has_role(user, Role.SYSTEM_ADMIN):
        return True
    return any(notice.author_region.path.startswith(r.path) for r in author_regions(user)) or bool(
        steward_paths(user)
    )


def may_explain(user: Any, enterprise: Enterprise) -> bool:
    """A steward of the firm's grid (or a region above it)."""
    return any(enterprise.grid.path.startswith(p) for p in steward_paths(user))
