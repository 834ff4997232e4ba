"""Who may compute, preview and publish the index.

Previewing (computing a period and reading the unpublished results) is for supervisors,
coordinators and system administrators. Publishing freezes a period for everyone: it is for
a supervisor assigned at city or district level (the discipline and united-front offices
that own the index) or a system administrator (who runs the platform for the city). A
town-level supervisor or a coordinator may preview but not publish, since the ranking
compares their own area with others.
"""

from __future__ import annotations

from typing import Any

import rules

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import RegionLevel

PREVIEW_ROLES = (Role.SUPERVISOR, Role.COORDINATOR, Role.SYSTEM_ADMIN)


@rules.predicate
def can_preview(user: Any) -> bool:
    return bool(user and user.is_authenticated and has_role(user, *PREVIEW_ROLES))


@rules.predicate
def can_publish(user: Any) -> bool:
    if not (user and user.is_authenticated):
        return False
    for a in assignments_of(user):
        if a.role == Role.SYSTEM_ADMIN:
            return True
        if (
            a.role == Role.SUPERVISOR
            and a.region is not None
            and a.region.level in (RegionLevel.CITY, RegionLevel.DISTRICT)
        ):
            return True
    return False
