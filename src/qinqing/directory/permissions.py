"""Who may see and change directory records."""

from __future__ import annotations

from typing import Any

import rules

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role

from .models import Enterprise, Region

#: roles that see firms inside a region subtree
REGION_SCOPED = {Role.STEWARD, Role.COORDINATOR, Role.OFFICIAL, Role.SUPERVISOR}
#: roles whose job includes reading the directory of firms at all
STAFF_ROLES = REGION_SCOPED | {Role.HANDLER, Role.SYSTEM_ADMIN}


def region_paths(user: Any, roles: set[str]) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def covers(paths: list[str], region: Region) -> bool:
    return any(region.path.startswith(p) for p in paths)


@rules.predicate
def is_staff_reader(user: Any) -> bool:
    return has_role(user, *STAFF_ROLES)


@rules.predicate
def can_edit_enterprise(user: Any, enterprise: Enterprise | None) -> bool:
    if has_role(user, Role.SYSTEM_ADMIN):
        return True
    if enterprise is None:
        return has_role(user, Role.COORDINATOR)
    return covers(region_paths(user, {Role.COORDINATOR}), enterprise.grid)


@rules.predicate
def can_import_directory(user: Any) -> bool:
    return has_role(user, Role.SYSTEM_ADMIN, Role.COORDINATOR)


rules.add_perm("directory.view_directory", is_staff_reader)
rules.add_perm("directory.change_enterprise", can_edit_enterprise)
rules.add_perm("directory.import", can_import_directory)
