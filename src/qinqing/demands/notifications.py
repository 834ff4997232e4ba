"""Who hears about each step of a case, and what they are told."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, RoleAssignment

from .models import Assist, DemandEvent

FIRM = "firm"
HANDLERS = "handlers"
COORDINATORS = "coordinators"
SUPERVISORS = "supervisors"
ASSIST_HANDLERS = "assist_handlers"

#: event action -> who is told
AUDIENCE: dict[str, set[str]] = {
    "submit": {COORDINATORS},
    "dispatch": {HANDLERS, FIRM},
    "transfer": {HANDLERS, FIRM},
    "return": {COORDINATORS},
    "accept": {FIRM},
    "wait_firm": {FIRM},
    "resume": {HANDLERS},
    "reply": {FIRM},
    "rate": {HANDLERS},
    "reject": {HANDLERS, COORDINATORS},
    "withdraw": {HANDLERS},
    "close": {FIRM, HANDLERS},
    "auto_close": {FIRM, HANDLERS},
    "supervise": {HANDLERS},
    "assist": {ASSIST_HANDLERS},
    "assist_reply": {HANDLERS},
    "extension_request": {COORDINATORS},
    "extension_decide": {HANDLERS},
    "remind": {HANDLERS},
    "escalate": {HANDLERS, COORDINATORS, SUPERVISORS},
    "merge": {FIRM},
    # a holiday schedule moved the case's deadlines (demands/deadlines.py)
    "deadline_recompute": {HANDLERS, FIRM},
}


def _region_role_users(role: str, region_path: str) -> Q:
    """Users holding ``role`` on a region that contains the case's grid."""
    ancestors = []
    parts = [p for p in region_path.strip("/").split("/") if p]
    for i in range(1, len(parts) + 1):
        ancestors.append("/" + "/".join(parts[:i]) + "/")
    return Q(role=role, region__path__in=ancestors)


def recipients(event: DemandEvent) -> list[Any]:
    demand = event.demand
    audience = AUDIENCE.get(event.action, set())
    condition = Q(pk__in=[])
    if FIRM in audience:
        condition |= Q(role=Role.ENTERPRISE, enterprise_id=demand.enterprise_id)
    if HANDLERS in audience and demand.department_id:
        condition |= Q(role=Role.HANDLER, department_id=demand.department_id)
    if ASSIST_HANDLERS in audience and event.department_id:
        condition |= Q(role=Role.HANDLER, department_id=event.department_id)
    if event.action == "deadline_recompute" and not demand.department_id:
        audience = audience | {COORDINATORS}  # nobody handles it yet: the dispatchers
    if COORDINATORS in audience:
        condition |= _region_role_users(Role.COORDINATOR, demand.region_path)
    if SUPERVISORS in audience:
        condition |= _region_role_users(Role.SUPERVISOR, demand.region_path)
    if event.action == "assist_reply":
        condition |= Q(
            role=Role.HANDLER,
            department_id__in=Assist.objects.filter(demand=demand).values("department_id"),
        ) & ~Q(department_id=event.department_id)
    users = {
        a.user_id: a.user
        for a in RoleAssignment.objects.filter(condition).select_related("user")
        if a.user_id != event.actor_id
    }
    return list(users.values())


def message_for(event: DemandEvent) -> tuple[str, str, str]:
    from .workflow import Action

    demand = event.demand
    labels = dict(Action.choices)
    step = str(labels.get(event.action, event.action))
    extra = {
        "submit": _("新诉求待派单"),
        "remind": _("临近办结期限"),
        "escalate": _("已超期"),
        "assist": _("协办请求"),
        "assist_reply": _("协办答复"),
        "extension_request": _("延期申请"),
        "extension_decide": _("延期审批结果"),
        "supervise": _("督办"),
        "merge": _("合并"),
        "deadline_recompute": _("期限调整"),
    }
    title = f"{demand.number} {extra.get(event.action, step)}：{demand.title}"
    body = event.note if not event.internal else ""
    link = reverse("demands:detail", args=[demand.pk]) if _has_detail_url() else ""
    return title, body, link


def _has_detail_url() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("demands:detail", args=[1])
    except NoReverseMatch:
        return False
    return True
