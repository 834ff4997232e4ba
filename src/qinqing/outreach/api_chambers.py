"""Chambers of commerce (商会) and their members in /api/v1/outreach/chambers.

The twin of the back office's chamber pages and the web's chamber liaison pages: the system
admin creates a chamber and enrols member firms (``directory.services``); coordinators and
supervisors of the chamber's region read the members with their consent (a member's consent
is what lets the chamber raise demands for it, granted and revoked by the firm itself through
``/outreach/chambers/{id}/consents``). A chamber or a firm outside the caller's scope answers
404, like one that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory import services as directory_services
from qinqing.directory.models import Chamber, Region
from qinqing.directory.selectors import enterprises_visible_to

from . import liaison

router = Router(tags=["商会"])
PER_PAGE = 50


class OutreachChamberIn(Schema):
    name: str = Field(..., max_length=120)
    region_id: int = Field(..., description="商会所在区域")


class OutreachChamberMemberIn(Schema):
    enterprise_id: int
    position: str = Field("", max_length=32, description="职务，默认“会员”")
    joined_on: date | None = None


class OutreachChamberOut(Schema):
    id: int
    name: str
    region_id: int
    region_name: str
    member_count: int
    consent_count: int


class OutreachChamberPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[OutreachChamberOut]


class OutreachChamberMemberOut(Schema):
    chamber_id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    position: str
    joined_on: date | None
    consenting: bool = Field(..., description="是否已授权商会代办诉求（有效授权）")
    consent_id: int | None
    consent_granted_at: str | None


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _chamber_out(c: Chamber) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "region_id": c.region_id,
        "region_name": c.region.name,
        "member_count": getattr(c, "member_count", None) or c.members.count(),
        "consent_count": (
            getattr(c, "consent_count", None) or c.consents.filter(revoked_at__isnull=True).count()  # type: ignore[attr-defined]
        ),
    }


def _visible(user: Any, chamber_id: int) -> Chamber:
    chamber = liaison.chamber_list(user=user).filter(pk=chamber_id).first()
    if chamber is None:
        raise HttpError(404, "not found")
    return chamber


def _member(chamber: Chamber, row: liaison.MemberRow) -> dict[str, Any]:
    return {
        "chamber_id": chamber.pk,
        "enterprise_id": row.enterprise.pk,
        "enterprise_name": row.enterprise.name,
        "uscc": row.enterprise.uscc,
        "position": row.position,
        "joined_on": row.joined_on,
        "consenting": row.consent is not None,
        "consent_id": row.consent.pk if row.consent else None,
        "consent_granted_at": iso(row.consent.granted_at) if row.consent else None,
    }


@router.get(
    "/chambers",
    response={200: OutreachChamberPage, 401: Error, 422: Error},
    summary="可见的商会（辖区协调员、监督员；会员企业看到本企业所在的商会；系统管理员看全部）",
)
def chamber_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    current = paginate(liaison.chamber_list(user=_user(request)), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_chamber_out(c) for c in current.object_list],
    }


@router.post(
    "/chambers",
    response={201: OutreachChamberOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="新增商会（只有系统管理员）；同名商会已存在返回409",
)
def chamber_create(
    request: HttpRequest, response: HttpResponse, body: OutreachChamberIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    region = Region.objects.filter(pk=body.region_id).first()
    if region is None:
        message = _("找不到该区域。")
        raise ServiceError(message, field_errors={"region_id": [message]})
    chamber = directory_services.chamber_create(actor=user, name=body.name, region=region)
    response["Location"] = f"/api/v1/outreach/chambers/{chamber.pk}"
    return 201, _chamber_out(_visible(user, chamber.pk))


@router.get(
    "/chambers/{chamber_id}",
    response={200: OutreachChamberOut, 401: Error, 404: Error},
    summary="一个商会",
)
def chamber_get(request: HttpRequest, chamber_id: int) -> dict[str, Any]:
    return _chamber_out(_visible(_user(request), chamber_id))


@router.get(
    "/chambers/{chamber_id}/members",
    response={200: list[OutreachChamberMemberOut], 401: Error, 403: Error, 404: Error},
    summary="商会会员及其代办授权（辖区协调员、监督员、系统管理员）",
)
def member_list(request: HttpRequest, chamber_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    chamber = _visible(user, chamber_id)
    if not liaison.is_chamber_staff(user, chamber):
        raise NotPermitted(_("您无权查看该商会的会员。"))
    return [_member(chamber, row) for row in liaison.chamber_members(chamber)]


@router.post(
    "/chambers/{chamber_id}/members",
    response={
        201: OutreachChamberMemberOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        422: Error,
    },
    summary="登记商会会员（只有系统管理员）；会员须由企业本身授权后商会才能代办；已是会员返回409",
)
def member_add(
    request: HttpRequest, response: HttpResponse, chamber_id: int, body: OutreachChamberMemberIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    chamber = _visible(user, chamber_id)
    enterprise = enterprises_visible_to(user).filter(pk=body.enterprise_id).first()
    if enterprise is None:
        raise HttpError(404, "not found")
    membership = directory_services.chamber_member_add(
        actor=user,
        chamber=chamber,
        enterprise=enterprise,
        position=body.position,
        joined_on=body.joined_on,
    )
    response["Location"] = f"/api/v1/outreach/chambers/{chamber.pk}/members"
    row = liaison.MemberRow(
        enterprise=enterprise,
        position=membership.position,
        consent=liaison.active_consent(chamber.pk, enterprise.pk),
        joined_on=membership.joined_on,
    )
    return 201, _member(chamber, row)
