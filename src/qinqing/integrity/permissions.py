"""Who may do what in 廉情监督 (conduct lists, filings, clean enterprises)."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of
from qinqing.directory.models import Enterprise, Region

#: roles that file their contacts with firms
FILER_ROLES = (Role.OFFICIAL, Role.STEWARD, Role.HANDLER, Role.COORDINATOR)
#: roles that approve filings and read the registers of their region subtree
SUPERIOR_ROLES = (Role.SUPERVISOR, Role.COORDINATOR)


def region_paths(user: Any, *roles: str) -> list[str]:
    """The region paths of the user's assignments in ``roles`` (a department's region counts)."""
    paths = []
    for a in assignments_of(user):
        if a.role not in roles:
            continue
        if a.region is not None:
            paths.append(a.region.path)
        elif a.department is not None:
            paths.append(a.department.region.path)
    return paths


def covers(paths: list[str], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def filer_region(user: Any) -> Region | None:
    """The region a filing of ``user`` belongs to: their first filer role's region."""
    order: dict[str, int] = {str(r): i for i, r in enumerate(FILER_ROLES)}
    found = sorted(
        (a for a in assignments_of(user) if a.role in order),
        key=lambda a: (order[a.role], a.pk),
    )
    for a in found:
        if a.region is not None:
            return a.region
        if a.department is not None:
            return a.department.region
    return None


def can_file(user: Any) -> bool:
    return filer_region(user) is not None


def is_superior(user: Any) -> bool:
    return bool(region_paths(user, *SUPERIOR_ROLES))


def can_decide(user: Any, filing: Any) -> bool:
    """The filer's superior: a supervisor or coordinator over the filing's region, not the
    filer."""
    if user is None or user.pk == filing.filer_id:
        return False
    return covers(region_paths(user, *SUPERIOR_ROLES), filing.region.path)


def can_edit_lists(user: Any) -> bool:
    return any(a.role == Role.SUPERVISOR for a in assignments_of(user))


def firms_of(user: Any) -> list[int]:
    """Firms the user acts for (role ``enterprise``)."""
    return [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise_id
    ]


def can_fill_checklist(user: Any, enterprise: Enterprise) -> bool:
    return enterprise.pk in firms_of(user)


def chamber_ids(user: Any) -> list[int]:
    return [a.chamber_id for a in assignments_of(user) if a.role == Role.CHAMBER and a.chamber_id]


def is_clean_reviewer(user: Any) -> bool:
    return bool(chamber_ids(user)) or bool(region_paths(user, Role.SUPERVISOR))


def can_review_clean(user: Any, enterprise: Enterprise) -> bool:
    """A supervisor over the firm's grid, or the liaison of a chamber the firm belongs to."""
    from qinqing.directory.models import ChamberMembership

    if covers(region_paths(user, Role.SUPERVISOR), enterprise.grid.path):
        return True
    ids = chamber_ids(user)
    return (
        bool(ids)
        and ChamberMembership.objects.filter(chamber_id__in=ids, enterprise=enterprise).exists()
    )
