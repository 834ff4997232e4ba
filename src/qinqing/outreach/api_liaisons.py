"""The liaison API under ``/api/v1/outreach``: activities, service groups, chambers, judicial
safeguards and observers. Thin over the services and selectors in ``activities``, ``groups``
and ``liaison``.

Every id from the client is looked up inside the caller's scope first, so a record outside it
answers 404 exactly like one that does not exist (a legal request is 404 to everyone but the
firm and the chosen liaison). Writes go through the services, which check permission (403),
the state (409) and the input (422). Times are ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error, choices_schema
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Chamber, Enterprise, IndustrySection
from qinqing.directory.selectors import regions_all

from . import activities, groups, liaison
from .models import (
    Activity,
    ActivityKind,
    ChamberConsent,
    GroupRequest,
    LegalRequest,
    ObserverFeedback,
    Registration,
    ServiceGroup,
)

router = Router(tags=["outreach"])

PER_PAGE = 20


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _not_found() -> HttpError:
    return HttpError(404, "not found")


def _own_firm(user: Any, enterprise_id: int) -> Enterprise:
    """One of the caller's own firms (enterprise user); otherwise 403 (no firm oracle)."""
    firm = next((f for f in activities.firms_of(user) if f.pk == enterprise_id), None)
    if firm is None:
        raise NotPermitted(_("只有企业本身的用户可以代表企业操作。"))
    return firm


# === activities ===============================================================================
class ActivityOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    region_id: int
    region_name: str
    industry_sections: list[str]
    size: str
    chamber_id: int | None
    target: str
    starts_at: str
    place: str
    capacity: int
    registered: int
    waitlisted: int
    registration_closes_at: str
    organizer: str


class ActivityPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[ActivityOut]


class ActivityIn(Schema):
    kind: ActivityKind
    title: str = Field(..., max_length=120)
    description: str = Field("", max_length=5000)
    region_id: int
    industry_sections: list[IndustrySection] = Field(
        default_factory=list, description="GB/T 4754 门类字母，空为不限"
    )
    size: Literal["", "above", "below"] = Field("", description="above 规上、below 规下、空为不限")
    chamber_id: int | None = None
    starts_at: datetime
    registration_closes_at: datetime
    place: str = Field("", max_length=200)
    capacity: int = Field(..., ge=1, le=activities.MAX_CAPACITY)


class RegistrationOut(Schema):
    id: int
    activity_id: int
    enterprise_id: int
    enterprise_name: str
    status: str
    status_label: str
    waitlist_position: int | None
    created_at: str
    checked_in_at: str | None
    feedback_rating: int | None
    feedback_text: str


class RegisterIn(Schema):
    enterprise_id: int


class FeedbackIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    text: str = Field("", max_length=2000)


def _activity(a: Activity, registered: int | None = None, waitlisted: int | None = None) -> dict:
    if registered is None or waitlisted is None:
        figures = activities.activity_figures(a)
        registered, waitlisted = figures.registered, figures.waitlisted
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "title": a.title,
        "description": a.description,
        "region_id": a.region_id,
        "region_name": a.region.name,
        "industry_sections": list(a.industry_sections or []),
        "size": a.size,
        "chamber_id": a.chamber_id,
        "target": activities.target_text(a),
        "starts_at": iso(a.starts_at),
        "place": a.place,
        "capacity": a.capacity,
        "registered": registered,
        "waitlisted": waitlisted,
        "registration_closes_at": iso(a.registration_closes_at),
        "organizer": str(a.organizer),
    }


def _registration(r: Registration) -> dict[str, Any]:
    return {
        "id": r.pk,
        "activity_id": r.activity_id,
        "enterprise_id": r.enterprise_id,
        "enterprise_name": r.enterprise.name,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "waitlist_position": activities.waitlist_position(r),
        "created_at": iso(r.created_at),
        "checked_in_at": iso(r.checked_in_at),
        "feedback_rating": r.feedback_rating,
        "feedback_text": r.feedback_text,
    }


def _visible_activity(user: Any, activity_id: int) -> Activity:
    try:
        return activities.activity_detail(user=user, activity_id=activity_id)
    except Activity.DoesNotExist:
        raise _not_found() from None


def _visible_registration(user: Any, registration_id: int) -> Registration:
    """The caller's own firm's registration, or one of an activity the caller organizes."""
    reg = (
        Registration.objects.select_related("activity", "activity__region", "enterprise")
        .filter(pk=registration_id)
        .first()
    )
    if reg is None:
        raise _not_found()
    if not (
        activities.is_member_of(user, reg.enterprise_id)
        or activities.can_organize(user, reg.activity)
    ):
        raise _not_found()
    return reg


@router.get(
    "/activities",
    response={200: ActivityPage, 401: Error, 422: Error},
    summary="活动列表（本人可见范围：所在区域及上级区域的活动）",
)
def activity_list(
    request: HttpRequest,
    kind: ActivityKind | None = None,
    upcoming: bool = False,
    page: int = 1,
) -> dict[str, Any]:
    qs = activities.activity_list(
        user=_user(request), kind=kind.value if kind else "", upcoming=upcoming
    )
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [
            _activity(a, a.registered_count, a.waitlisted_count)  # type: ignore[attr-defined]
            for a in current.object_list
        ],
    }


@router.post(
    "/activities",
    response={201: ActivityOut, 401: Error, 403: Error, 422: Error},
    summary="发布活动（本辖区协调员或系统管理员）",
)
def activity_create(request: HttpRequest, body: ActivityIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    region = regions_all().filter(pk=body.region_id).first()
    chamber = None
    if body.chamber_id is not None:
        chamber = liaison.chambers_visible_to(user).filter(pk=body.chamber_id).first()
        if chamber is None:
            raise ServiceError(_("没有该商会。"), field_errors={"chamber_id": [_("没有该商会。")]})
    activity = activities.activity_create(
        actor=user,
        kind=body.kind.value,
        title=body.title,
        description=body.description,
        region=region,
        industry_sections=[s.value for s in body.industry_sections],
        size=body.size,
        chamber=chamber,
        starts_at=body.starts_at,
        registration_closes_at=body.registration_closes_at,
        place=body.place,
        capacity=body.capacity,
    )
    return 201, _activity(activity)


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityOut, 401: Error, 404: Error},
    summary="活动详情",
)
def activity_get(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return _activity(_visible_activity(_user(request), activity_id))


@router.get(
    "/activities/{activity_id}/registrations",
    response={200: list[RegistrationOut], 401: Error, 404: Error},
    summary="报名名单：组织者看到全部，企业只看到本企业的报名",
)
def activity_registrations(request: HttpRequest, activity_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    activity = _visible_activity(user, activity_id)
    if activities.can_organize(user, activity):
        rows = list(activities.registrations_of(activity))
    else:
        rows = activities.own_registrations(user=user, activity=activity)
    return [_registration(r) for r in rows]


@router.post(
    "/activities/{activity_id}/registrations",
    response={201: RegistrationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="企业报名；名额满时进入候补（按报名先后）；不在面向范围内返回403并说明原因",
)
def activity_register(
    request: HttpRequest, activity_id: int, body: RegisterIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    activity = _visible_activity(user, activity_id)
    firm = _own_firm(user, body.enterprise_id)
    reg = activities.activity_register(actor=user, activity_id=activity.pk, enterprise=firm)
    return 201, _registration(reg)


@router.post(
    "/registrations/{registration_id}/cancel",
    response={200: RegistrationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="取消报名；空出的名额自动给第一位候补",
)
def registration_cancel(request: HttpRequest, registration_id: int) -> dict[str, Any]:
    user = _user(request)
    reg = _visible_registration(user, registration_id)
    return _registration(activities.registration_cancel(actor=user, registration_id=reg.pk))


@router.post(
    "/registrations/{registration_id}/check-in",
    response={200: RegistrationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="签到（活动组织者，活动当天起）",
)
def registration_check_in(request: HttpRequest, registration_id: int) -> dict[str, Any]:
    user = _user(request)
    reg = _visible_registration(user, registration_id)
    return _registration(activities.registration_check_in(actor=user, registration_id=reg.pk))


@router.post(
    "/registrations/{registration_id}/feedback",
    response={200: RegistrationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="活动反馈（仅签到参加的企业，一次）",
)
def registration_feedback(
    request: HttpRequest, registration_id: int, body: FeedbackIn
) -> dict[str, Any]:
    user = _user(request)
    reg = _visible_registration(user, registration_id)
    return _registration(
        activities.registration_feedback(
            actor=user, registration_id=reg.pk, rating=body.rating, text=body.text
        )
    )


# === service groups ===========================================================================
class ServiceOut(Schema):
    id: int
    name: str
    description: str
    department_id: int
    department_name: str


class GroupOut(Schema):
    id: int
    name: str
    region_id: int
    region_name: str
    purpose: str
    members: int
    requests: int
    open: int
    solved: int
    closed: int


class GroupDetailOut(GroupOut):
    departments: list[str]
    services: list[ServiceOut]


class GroupRequestOut(Schema):
    id: int
    group_id: int
    group_name: str
    enterprise_id: int
    enterprise_name: str
    service_id: int | None
    service_name: str
    topic: str
    description: str
    department_id: int | None
    department_name: str
    status: str
    status_label: str
    reply: str
    created_at: str
    solved_at: str | None
    allowed_actions: list[str]


class GroupRequestPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[GroupRequestOut]


class GroupRequestIn(Schema):
    enterprise_id: int
    service_id: int
    topic: str = Field(..., max_length=120)
    description: str = Field(..., max_length=5000)


class LiaisonReplyIn(Schema):
    reply: str = Field(..., max_length=5000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class ServiceGroupIn(Schema):
    name: str = Field(..., max_length=120)
    region_id: int = Field(..., description="服务区域：本辖区内、到社区一级")
    purpose: str = Field("", max_length=255)


class ServiceGroupMembersIn(Schema):
    department_ids: list[int] = Field(
        ..., description="全部成员单位（整体替换）：须服务于该区域（区域内或其上级）"
    )


class ServiceGroupServiceIn(Schema):
    department_id: int = Field(..., description="提供服务的成员单位")
    name: str = Field(..., max_length=120)
    description: str = Field("", max_length=2000)


def _group(g: ServiceGroup, counts: groups.GroupCounts, members: int) -> dict[str, Any]:
    return {
        "id": g.pk,
        "name": g.name,
        "region_id": g.region_id,
        "region_name": g.region.name,
        "purpose": g.purpose,
        "members": members,
        "requests": counts.total,
        "open": counts.open,
        "solved": counts.solved,
        "closed": counts.closed,
    }


def _group_request(user: Any, r: GroupRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "group_id": r.group_id,
        "group_name": r.group.name,
        "enterprise_id": r.enterprise_id,
        "enterprise_name": r.enterprise.name,
        "service_id": r.service_id,
        "service_name": r.service.name if r.service else "",
        "topic": r.topic,
        "description": r.description,
        "department_id": r.department_id,
        "department_name": r.department.name if r.department else "",
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "reply": r.reply,
        "created_at": iso(r.created_at),
        "solved_at": iso(r.solved_at),
        "allowed_actions": groups.allowed_request_actions(user, r),
    }


def _visible_group(user: Any, group_id: int) -> ServiceGroup:
    try:
        return groups.group_detail(user=user, group_id=group_id)
    except ServiceGroup.DoesNotExist:
        raise _not_found() from None


def _visible_group_request(user: Any, request_id: int) -> GroupRequest:
    try:
        return groups.group_request_detail(user=user, request_id=request_id)
    except GroupRequest.DoesNotExist:
        raise _not_found() from None


@router.get(
    "/service-groups",
    response={200: list[GroupOut], 401: Error},
    summary="靶向服务团及解决问题数（只有数字）",
)
def group_list(request: HttpRequest) -> list[dict[str, Any]]:
    items = list(groups.group_list(user=_user(request)))
    counts = groups.group_counts(items)
    return [_group(g, counts[g.pk], g.member_count) for g in items]  # type: ignore[attr-defined]


@router.post(
    "/service-groups",
    response={201: GroupDetailOut, 401: Error, 403: Error, 422: Error},
    summary="组建靶向服务团（本辖区协调员或系统管理员）；成员单位和服务事项随后添加",
)
def group_create(
    request: HttpRequest, response: HttpResponse, body: ServiceGroupIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    regions = activities.organizer_regions(user)
    if not regions:
        raise NotPermitted(_("只有本辖区的协调员可以组建服务团。"))
    region = next((r for r in regions if r.pk == body.region_id), None)
    if region is None:
        message = _("请选择服务区域。")
        raise ServiceError(message, field_errors={"region_id": [message]})
    group = groups.group_create(actor=user, name=body.name, region=region, purpose=body.purpose)
    response["Location"] = f"/api/v1/outreach/service-groups/{group.pk}"
    return 201, _group_detail(_visible_group(user, group.pk))


def _managed_group(user: Any, group_id: int, message: str) -> ServiceGroup:
    """A group the caller sees (404 otherwise) and manages (403 otherwise)."""
    group = _visible_group(user, group_id)
    if not groups.can_manage_group(user, group):
        raise NotPermitted(message)
    return group


@router.put(
    "/service-groups/{group_id}/members",
    response={200: GroupDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="设置服务团的成员单位（整体替换）；仍提供服务事项的单位不能移出（409）",
)
def group_members_set(
    request: HttpRequest, group_id: int, body: ServiceGroupMembersIn
) -> dict[str, Any]:
    user = _user(request)
    group = _managed_group(user, group_id, _("只有本辖区的协调员可以调整成员单位。"))
    wanted = set(body.department_ids)
    chosen = list(groups.candidate_departments(group.region).filter(pk__in=wanted))
    if len(chosen) != len(wanted):
        message = _("成员单位须服务于该区域。")
        raise ServiceError(message, field_errors={"department_ids": [message]})
    groups.group_set_members(actor=user, group_id=group.pk, departments=chosen)
    return _group_detail(_visible_group(user, group.pk))


@router.post(
    "/service-groups/{group_id}/services",
    response={201: ServiceOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="为服务团添加服务事项（由一个成员单位提供）",
)
def group_service_add(
    request: HttpRequest, response: HttpResponse, group_id: int, body: ServiceGroupServiceIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    group = _managed_group(user, group_id, _("只有本辖区的协调员可以设置服务事项。"))
    department = group.departments.filter(pk=body.department_id).first()
    service = groups.group_service_add(
        actor=user,
        group_id=group.pk,
        department=department,
        name=body.name,
        description=body.description,
    )
    response["Location"] = f"/api/v1/outreach/service-groups/{group.pk}"  # read with its group
    return 201, {
        "id": service.pk,
        "name": service.name,
        "description": service.description,
        "department_id": service.department_id,
        "department_name": service.department.name,
    }


@router.get(
    "/service-groups/{group_id}",
    response={200: GroupDetailOut, 401: Error, 404: Error},
    summary="服务团详情：成员单位和服务事项",
)
def group_get(request: HttpRequest, group_id: int) -> dict[str, Any]:
    return _group_detail(_visible_group(_user(request), group_id))


def _group_detail(group: ServiceGroup) -> dict[str, Any]:
    departments = list(group.departments.order_by("name"))
    return {
        **_group(group, groups.group_counts([group])[group.pk], len(departments)),
        "departments": [d.name for d in departments],
        "services": [
            {
                "id": s.pk,
                "name": s.name,
                "description": s.description,
                "department_id": s.department_id,
                "department_name": s.department.name,
            }
            for s in groups.group_services(group)
        ],
    }


@router.post(
    "/service-groups/{group_id}/requests",
    response={201: GroupRequestOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="企业向服务团提问（选择服务事项）",
)
def group_ask(
    request: HttpRequest, group_id: int, body: GroupRequestIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    group = _visible_group(user, group_id)
    firm = _own_firm(user, body.enterprise_id)
    req = groups.group_request_submit(
        actor=user,
        group_id=group.pk,
        enterprise=firm,
        service_id=body.service_id,
        topic=body.topic,
        description=body.description,
    )
    return 201, _group_request(user, _visible_group_request(user, req.pk))


@router.get(
    "/group-requests",
    response={200: GroupRequestPage, 401: Error, 404: Error, 422: Error},
    summary="服务团诉求：协调员看辖区服务团的，成员单位经办人看所在服务团的，企业看本企业的",
)
def group_request_list(
    request: HttpRequest,
    status: GroupRequest.Status | None = None,
    group_id: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    user = _user(request)
    group = _visible_group(user, group_id) if group_id is not None else None
    qs = groups.group_request_list(user=user, group=group, status=status.value if status else "")
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_group_request(user, r) for r in current.object_list],
    }


@router.get(
    "/group-requests/{request_id}",
    response={200: GroupRequestOut, 401: Error, 404: Error},
    summary="服务团诉求详情",
)
def group_request_get(request: HttpRequest, request_id: int) -> dict[str, Any]:
    user = _user(request)
    req = _visible_group_request(user, request_id)
    groups.group_request_record_view(actor=user, req=req)
    return _group_request(user, req)


@router.post(
    "/group-requests/{request_id}/take",
    response={200: GroupRequestOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="成员单位经办人承接（已被承接返回409）",
)
def group_request_take(request: HttpRequest, request_id: int) -> dict[str, Any]:
    user = _user(request)
    req = _visible_group_request(user, request_id)
    groups.group_request_take(actor=user, request_id=req.pk)
    return _group_request(user, _visible_group_request(user, req.pk))


@router.post(
    "/group-requests/{request_id}/solve",
    response={200: GroupRequestOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="承接单位办结并答复企业",
)
def group_request_solve(
    request: HttpRequest, request_id: int, body: LiaisonReplyIn
) -> dict[str, Any]:
    user = _user(request)
    req = _visible_group_request(user, request_id)
    groups.group_request_solve(actor=user, request_id=req.pk, reply=body.reply)
    return _group_request(user, _visible_group_request(user, req.pk))


@router.post(
    "/group-requests/{request_id}/close",
    response={200: GroupRequestOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="关闭（辖区协调员，或提出的企业撤回），须说明原因",
)
def group_request_close(request: HttpRequest, request_id: int, body: ReasonIn) -> dict[str, Any]:
    user = _user(request)
    req = _visible_group_request(user, request_id)
    groups.group_request_close(actor=user, request_id=req.pk, reason=body.reason)
    return _group_request(user, _visible_group_request(user, req.pk))


# === chambers =================================================================================
class ConsentOut(Schema):
    id: int
    chamber_id: int
    enterprise_id: int
    granted_at: str
    revoked_at: str | None


class ConsentIn(Schema):
    enterprise_id: int


class StateCount(Schema):
    state: str
    label: str
    count: int


class ChamberFiguresOut(Schema):
    chamber_id: int
    chamber_name: str
    members: int
    consents: int
    received: int
    open: int
    via_chamber: int
    resolved: int
    resolved_on_time: int
    due: int
    resolved_on_time_rate: float | None = Field(None, description="按期办结率（%）")
    accepted_on_time_rate: float | None = Field(None, description="按时受理率（%）")
    satisfaction_rate: float | None = Field(None, description="满意率（%）")
    by_state: list[StateCount]


class DockingMeetingOut(Schema):
    id: int
    title: str
    starts_at: str
    place: str
    status: str
    departments: list[str]


def _consent(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "chamber_id": c.chamber_id,
        "enterprise_id": c.enterprise_id,
        "granted_at": iso(c.granted_at),
        "revoked_at": iso(c.revoked_at),
    }


def _visible_chamber(user: Any, chamber_id: int) -> Chamber:
    try:
        return liaison.chamber_detail(user=user, chamber_id=chamber_id)
    except Chamber.DoesNotExist:
        raise _not_found() from None


@router.get(
    "/chambers/{chamber_id}/figures",
    response={200: ChamberFiguresOut, 401: Error, 403: Error, 404: Error},
    summary="商会会员诉求汇总：按状态的件数和按期率（辖区协调员、监督员；只有数字）",
)
def chamber_figures(request: HttpRequest, chamber_id: int) -> dict[str, Any]:
    user = _user(request)
    chamber = _visible_chamber(user, chamber_id)
    f = liaison.chamber_figures(user=user, chamber=chamber)
    return {
        "chamber_id": chamber.pk,
        "chamber_name": chamber.name,
        "members": f.members,
        "consents": f.consents,
        "received": f.figures.received,
        "open": f.open,
        "via_chamber": f.via_chamber,
        "resolved": f.figures.resolved,
        "resolved_on_time": f.figures.resolved_on_time,
        "due": f.figures.due,
        "resolved_on_time_rate": f.figures.resolved_on_time_rate,
        "accepted_on_time_rate": f.figures.accepted_on_time_rate,
        "satisfaction_rate": f.figures.satisfaction_rate,
        "by_state": [{"state": s, "label": label, "count": n} for s, label, n in f.by_state],
    }


@router.get(
    "/chambers/{chamber_id}/docking-meetings",
    response={200: list[DockingMeetingOut], 401: Error, 403: Error, 404: Error},
    summary="商会与部门的对接会（只读）",
)
def chamber_meetings(request: HttpRequest, chamber_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    chamber = _visible_chamber(user, chamber_id)
    if not liaison.is_chamber_staff(user, chamber):
        raise HttpError(403, "forbidden")
    return [
        {
            "id": m.pk,
            "title": m.title,
            "starts_at": iso(m.starts_at),
            "place": m.place,
            "status": m.status,
            "departments": [d.name for d in m.departments.all()],
        }
        for m in liaison.docking_meetings(chamber)[:100]
    ]


@router.post(
    "/chambers/{chamber_id}/consents",
    response={201: ConsentOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="会员企业授权商会代办（已授权返回409）",
)
def consent_grant(
    request: HttpRequest, chamber_id: int, body: ConsentIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    chamber = _visible_chamber(user, chamber_id)
    firm = _own_firm(user, body.enterprise_id)
    return 201, _consent(
        liaison.chamber_consent_grant(actor=user, chamber_id=chamber.pk, enterprise=firm)
    )


@router.post(
    "/consents/{consent_id}/revoke",
    response={200: ConsentOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="撤销商会代办授权（企业本身）",
)
def consent_revoke(request: HttpRequest, consent_id: int) -> dict[str, Any]:
    user = _user(request)
    own = [f.pk for f in activities.firms_of(user)]
    if not ChamberConsent.objects.filter(pk=consent_id, enterprise_id__in=own).exists():
        raise _not_found()
    return _consent(liaison.chamber_consent_revoke(actor=user, consent_id=consent_id))


# === judicial safeguards ======================================================================
class LegalOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    kind: str
    kind_label: str
    institution: str
    institution_label: str
    department_id: int
    department_name: str
    description: str
    status: str
    status_label: str
    reply: str
    created_at: str
    answered_at: str | None


class LegalIn(Schema):
    enterprise_id: int
    kind: Annotated[LegalRequest.Kind, choices_schema(LegalRequest.Kind)]
    institution: LegalRequest.Institution
    department_id: int
    description: str = Field(..., max_length=5000)


class LegalStatOut(Schema):
    district_id: int | None
    district: str
    total: int
    by_kind: dict[str, int]
    by_institution: dict[str, int]


def _legal(r: LegalRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "enterprise_id": r.enterprise_id,
        "enterprise_name": r.enterprise.name,
        "kind": r.kind,
        "kind_label": str(r.get_kind_display()),
        "institution": r.institution,
        "institution_label": str(r.get_institution_display()),
        "department_id": r.department_id,
        "department_name": r.department.name,
        "description": r.description,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "reply": r.reply,
        "created_at": iso(r.created_at),
        "answered_at": iso(r.answered_at),
    }


def _visible_legal(user: Any, request_id: int) -> LegalRequest:
    try:
        return liaison.legal_request_detail(user=user, request_id=request_id)
    except LegalRequest.DoesNotExist:
        raise _not_found() from None


@router.get(
    "/legal-requests",
    response={200: list[LegalOut], 401: Error},
    summary="司法保障请求：企业看本企业的，联络单位经办人看发给本单位的，其他人看不到",
)
def legal_list(request: HttpRequest) -> list[dict[str, Any]]:
    qs = liaison.legal_requests_visible_to(_user(request)).order_by("-created_at", "-pk")
    return [_legal(r) for r in qs[:200]]


@router.get(
    "/legal-requests/statistics",
    response={200: list[LegalStatOut], 401: Error, 403: Error},
    summary="司法保障统计：按区县市、类型和受理机关的件数（不含任何细节）",
)
def legal_stats(request: HttpRequest) -> list[dict[str, Any]]:
    if not liaison.can_read_legal_statistics(_user(request)):
        raise HttpError(403, "forbidden")
    return [
        {
            "district_id": row.district.pk if row.district else None,
            "district": row.label,
            "total": row.total,
            "by_kind": {k: row.by_kind.get(k, 0) for k in LegalRequest.Kind.values},
            "by_institution": {
                i: row.by_institution.get(i, 0) for i in LegalRequest.Institution.values
            },
        }
        for row in liaison.legal_statistics()
    ]


@router.post(
    "/legal-requests",
    response={201: LegalOut, 401: Error, 403: Error, 422: Error},
    summary="企业申请法律服务，送达所选法院、检察院或司法局的联络单位",
)
def legal_create(request: HttpRequest, body: LegalIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    firm = _own_firm(user, body.enterprise_id)
    req = liaison.legal_request_submit(
        actor=user,
        enterprise=firm,
        kind=body.kind.value,
        institution=body.institution.value,
        department_id=body.department_id,
        description=body.description,
    )
    return 201, _legal(_visible_legal(user, req.pk))


@router.get(
    "/legal-requests/{request_id}",
    response={200: LegalOut, 401: Error, 404: Error},
    summary="司法保障请求详情（仅企业和联络单位；其他人一律404）",
)
def legal_get(request: HttpRequest, request_id: int) -> dict[str, Any]:
    user = _user(request)
    req = _visible_legal(user, request_id)
    liaison.legal_request_record_view(actor=user, req=req)
    return _legal(req)


@router.post(
    "/legal-requests/{request_id}/answer",
    response={200: LegalOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="联络单位答复企业",
)
def legal_answer(request: HttpRequest, request_id: int, body: LiaisonReplyIn) -> dict[str, Any]:
    user = _user(request)
    req = _visible_legal(user, request_id)
    liaison.legal_request_answer(actor=user, request_id=req.pk, reply=body.reply)
    return _legal(_visible_legal(user, req.pk))


# === observers ================================================================================
class LiaisonPersonOut(Schema):
    id: int
    name: str
    phone: str
    title: str


class LiaisonVisitOut(Schema):
    id: int
    visited_on: str
    steward: str
    met_person: str
    topics: str


class LiaisonMeetingOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    starts_at: str
    place: str
    status: str
    invitation_status: str


class ObserverOverviewOut(Schema):
    enterprise_id: int
    enterprise_name: str
    stewards: list[LiaisonPersonOut]
    officials: list[LiaisonPersonOut]
    visits: list[LiaisonVisitOut]
    meetings: list[LiaisonMeetingOut]


class ObserverFeedbackIn(Schema):
    enterprise_id: int
    kind: Annotated[ObserverFeedback.Kind, choices_schema(ObserverFeedback.Kind)]
    subject_id: int | None = Field(None, description="本企业的管家或结对干部的用户ID，可不填")
    text: str = Field(..., max_length=5000)


class ObserverFeedbackOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    observer: str
    kind: str
    kind_label: str
    subject: str
    text: str
    created_at: str


def _person(u: Any) -> dict[str, Any]:
    return {"id": u.pk, "name": str(u), "phone": u.phone or "", "title": u.title}


def _feedback(f: ObserverFeedback) -> dict[str, Any]:
    return {
        "id": f.pk,
        "enterprise_id": f.enterprise_id,
        "enterprise_name": f.enterprise.name,
        "observer": str(f.observer),
        "kind": f.kind,
        "kind_label": str(f.get_kind_display()),
        "subject": str(f.subject) if f.subject else "",
        "text": f.text,
        "created_at": iso(f.created_at),
    }


@router.get(
    "/observer/firms/{enterprise_id}",
    response={200: ObserverOverviewOut, 401: Error, 404: Error},
    summary="观察员所在企业：管家、结对干部、走访记录和受邀会议",
)
def observer_overview(request: HttpRequest, enterprise_id: int) -> dict[str, Any]:
    try:
        o = liaison.observer_overview(user=_user(request), enterprise_id=enterprise_id)
    except Enterprise.DoesNotExist:
        raise _not_found() from None
    return {
        "enterprise_id": o.firm.pk,
        "enterprise_name": o.firm.name,
        "stewards": [_person(u) for u in o.stewards],
        "officials": [_person(u) for u in o.officials],
        "visits": [
            {
                "id": v.pk,
                "visited_on": v.visited_on.isoformat(),
                "steward": str(v.steward),
                "met_person": v.met_person,
                "topics": v.topics,
            }
            for v in o.visits
        ],
        "meetings": [
            {
                "id": row.meeting.pk,
                "title": row.meeting.title,
                "kind": row.meeting.kind,
                "kind_label": str(row.meeting.get_kind_display()),
                "starts_at": iso(row.meeting.starts_at),
                "place": row.meeting.place,
                "status": row.meeting.status,
                "invitation_status": row.invitation.status,
            }
            for row in o.meetings
        ],
    }


@router.post(
    "/observer/feedback",
    response={201: ObserverFeedbackOut, 401: Error, 403: Error, 422: Error},
    summary="观察员发送廉情反馈（日常反馈或问题反映）；被反馈人员看不到",
)
def observer_feedback_send(
    request: HttpRequest, body: ObserverFeedbackIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    firm = next((f for f in liaison.observed_firms(user) if f.pk == body.enterprise_id), None)
    if firm is None:
        raise NotPermitted(_("只有该企业的亲清观察员可以反馈。"))
    feedback = liaison.observer_feedback_send(
        actor=user,
        enterprise=firm,
        kind=body.kind.value,
        subject_id=body.subject_id,
        text=body.text,
    )
    return 201, _feedback(feedback)


class FeedbackFilters(Schema):
    kind: Annotated[
        ObserverFeedback.Kind | None, choices_schema(ObserverFeedback.Kind, nullable=True)
    ] = None
    page: int = 1


class ObserverFeedbackPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[ObserverFeedbackOut]


@router.get(
    "/observer/feedback",
    response={200: ObserverFeedbackPage, 401: Error, 403: Error, 422: Error},
    summary="观察员反馈列表（辖区监督员；被反馈人员本人的不列出）",
)
def observer_feedback_list(request: HttpRequest, filters: Query[FeedbackFilters]) -> dict[str, Any]:
    user = _user(request)
    if not liaison.is_feedback_reader(user):
        raise HttpError(403, "forbidden")
    qs = liaison.feedback_list(user=user, kind=filters.kind.value if filters.kind else "")
    current = paginate(qs, filters.page, PER_PAGE)
    items = list(current.object_list)
    liaison.feedback_record_view(actor=user, items=items)
    return {
        **page_fields_next(current, request),
        "items": [_feedback(f) for f in items],
    }
