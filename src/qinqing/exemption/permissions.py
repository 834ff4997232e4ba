"""Who may apply, read, assess, sign off and review appeals.

Separation of duties (the rules of docs/exemption.md):
- nobody assesses, signs off or reviews their own case, nor a case they filed for a colleague
  of their unit, nor one where they share a department with the applicant, nor one where the
  conflict graph finds a path from them to the firm concerned (when the graph exists);
- the second reviewer (sign-off) is a supervisor other than the assessor;
- the appeal goes to a supervisor who is neither the assessor nor the one who signed off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import assignments_of

if TYPE_CHECKING:
    from .models import Application

#: roles whose holders may apply for themselves (they act for firms and may err doing so)
APPLICANT_ROLES = {Role.OFFICIAL, Role.HANDLER, Role.STEWARD, Role.COORDINATOR}
#: roles that may read the case library
LIBRARY_ROLES = {
    Role.OFFICIAL,
    Role.HANDLER,
    Role.STEWARD,
    Role.COORDINATOR,
    Role.SUPERVISOR,
    Role.SYSTEM_ADMIN,
}


def _paths(user: Any, *roles: str) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def supervisor_paths(user: Any) -> list[str]:
    return _paths(user, Role.SUPERVISOR)


def is_supervisor(user: Any) -> bool:
    return bool(supervisor_paths(user))


def may_apply(user: Any) -> bool:
    return any(a.role in APPLICANT_ROLES for a in assignments_of(user)) or is_supervisor(user)


def may_read_library(user: Any) -> bool:
    return any(a.role in LIBRARY_ROLES for a in assignments_of(user))


def application_scope(user: Any) -> Q:
    """The applications ``user`` may read: their own, those they filed, and (supervisors)
    every application of their region subtree."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(applicant_id=user.pk) | Q(filed_by_id=user.pk)
    for path in supervisor_paths(user):
        condition |= Q(region_path__startswith=path)
    return condition


def is_supervisor_of(user: Any, application: Application) -> bool:
    return any(application.region_path.startswith(p) for p in supervisor_paths(user))


def _departments(user_id: int) -> set[int]:
    return set(
        RoleAssignment.objects.filter(user_id=user_id, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )


def graph_conflict(user: Any, application: Application) -> list[str]:
    """Paths in the conflict graph from ``user`` to the firms the case concerns (empty when
    none, or when the graph is not available)."""
    from .checks import conflict_paths

    return conflict_paths(user, application).findings


def conflicted(user: Any, application: Application) -> bool:
    """Whether ``user`` may not judge this case: it is theirs, they filed it for their unit,
    they share a department with the applicant, or the graph links them to the firm."""
    if user is None or not getattr(user, "pk", None):
        return True
    if user.pk == application.applicant_id:
        return True
    if user.pk == application.filed_by_id and application.origin == "unit":
        return True
    mine = {a.department_id for a in assignments_of(user) if a.department_id}
    if mine and mine & _departments(application.applicant_id):
        return True
    return bool(graph_conflict(user, application))


def may_judge(user: Any, application: Application) -> bool:
    return is_supervisor_of(user, application) and not conflicted(user, application)


def may_accept(user: Any, application: Application) -> bool:
    return may_judge(user, application)


def is_assessor(user: Any, application: Application) -> bool:
    return (
        application.assessor_id is not None
        and getattr(user, "pk", None) == application.assessor_id
        and may_judge(user, application)
    )


def may_sign_off(user: Any, application: Application) -> bool:
    return getattr(user, "pk", None) != application.assessor_id and may_judge(user, application)


def is_applicant_side(user: Any, application: Application) -> bool:
    """The applicant, or whoever filed the application (not an investigator who started it)."""
    pk = getattr(user, "pk", None)
    if pk is None:
        return False
    if pk == application.applicant_id:
        return True
    return pk == application.filed_by_id and application.origin != "investigation"


def may_appeal(user: Any, application: Application) -> bool:
    """The applicant, once, before the appeal deadline."""
    return (
        getattr(user, "pk", None) == application.applicant_id
        and application.appealed_at is None
        and (application.appeal_due_at is None or timezone.now() <= application.appeal_due_at)
    )


def may_review_appeal(user: Any, application: Application) -> bool:
    pk = getattr(user, "pk", None)
    return pk not in (application.assessor_id, application.signed_off_by_id) and may_judge(
        user, application
    )


def may_publish(user: Any, application: Application) -> bool:
    """Supervisors of the region without a conflict draft and publish its case."""
    return may_judge(user, application)


def may_see_internal(user: Any, application: Application) -> bool:
    """The assessment and the automatic checks: supervisors of the region only."""
    return is_supervisor_of(user, application)
