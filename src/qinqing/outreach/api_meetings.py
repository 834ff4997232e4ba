"""Meetings, follow-up items and named pairings under ``/api/v1/outreach``.

Thin over ``meetings.py`` and ``pairings.py``: every id is looked up inside the caller's
scope first (404 outside it, never 403: no existence oracle); the services check who may
act (403), the state (409) and the input (422). Times are ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from qinqing.accounts.models import User
from qinqing.api.schemas import Error, choices_schema
from qinqing.common.errors import ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Category
from qinqing.directory.models import Chamber, Department, Enterprise, Pairing, Region

from . import meetings as svc
from . import pairings as pair
from .models import FollowUp, Invitation, Meeting, MeetingKind, PairingContact

router = Router(tags=["outreach"])

PER_PAGE = 20


# --- schemas --------------------------------------------------------------------------------
class MeetingOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    region_id: int
    region_name: str
    organizer: str
    starts_at: str
    ends_at: str
    place: str
    agenda: str
    capacity: int | None
    registered: int
    waitlisted: int
    status: str
    status_label: str
    chamber_id: int | None
    department_ids: list[int]
    minutes: str
    ical_url: str


class InvitationOut(Schema):
    id: int
    meeting_id: int
    enterprise_id: int | None
    enterprise_name: str
    user_id: int | None
    user_name: str
    status: str
    status_label: str
    registered_at: str | None
    waitlist_position: int | None
    attended: bool
    checked_in_at: str | None


class MeetingDetailOut(MeetingOut):
    my_invitations: list[InvitationOut]


class MeetingPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[MeetingOut]


class MeetingFilters(Schema):
    kind: MeetingKind | None = None
    when: str = Field("upcoming", pattern="^(upcoming|past|all)$")
    page: int = 1


class MeetingIn(Schema):
    kind: MeetingKind
    title: str = Field(..., max_length=200)
    region_id: int
    starts_at: dt.datetime = Field(..., description="ISO 8601；不带时区时按北京时间")
    ends_at: dt.datetime
    place: str = Field("", max_length=400)
    agenda: str = Field("", max_length=10000)
    capacity: int | None = None
    chamber_id: int | None = None
    department_ids: list[int] = []


class InviteIn(Schema):
    enterprise_ids: list[int] = []
    user_ids: list[int] = []


class CheckInIn(Schema):
    attended: bool = True


class MinutesIn(Schema):
    minutes: str = Field(..., max_length=40000)


class MeetingFollowUpIn(Schema):
    title: str = Field(..., max_length=400)
    due_on: dt.date
    owner_id: int | None = None
    department_id: int | None = None


class FollowUpOut(Schema):
    id: int
    meeting_id: int
    meeting_title: str
    title: str
    owner_id: int | None
    owner_name: str
    department_id: int | None
    department_name: str
    due_on: str
    done_at: str | None
    result: str
    demand_number: str | None


class FollowUpFilters(Schema):
    state: str = Field("open", pattern="^(open|overdue|done|all)$")
    page: int = 1


class FollowUpPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[FollowUpOut]


class DoneIn(Schema):
    result: str = Field(..., max_length=10000)


class RaiseDemandIn(Schema):
    enterprise_id: int
    category_id: int
    description: str = Field("", max_length=4000)


class DemandRef(Schema):
    id: int
    number: str


class PairingOut(Schema):
    id: int
    official_id: int
    official_name: str
    enterprise_id: int
    enterprise_name: str
    started_on: str
    contacts_per_quarter: int
    quarter: str
    done: int
    state: str
    state_label: str
    last_contact_on: str | None


class ContactIn(Schema):
    kind: Annotated[PairingContact.Kind, choices_schema(PairingContact.Kind)]
    contacted_on: dt.date
    note: str = Field("", max_length=10000)


class ContactOut(Schema):
    id: int
    pairing_id: int
    kind: str
    kind_label: str
    contacted_on: str
    note: str
    logged_by: str


class QuarterFilter(Schema):
    quarter: str = Field("", description="如 2026Q1；默认本季度（北京时间）")


# --- conversion -----------------------------------------------------------------------------
def iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def _meeting(
    m: Meeting, registered: int | None = None, waitlisted: int | None = None
) -> dict[str, Any]:
    if registered is None:
        registered = svc.seats_taken(m)
    if waitlisted is None:
        waitlisted = Invitation.objects.filter(
            meeting=m, status=Invitation.Status.WAITLISTED
        ).count()
    return {
        "id": m.pk,
        "kind": m.kind,
        "kind_label": str(m.get_kind_display()),
        "title": m.title,
        "region_id": m.region_id,
        "region_name": m.region.name,
        "organizer": str(m.organizer),
        "starts_at": iso(m.starts_at),
        "ends_at": iso(m.ends_at),
        "place": m.place,
        "agenda": m.agenda,
        "capacity": m.capacity,
        "registered": registered,
        "waitlisted": waitlisted,
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "chamber_id": m.chamber_id,
        "department_ids": [d.pk for d in m.departments.all()],
        "minutes": m.minutes,
        "ical_url": f"/outreach/meetings/{m.pk}.ics",
    }


def _invitation(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "meeting_id": i.meeting_id,
        "enterprise_id": i.enterprise_id,
        "enterprise_name": i.enterprise.name if i.enterprise else "",
        "user_id": i.user_id,
        "user_name": str(i.user) if i.user else "",
        "status": i.status,
        "status_label": str(i.get_status_display()),
        "registered_at": iso(i.registered_at),
        "waitlist_position": svc.waitlist_position(i),
        "attended": i.attended,
        "checked_in_at": iso(i.checked_in_at),
    }


def _follow_up(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "meeting_id": f.meeting_id,
        "meeting_title": f.meeting.title,
        "title": f.title,
        "owner_id": f.owner_id,
        "owner_name": str(f.owner) if f.owner else "",
        "department_id": f.department_id,
        "department_name": f.department.name if f.department else "",
        "due_on": f.due_on.isoformat(),
        "done_at": iso(f.done_at),
        "result": f.result,
        "demand_number": f.demand.number if f.demand else None,
    }


def _pairing(s: pair.PairingStatus) -> dict[str, Any]:
    p = s.pairing
    return {
        "id": p.pk,
        "official_id": p.official_id,
        "official_name": str(p.official),
        "enterprise_id": p.enterprise_id,
        "enterprise_name": p.enterprise.name,
        "started_on": p.started_on.isoformat(),
        "contacts_per_quarter": p.contacts_per_quarter,
        "quarter": s.quarter.code,
        "done": s.done,
        "state": s.state,
        "state_label": s.state_label,
        "last_contact_on": s.last_contact_on.isoformat() if s.last_contact_on else None,
    }


def _contact(c: PairingContact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "pairing_id": c.pairing_id,
        "kind": c.kind,
        "kind_label": str(c.get_kind_display()),
        "contacted_on": c.contacted_on.isoformat(),
        "note": c.note,
        "logged_by": str(c.logged_by) if c.logged_by else "",
    }


def _visible_meeting(user: Any, meeting_id: int) -> Meeting:
    try:
        return svc.meeting_detail(user=user, meeting_id=meeting_id)
    except Meeting.DoesNotExist:
        raise HttpError(404, "not found") from None


def _visible_invitation(user: Any, invitation_id: int) -> Invitation:
    visible = svc.meetings_visible_to(user).values("pk")
    invitation = Invitation.objects.filter(pk=invitation_id, meeting_id__in=visible).first()
    if invitation is None:
        raise HttpError(404, "not found")
    return invitation


def _visible_follow_up(user: Any, follow_up_id: int) -> FollowUp:
    try:
        return svc.follow_up_detail(user=user, follow_up_id=follow_up_id)
    except FollowUp.DoesNotExist:
        raise HttpError(404, "not found") from None


def _visible_pairing(user: Any, pairing_id: int) -> Pairing:
    try:
        return pair.pairing_detail(user=user, pairing_id=pairing_id)
    except Pairing.DoesNotExist:
        raise HttpError(404, "not found") from None


def _meeting_values(body: MeetingIn) -> dict[str, Any]:
    return {
        "title": body.title,
        "region": Region.objects.filter(pk=body.region_id).first(),
        "starts_at": _aware(body.starts_at),
        "ends_at": _aware(body.ends_at),
        "place": body.place,
        "agenda": body.agenda,
        "capacity": body.capacity,
        "chamber": Chamber.objects.filter(pk=body.chamber_id).first() if body.chamber_id else None,
        "departments": list(Department.objects.filter(pk__in=body.department_ids)),
    }


def _departments_exist(body: MeetingIn) -> None:
    found = Department.objects.filter(pk__in=body.department_ids).count()
    if found != len(set(body.department_ids)):
        message = _("参会部门应为服务该区域的部门。")
        raise ServiceError(message, field_errors={"departments": [message]})


# --- meetings -------------------------------------------------------------------------------
@router.get(
    "/meetings",
    response={200: MeetingPage, 401: Error, 422: Error},
    summary="我可见的会议（组织的、受邀的、本区域的）",
)
def meeting_list(request: HttpRequest, filters: Query[MeetingFilters]) -> dict[str, Any]:
    qs = svc.meeting_list(
        user=_user(request),
        kind=filters.kind.value if filters.kind else "",
        when=filters.when,
    ).prefetch_related("departments")
    current = paginate(qs, filters.page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [
            _meeting(m, m.registered_count, m.waitlisted_count)  # type: ignore[attr-defined]
            for m in current.object_list
        ],
    }


@router.post(
    "/meetings",
    response={201: MeetingOut, 401: Error, 403: Error, 422: Error},
    summary="新建会议（管家：座谈会；干部：恳谈会；协调员：任意；联席会议：协调员、监督员）",
)
def meeting_create(request: HttpRequest, body: MeetingIn) -> tuple[int, dict[str, Any]]:
    _departments_exist(body)
    meeting = svc.meeting_create(
        actor=_user(request), kind=body.kind.value, **_meeting_values(body)
    )
    return 201, _meeting(meeting)


@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut, 401: Error, 404: Error},
    summary="会议详情，含我的邀请",
)
def meeting_detail(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    user = _user(request)
    meeting = _visible_meeting(user, meeting_id)
    mine = svc.own_invitations(user=user, meeting=meeting)
    return {**_meeting(meeting), "my_invitations": [_invitation(i) for i in mine]}


@router.put(
    "/meetings/{meeting_id}",
    response={200: MeetingOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="修改会议（组织者；会议召开前）",
)
def meeting_update(request: HttpRequest, meeting_id: int, body: MeetingIn) -> dict[str, Any]:
    meeting = _visible_meeting(_user(request), meeting_id)
    _departments_exist(body)
    updated = svc.meeting_update(
        actor=_user(request), meeting_id=meeting.pk, **_meeting_values(body)
    )
    return _meeting(updated)


@router.post(
    "/meetings/{meeting_id}/cancel",
    response={200: MeetingOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="取消会议（组织者），通知受邀方",
)
def meeting_cancel(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    meeting = _visible_meeting(_user(request), meeting_id)
    return _meeting(svc.meeting_cancel(actor=_user(request), meeting_id=meeting.pk))


@router.get(
    "/meetings/{meeting_id}/invitations",
    response={200: list[InvitationOut], 401: Error, 403: Error, 404: Error},
    summary="邀请与报名名单（组织者和本区域协调员、监督员、管家）",
)
def invitations(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    meeting = _visible_meeting(user, meeting_id)
    if not (svc.is_organizer(user, meeting) or svc.oversees(user, meeting)):
        raise HttpError(403, "forbidden")
    return [_invitation(i) for i in svc.invitations_of(meeting)]


@router.post(
    "/meetings/{meeting_id}/invitations",
    response={201: list[InvitationOut], 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="邀请企业和人员（组织者）",
)
def invite(
    request: HttpRequest, meeting_id: int, body: InviteIn
) -> tuple[int, list[dict[str, Any]]]:
    meeting = _visible_meeting(_user(request), meeting_id)
    created = svc.meeting_invite(
        actor=_user(request),
        meeting_id=meeting.pk,
        enterprise_ids=body.enterprise_ids,
        user_ids=body.user_ids,
    )
    return 201, [_invitation(i) for i in created]


@router.post(
    "/invitations/{invitation_id}/register",
    response={200: InvitationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="报名（受邀企业用户或受邀人员）；名额已满时列入候补",
)
def register(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    invitation = _visible_invitation(_user(request), invitation_id)
    return _invitation(svc.invitation_register(actor=_user(request), invitation_id=invitation.pk))


@router.post(
    "/invitations/{invitation_id}/decline",
    response={200: InvitationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="不参加（或取消报名）；候补第一位自动转为报名",
)
def decline(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    invitation = _visible_invitation(_user(request), invitation_id)
    return _invitation(svc.invitation_decline(actor=_user(request), invitation_id=invitation.pk))


@router.post(
    "/invitations/{invitation_id}/check-in",
    response={200: InvitationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="签到（组织者，会议当天起）",
)
def check_in(request: HttpRequest, invitation_id: int, body: CheckInIn) -> dict[str, Any]:
    invitation = _visible_invitation(_user(request), invitation_id)
    return _invitation(
        svc.invitation_check_in(
            actor=_user(request), invitation_id=invitation.pk, attended=body.attended
        )
    )


@router.put(
    "/meetings/{meeting_id}/minutes",
    response={200: MeetingOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="记录会议纪要（组织者，会议开始后）；会议即记为已召开",
)
def minutes(request: HttpRequest, meeting_id: int, body: MinutesIn) -> dict[str, Any]:
    meeting = _visible_meeting(_user(request), meeting_id)
    return _meeting(
        svc.meeting_record_minutes(
            actor=_user(request), meeting_id=meeting.pk, minutes=body.minutes
        )
    )


# --- follow-up items ------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/follow-ups",
    response={200: list[FollowUpOut], 401: Error, 404: Error},
    summary="会议事项（按可见范围：部门经办人只见本部门的）",
)
def meeting_follow_ups(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    meeting = _visible_meeting(user, meeting_id)
    return [_follow_up(f) for f in svc.follow_ups_of(user=user, meeting=meeting)]


@router.post(
    "/meetings/{meeting_id}/follow-ups",
    response={201: FollowUpOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="新增会议事项：责任人或责任部门、完成期限（组织者）",
)
def follow_up_create(
    request: HttpRequest, meeting_id: int, body: MeetingFollowUpIn
) -> tuple[int, dict[str, Any]]:
    meeting = _visible_meeting(_user(request), meeting_id)
    owner = User.objects.filter(pk=body.owner_id).first() if body.owner_id else None
    department = (
        Department.objects.filter(pk=body.department_id).first() if body.department_id else None
    )
    if body.owner_id and owner is None:
        raise ServiceError(_("责任人不存在。"), field_errors={"owner_id": [_("责任人不存在。")]})
    if body.department_id and department is None:
        message = _("责任部门不存在。")
        raise ServiceError(message, field_errors={"department_id": [message]})
    follow_up = svc.follow_up_create(
        actor=_user(request),
        meeting_id=meeting.pk,
        title=body.title,
        due_on=body.due_on,
        owner=owner,
        department=department,
    )
    return 201, _follow_up(svc.follow_up_detail(user=_user(request), follow_up_id=follow_up.pk))


@router.get(
    "/follow-ups",
    response={200: FollowUpPage, 401: Error, 422: Error},
    summary="我可见的会议事项（责任人、责任部门、组织者、本区域监督）",
)
def follow_up_list(request: HttpRequest, filters: Query[FollowUpFilters]) -> dict[str, Any]:
    current = paginate(
        svc.follow_up_list(user=_user(request), state=filters.state), filters.page, PER_PAGE
    )
    return {
        **page_fields_next(current, request),
        "items": [_follow_up(f) for f in current.object_list],
    }


@router.post(
    "/follow-ups/{follow_up_id}/done",
    response={200: FollowUpOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="办结会议事项并填写落实情况（责任人、责任部门经办人或组织者）",
)
def follow_up_done(request: HttpRequest, follow_up_id: int, body: DoneIn) -> dict[str, Any]:
    user = _user(request)
    item = _visible_follow_up(user, follow_up_id)
    svc.follow_up_complete(actor=user, follow_up_id=item.pk, result=body.result)
    return _follow_up(svc.follow_up_detail(user=user, follow_up_id=item.pk))


@router.post(
    "/follow-ups/{follow_up_id}/demand",
    response={201: DemandRef, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="把会议事项转为受邀企业的诉求（组织者：管家或协调员）",
)
def follow_up_demand(
    request: HttpRequest, follow_up_id: int, body: RaiseDemandIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    item = _visible_follow_up(user, follow_up_id)
    demand = svc.follow_up_raise_demand(
        actor=user,
        follow_up_id=item.pk,
        enterprise=Enterprise.objects.filter(pk=body.enterprise_id).select_related("grid").first(),
        category=Category.objects.filter(pk=body.category_id, active=True).first(),
        description=body.description,
    )
    return 201, {"id": demand.pk, "number": demand.number}


# --- named pairings -------------------------------------------------------------------------
def _quarter(text: str) -> svc.Quarter | None:
    if not text:
        return None
    quarter = svc.Quarter.parse(text)
    if quarter is None:
        message = _("季度格式应为 2026Q1。")
        raise ServiceError(message, field_errors={"quarter": [message]})
    return quarter


@router.get(
    "/pairings",
    response={200: list[PairingOut], 401: Error, 422: Error},
    summary="结对及某季度联系情况（干部：本人的；监督员：本区域的）",
)
def pairings(request: HttpRequest, filters: Query[QuarterFilter]) -> list[dict[str, Any]]:
    overview = pair.pairing_overview(user=_user(request), quarter=_quarter(filters.quarter))
    return [_pairing(s) for s in overview.rows]


@router.get(
    "/pairings/behind",
    response={200: list[PairingOut], 401: Error, 422: Error},
    summary="未达到联系要求的结对（默认上一个已结束的季度）",
)
def pairings_behind(request: HttpRequest, filters: Query[QuarterFilter]) -> list[dict[str, Any]]:
    rows = pair.pairings_behind(user=_user(request), quarter=_quarter(filters.quarter))
    return [_pairing(s) for s in rows]


@router.get(
    "/pairings/{pairing_id}/contacts",
    response={200: list[ContactOut], 401: Error, 404: Error},
    summary="结对联系记录",
)
def contacts(request: HttpRequest, pairing_id: int) -> list[dict[str, Any]]:
    pairing = _visible_pairing(_user(request), pairing_id)
    return [_contact(c) for c in pair.contacts_of(pairing)]


@router.post(
    "/pairings/{pairing_id}/contacts",
    response={201: ContactOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="记录一次联系（只有结对干部本人）",
)
def contact_log(
    request: HttpRequest, pairing_id: int, body: ContactIn
) -> tuple[int, dict[str, Any]]:
    pairing = _visible_pairing(_user(request), pairing_id)
    contact = pair.contact_log(
        actor=_user(request),
        pairing_id=pairing.pk,
        kind=body.kind.value,
        contacted_on=body.contacted_on,
        note=body.note,
    )
    return 201, _contact(contact)
