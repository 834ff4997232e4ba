"""What a user's roles are, cached on the user object for the length of a request."""

from __future__ import annotations

from typing import Any

from .models import Role, RoleAssignment

_CACHE_ATTR = "_qinqing_assignments"


def assignments_of(user: Any) -> list[RoleAssignment]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user).select_related(
                "region", "department", "department__region", "enterprise", "chamber"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_assignments(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Any) -> set[str]:
    return {a.role for a in assignments_of(user)}


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def primary_role(user: Any) -> str:
    """The role shown first (the most specific working role); used to label audit entries."""
    order = [r.value for r in Role]
    held = roles_of(user)
    for role in order:
        if role in held:
            return role
    return ""
