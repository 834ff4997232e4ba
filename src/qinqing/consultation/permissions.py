"""Who may author, read, answer and remind: predicates over the reader's role assignments."""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.directory.models import Enterprise, Region

from .models import Survey

#: roles that build surveys for the firms of their region (stewards cannot author)
AUTHOR_ROLES = {Role.COORDINATOR, Role.SUPERVISOR, Role.OFFICIAL}
#: roles that see the surveys touching their region (above or below it)
STAFF_ROLES = AUTHOR_ROLES | {Role.STEWARD}


def ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]``."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def author_regions(user: Any) -> list[Region]:
    """The regions ``user`` may build a survey for, widest first."""
    found = {
        a.region.pk: a.region
        for a in assignments_of(user)
        if a.role in AUTHOR_ROLES and a.region is not None
    }
    return sorted(found.values(), key=lambda r: (r.level, r.path))


@rules.predicate
def can_author(user: Any) -> bool:
    return bool(author_regions(user))


@rules.predicate
def is_author(user: Any, survey: Survey) -> bool:
    return survey.author_id == getattr(user, "pk", None)


@rules.predicate
def can_read_results(user: Any, survey: Survey) -> bool:
    """The author, the system admin, and authoring staff whose region covers the survey's."""
    if is_author(user, survey) or has_role(user, Role.SYSTEM_ADMIN):
        return True
    path = survey.region.path
    return any(
        a.role in AUTHOR_ROLES and a.region is not None and path.startswith(a.region.path)
        for a in assignments_of(user)
    )


def firms_of(user: Any) -> list[Enterprise]:
    """The firms ``user`` answers for (the ``enterprise`` role on the firm)."""
    return [
        a.enterprise
        for a in assignments_of(user)
        if a.role == Role.ENTERPRISE and a.enterprise is not None
    ]


def is_firm_user(user: Any, enterprise_id: int) -> bool:
    return any(f.pk == enterprise_id for f in firms_of(user))


def steward_paths(user: Any) -> list[str]:
    return [
        a.region.path
        for a in assignments_of(user)
        if a.role == Role.STEWARD and a.region is not None
    ]


def survey_scope(user: Any) -> Q | None:
    """The surveys ``user`` may see; None means all (the system admin)."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return None
    condition = Q(author_id=getattr(user, "pk", None))
    staff = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role in STAFF_ROLES and a.region is not None:
            staff |= Q(region__path__startswith=a.region.path)
            staff |= Q(region__path__in=ancestor_paths(a.region.path))
    # another author's draft is theirs alone
    condition |= staff & ~Q(status="draft")
    firm_ids = [f.pk for f in firms_of(user)]
    if firm_ids:
        condition |= Q(
            pk__in=Survey.objects.filter(
                targets__enterprise_id__in=firm_ids, status__in=["published", "closed"]
            ).values("pk")
        )
    return condition


rules.add_perm("consultation.add_survey", can_author)
rules.add_perm("consultation.manage_survey", is_author)
rules.add_perm("consultation.view_results", can_read_results)
