"""Who may maintain, declare and read the conflict graph."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role

#: supervisors and system admins maintain the graph (people, relations, imports)
MAINTAINER_ROLES = (Role.SUPERVISOR, Role.SYSTEM_ADMIN)
#: public servants who declare their own related persons (个人有关事项报告)
DECLARING_ROLES = (Role.OFFICIAL, Role.HANDLER)


def may_maintain(user: Any) -> bool:
    return has_role(user, *MAINTAINER_ROLES)


def may_confirm_matches(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def may_declare(user: Any) -> bool:
    return has_role(user, *DECLARING_ROLES)


def may_read_alerts(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def may_use_graph(user: Any) -> bool:
    return may_maintain(user) or may_declare(user)
