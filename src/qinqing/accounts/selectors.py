"""Reads about users and roles."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import ApiToken, RoleAssignment, User


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.hash(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


def users_for_admin(*, query: str = "", role: str = "") -> QuerySet[User]:
    """Users with their role assignments, for the system and security admins."""
    qs = User.objects.order_by("username").prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related("region", "department", "enterprise"),
        )
    )
    if query:
        qs = qs.filter(
            Q(username__icontains=query) | Q(display_name__icontains=query) | Q(phone=query)
        )
    if role:
        qs = qs.filter(role_assignments__role=role).distinct()
    return qs
