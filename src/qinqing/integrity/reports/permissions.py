"""Who may see which reports and notes (predicates; the transition table has the rest)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role

from .workflow import supervisor_paths


def report_scope(user: Any) -> Q:
    """Reports whose metadata ``user`` may list: a supervisor's region subtree; else none."""
    condition = Q(pk__in=[])
    for path in supervisor_paths(user):
        condition |= Q(region_path__startswith=path)
    return condition


def note_scope(user: Any) -> Q:
    """Integrity notes ``user`` may read: their own, and a supervisor's region subtree."""
    condition = Q(author_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    for path in supervisor_paths(user):
        condition |= Q(region_path__startswith=path)
    return condition


def is_supervisor(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def may_send_notes(user: Any) -> bool:
    return has_role(user, Role.OBSERVER, Role.ENTERPRISE)


def note_firms(user: Any) -> list[Any]:
    return [
        a.enterprise
        for a in assignments_of(user)
        if a.role in (Role.OBSERVER, Role.ENTERPRISE) and a.enterprise is not None
    ]
