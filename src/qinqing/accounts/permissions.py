"""Rules predicates for accounts and the admin duties (三员分立)."""

from __future__ import annotations

from typing import Any

import rules

from .models import Role
from .scopes import has_role


@rules.predicate
def is_system_admin(user: Any) -> bool:
    return has_role(user, Role.SYSTEM_ADMIN)


@rules.predicate
def is_security_admin(user: Any) -> bool:
    return has_role(user, Role.SECURITY_ADMIN)


@rules.predicate
def is_audit_admin(user: Any) -> bool:
    return has_role(user, Role.AUDIT_ADMIN)


@rules.predicate
def is_coordinator(user: Any) -> bool:
    return has_role(user, Role.COORDINATOR)


rules.add_perm("accounts.manage_users", is_system_admin)
rules.add_perm("accounts.grant_roles", is_security_admin)
rules.add_perm("audit.read_log", is_audit_admin)
