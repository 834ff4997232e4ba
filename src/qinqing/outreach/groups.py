"""靶向服务团 (targeted service groups): agencies that serve the firms of an area together.

A group (e.g. 莼湖街道's 33 agencies) has member departments and the services they offer
(项目审批, 法律维权 …). A firm's enterprise user asks the group, choosing a service; a handler
of a member department takes the request for the department and solves it with a reply. The
coordinators of the group's region and the handlers of member departments see the group's
requests; a firm sees its own. Each group shows how many problems it has solved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import assignments_of, has_role, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Department, Enterprise, Region
from qinqing.directory.permissions import covers, region_paths

from .activities import ancestor_paths, firm_users, is_member_of
from .models import GroupRequest, GroupService, ServiceGroup

for _action, _label in [
    ("group.create", gettext_lazy("新建靶向服务团")),
    ("group.members", gettext_lazy("调整服务团成员单位")),
    ("group.service_add", gettext_lazy("新增服务团服务事项")),
    ("group.request_submit", gettext_lazy("向服务团提出诉求")),
    ("group.request_take", gettext_lazy("承接服务团诉求")),
    ("group.request_solve", gettext_lazy("解决服务团诉求")),
    ("group.request_close", gettext_lazy("关闭服务团诉求")),
    ("group.request_view", gettext_lazy("查看服务团诉求")),
]:
    register(_action, _label)


# --- who ------------------------------------------------------------------------------------
def handler_departments(user: Any) -> list[int]:
    return [
        a.department_id
        for a in assignments_of(user)
        if a.role == Role.HANDLER and a.department_id is not None
    ]


def can_manage_region(user: Any, region: Region) -> bool:
    """Coordinators of the region (or above it) and the system admin."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return True
    return covers(region_paths(user, {Role.COORDINATOR}), region)


def can_manage_group(user: Any, group: ServiceGroup) -> bool:
    return can_manage_region(user, group.region)


def is_member_handler(user: Any, group: ServiceGroup) -> bool:
    ids = handler_departments(user)
    return bool(ids) and group.departments.filter(pk__in=ids).exists()


def is_coordinator_of_group(user: Any, group: ServiceGroup) -> bool:
    return covers(region_paths(user, {Role.COORDINATOR}), group.region)


# --- reads ----------------------------------------------------------------------------------
def groups_visible_to(user: Any) -> QuerySet[ServiceGroup]:
    """Staff of the area and member agencies see a group; a firm sees the groups serving it."""
    qs = ServiceGroup.objects.select_related("region")
    if has_role(user, Role.SYSTEM_ADMIN):
        return qs
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.region is not None:
            condition |= Q(region__path__startswith=a.region.path)
            condition |= Q(region__path__in=ancestor_paths(a.region.path))
        elif a.role == Role.ENTERPRISE and a.enterprise is not None:
            condition |= Q(region__path__in=ancestor_paths(a.enterprise.grid.path))
        elif a.role == Role.HANDLER and a.department_id is not None:
            condition |= Q(departments__pk=a.department_id)
    return qs.filter(pk__in=ServiceGroup.objects.filter(condition).values("pk"))


def group_list(*, user: Any) -> QuerySet[ServiceGroup]:
    """The groups with their counts: members, services, requests, solved and open."""
    return (
        groups_visible_to(user)
        .annotate(
            member_count=Count("departments", distinct=True),
            service_count=Count("services", distinct=True),
        )
        .order_by("region__path", "name")
    )


@dataclass
class GroupCounts:
    total: int = 0
    open: int = 0
    solved: int = 0
    closed: int = 0


def group_counts(groups: list[ServiceGroup]) -> dict[int, GroupCounts]:
    """Requests per group by status, one query for all groups (counts only, no details)."""
    rows = (
        GroupRequest.objects.filter(group__in=groups)
        .values("group_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=GroupRequest.Status.OPEN)),
            solved=Count("pk", filter=Q(status=GroupRequest.Status.SOLVED)),
            closed=Count("pk", filter=Q(status=GroupRequest.Status.CLOSED)),
        )
        .order_by()
    )
    counts = {g.pk: GroupCounts() for g in groups}
    for row in rows:
        counts[row["group_id"]] = GroupCounts(
            total=row["total"], open=row["open"], solved=row["solved"], closed=row["closed"]
        )
    return counts


def group_detail(*, user: Any, group_id: int) -> ServiceGroup:
    """Raises ServiceGroup.DoesNotExist outside the reader's scope."""
    return groups_visible_to(user).get(pk=group_id)


def group_services(group: ServiceGroup) -> QuerySet[GroupService]:
    return group.services.select_related("department").order_by("department__name", "name")


def group_request_scope(user: Any) -> Q:
    """Coordinators of the group's region, handlers of member departments, the firm itself."""
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role == Role.COORDINATOR and a.region is not None:
            condition |= Q(group__region__path__startswith=a.region.path)
        elif a.role == Role.HANDLER and a.department_id is not None:
            condition |= Q(group__departments__pk=a.department_id)
        elif a.role == Role.ENTERPRISE and a.enterprise_id is not None:
            condition |= Q(enterprise_id=a.enterprise_id)
    return condition


def group_requests_visible_to(user: Any) -> QuerySet[GroupRequest]:
    ids = GroupRequest.objects.filter(group_request_scope(user)).values("pk")
    return GroupRequest.objects.filter(pk__in=ids).select_related(
        "group", "enterprise", "service", "department"
    )


def group_request_list(
    *, user: Any, group: ServiceGroup | None = None, status: str = ""
) -> QuerySet[GroupRequest]:
    qs = group_requests_visible_to(user)
    if group is not None:
        qs = qs.filter(group=group)
    if status in GroupRequest.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def group_request_detail(*, user: Any, request_id: int) -> GroupRequest:
    """Raises GroupRequest.DoesNotExist outside the reader's scope."""
    return group_requests_visible_to(user).get(pk=request_id)


def allowed_request_actions(user: Any, req: GroupRequest) -> list[str]:
    """What the reader may do with the request now: take, solve, close."""
    if req.status != GroupRequest.Status.OPEN:
        return []
    actions = []
    mine = handler_departments(user)
    if req.department_id is None and is_member_handler(user, req.group):
        actions.append("take")
    if req.department_id is not None and req.department_id in mine:
        actions.append("solve")
    if is_coordinator_of_group(user, req.group) or is_member_of(user, req.enterprise_id):
        actions.append("close")
    return actions


def member_departments_for(user: Any, group: ServiceGroup) -> list[Department]:
    """The member departments the reader handles for (the department a take goes to)."""
    ids = handler_departments(user)
    return list(group.departments.filter(pk__in=ids).order_by("name"))


def candidate_departments(region: Region) -> QuerySet[Department]:
    """Departments that may join a group: those serving the group's region, inside it or above."""
    return Department.objects.filter(
        Q(region__path__in=ancestor_paths(region.path)) | Q(region__path__startswith=region.path)
    ).order_by("region__path", "name")


# --- writes ---------------------------------------------------------------------------------
def _audit(actor: Any, action: str, obj: Any, **changes: Any) -> None:
    record(actor=actor, action=action, obj=obj, role=primary_role(actor), changes=changes)


def _link(request_id: int) -> str:
    from django.urls import reverse

    return reverse("outreach:liaison:group_request_detail", args=[request_id])


def _notify(users: list[Any], *, title: str, body: str, link: str, source: str) -> None:
    from qinqing.inbox.services import deliver

    transaction.on_commit(
        lambda: deliver(users=users, title=title, body=body, link=link, source=source)
    )


def _handlers_of(department_ids: list[int]) -> list[Any]:
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.HANDLER, department_id__in=department_ids
        ).select_related("user")
    ]


@transaction.atomic
def group_create(
    *,
    actor: Any,
    name: str,
    region: Region | None,
    purpose: str = "",
    departments: list[Department] | None = None,
) -> ServiceGroup:
    if region is None or not can_manage_region(actor, region):
        raise NotPermitted(_("只有本辖区的协调员可以组建服务团。"))
    name, purpose = (name or "").strip(), (purpose or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写服务团名称。")]
    elif len(name) > 120:
        errors["name"] = [_("名称不超过120字。")]
    elif ServiceGroup.objects.filter(name=name).exists():
        errors["name"] = [_("已有同名的服务团。")]
    if len(purpose) > 255:
        errors["purpose"] = [_("服务内容不超过255字。")]
    members = list(departments or [])
    allowed = set(candidate_departments(region).values_list("pk", flat=True))
    if any(d.pk not in allowed for d in members):
        errors["departments"] = [_("成员单位须服务于该区域。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    group = ServiceGroup.objects.create(name=name, region=region, purpose=purpose)
    group.departments.set(members)
    _audit(actor, "group.create", group, region=region.pk, departments=[d.pk for d in members])
    return group


@transaction.atomic
def group_set_members(*, actor: Any, group_id: int, departments: list[Department]) -> ServiceGroup:
    group = ServiceGroup.objects.select_for_update().get(pk=group_id)
    if not can_manage_group(actor, group):
        raise NotPermitted(_("只有本辖区的协调员可以调整成员单位。"))
    allowed = set(candidate_departments(group.region).values_list("pk", flat=True))
    if any(d.pk not in allowed for d in departments):
        raise ServiceError(
            _("成员单位须服务于该区域。"),
            field_errors={"departments": [_("成员单位须服务于该区域。")]},
        )
    before = sorted(group.departments.values_list("pk", flat=True))
    after = sorted(d.pk for d in departments)
    in_use = set(group.services.values_list("department_id", flat=True)) - set(after)
    if in_use:
        raise Conflict(_("仍有服务事项由该单位提供，请先调整服务事项。"))
    group.departments.set(departments)
    _audit(actor, "group.members", group, departments=[before, after])
    return group


@transaction.atomic
def group_service_add(
    *,
    actor: Any,
    group_id: int,
    department: Department | None,
    name: str,
    description: str = "",
) -> GroupService:
    group = ServiceGroup.objects.select_for_update().get(pk=group_id)
    if not can_manage_group(actor, group):
        raise NotPermitted(_("只有本辖区的协调员可以设置服务事项。"))
    name, description = (name or "").strip(), (description or "").strip()
    errors: dict[str, list[str]] = {}
    if department is None or not group.departments.filter(pk=department.pk).exists():
        errors["department"] = [_("请选择提供服务的成员单位。")]
    if not name:
        errors["name"] = [_("请填写服务事项。")]
    elif len(name) > 120:
        errors["name"] = [_("服务事项不超过120字。")]
    elif group.services.filter(name=name, department=department).exists():
        errors["name"] = [_("该单位已有同名的服务事项。")]
    if len(description) > 2000:
        errors["description"] = [_("说明不超过2000字。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert department is not None
    service = GroupService.objects.create(
        group=group, department=department, name=name, description=description
    )
    _audit(actor, "group.service_add", service, group=group.pk, department=department.pk)
    return service


@transaction.atomic
def group_request_submit(
    *,
    actor: Any,
    group_id: int,
    enterprise: Enterprise,
    service_id: int | None,
    topic: str,
    description: str,
) -> GroupRequest:
    """A firm's enterprise user asks the group, choosing one of its services."""
    if not is_member_of(actor, enterprise.pk):
        raise NotPermitted(_("只有企业本身的用户可以向服务团提出诉求。"))
    group = ServiceGroup.objects.select_related("region").filter(pk=group_id).first()
    if group is None or not enterprise.grid.path.startswith(group.region.path):
        raise NotPermitted(_("该服务团不服务贵企业所在区域。"))
    topic, description = (topic or "").strip(), (description or "").strip()
    errors: dict[str, list[str]] = {}
    service = (
        group.services.select_related("department").filter(pk=service_id).first()
        if service_id is not None
        else None
    )
    if service is None:
        errors["service"] = [_("请选择服务事项。")]
    if not topic:
        errors["topic"] = [_("请用一句话说明问题。")]
    elif len(topic) > 120:
        errors["topic"] = [_("问题不超过120字。")]
    if len(description) < 5:
        errors["description"] = [_("请具体说明情况（至少5个字）。")]
    elif len(description) > 5000:
        errors["description"] = [_("详细说明不超过5000字。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert service is not None
    req = GroupRequest.objects.create(
        group=group,
        enterprise=enterprise,
        service=service,
        topic=topic,
        description=description,
        created_by=actor,
    )
    _audit(actor, "group.request_submit", req, group=group.pk, service=service.pk)
    _notify(
        _handlers_of([service.department_id]),
        title=_("服务团新诉求：%(t)s") % {"t": topic},
        body=_("%(firm)s向%(group)s提出“%(service)s”方面的诉求，请承接办理。")
        % {"firm": enterprise.name, "group": group.name, "service": service.name},
        link=_link(req.pk),
        source=f"group-request:{req.pk}:submit",
    )
    return req


def _locked_request(request_id: int) -> GroupRequest:
    try:
        return (
            # only the request's row is locked (a join would lock the group and the firm too)
            GroupRequest.objects.select_for_update().get(pk=request_id)
        )
    except GroupRequest.DoesNotExist:
        raise NotPermitted(_("诉求不存在。")) from None


@transaction.atomic
def group_request_take(
    *, actor: Any, request_id: int, department: Department | None = None
) -> GroupRequest:
    """A handler of a member department takes the request for the department."""
    req = _locked_request(request_id)
    members = member_departments_for(actor, req.group)
    if not members:
        raise NotPermitted(_("只有服务团成员单位的经办人可以承接。"))
    if department is None:
        preferred = req.service.department_id if req.service else None
        department = next((d for d in members if d.pk == preferred), members[0])
    elif department.pk not in {d.pk for d in members}:
        raise NotPermitted(_("只能以本人所在的成员单位承接。"))
    if req.status != GroupRequest.Status.OPEN:
        raise Conflict(_("该诉求已办结或关闭。"))
    if req.department_id is not None:
        raise Conflict(_("该诉求已由其他单位承接。"))
    req.department = department
    req.save(update_fields=["department"])
    _audit(actor, "group.request_take", req, department=department.pk)
    _notify(
        firm_users(req.enterprise_id),
        title=_("服务团诉求已承接：%(t)s") % {"t": req.topic},
        body=_("%(d)s已承接您的诉求，正在办理。") % {"d": department.name},
        link=_link(req.pk),
        source=f"group-request:{req.pk}:take",
    )
    return req


@transaction.atomic
def group_request_solve(*, actor: Any, request_id: int, reply: str) -> GroupRequest:
    """The taking department's handler solves the request with a reply to the firm."""
    req = _locked_request(request_id)
    if req.department_id is None or req.department_id not in handler_departments(actor):
        raise NotPermitted(_("只有承接单位的经办人可以办结。"))
    if req.status != GroupRequest.Status.OPEN:
        raise Conflict(_("该诉求已办结或关闭。"))
    reply = (reply or "").strip()
    if len(reply) < 5:
        raise ServiceError(
            _("请写明办理结果（至少5个字）。"),
            field_errors={"reply": [_("请写明办理结果（至少5个字）。")]},
        )
    if len(reply) > 5000:
        raise ServiceError(
            _("办理结果不超过5000字。"), field_errors={"reply": [_("办理结果不超过5000字。")]}
        )
    req.status, req.reply, req.solved_at = GroupRequest.Status.SOLVED, reply, timezone.now()
    req.save(update_fields=["status", "reply", "solved_at"])
    _audit(
        actor,
        "group.request_solve",
        req,
        status=[GroupRequest.Status.OPEN, GroupRequest.Status.SOLVED],
    )
    _notify(
        firm_users(req.enterprise_id),
        title=_("服务团诉求已解决：%(t)s") % {"t": req.topic},
        body=reply[:200],
        link=_link(req.pk),
        source=f"group-request:{req.pk}:solve",
    )
    return req


@transaction.atomic
def group_request_close(*, actor: Any, request_id: int, reason: str) -> GroupRequest:
    """A coordinator of the group's region (or the firm, withdrawing) closes an open request
    that will not be solved, with the reason."""
    req = _locked_request(request_id)
    if not (is_coordinator_of_group(actor, req.group) or is_member_of(actor, req.enterprise_id)):
        raise NotPermitted(_("只有本辖区协调员或提出诉求的企业可以关闭。"))
    if req.status != GroupRequest.Status.OPEN:
        raise Conflict(_("该诉求已办结或关闭。"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_("请说明关闭原因。"), field_errors={"reason": [_("请说明关闭原因。")]})
    if len(reason) > 2000:
        raise ServiceError(
            _("关闭原因不超过2000字。"), field_errors={"reason": [_("关闭原因不超过2000字。")]}
        )
    req.status, req.reply = GroupRequest.Status.CLOSED, reason
    req.save(update_fields=["status", "reply"])
    _audit(
        actor,
        "group.request_close",
        req,
        status=[GroupRequest.Status.OPEN, GroupRequest.Status.CLOSED],
    )
    return req


def group_request_record_view(*, actor: Any, req: GroupRequest) -> None:
    """An access record when staff read a firm's request (the firm reading its own is not)."""
    if is_member_of(actor, req.enterprise_id):
        return
    with transaction.atomic():
        _audit(actor, "group.request_view", req)
