"""The /api/v1/mediation router (矛盾调解): the twin of the web's /mediation/ pages.

Thin over ``mediation``: coordinators of a town open cases and name a mediator; the mediator
(or a coordinator of the region) records sessions and closes the case with an outcome and,
when the parties agreed, the signed agreement (multipart). A case outside the caller's scope
answers 404, like a case that does not exist. Times are ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.api.schemas import Error
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI

from . import mediation
from .models import (
    DisputeType,
    MediationCase,
    MediationOutcome,
    MediationParty,
    MediationSession,
    PartyKind,
)

router = Router(tags=["矛盾调解"])
PER_PAGE = 20


# --- schemas --------------------------------------------------------------------------------
class MediationPartyIn(Schema):
    kind: PartyKind
    name: str = Field(..., max_length=120)
    phone: str = Field("", max_length=20)
    uscc: str = Field("", max_length=18, description="当事企业的统一社会信用代码（可选）")


class MediationCaseIn(Schema):
    region_id: int = Field(..., description="所在区域（本人任协调员的镇街及其社区）")
    dispute_type: DisputeType
    title: str = Field(..., max_length=120)
    description: str = Field(..., max_length=5000)
    mediator_id: int = Field(..., description="调解员：该区域的协调员或管家")
    parties: list[MediationPartyIn] = Field(..., description="当事人，至少两方")


class MediationSessionIn(Schema):
    held_at: datetime = Field(..., description="调解时间（ISO 8601；不带时区按北京时间）")
    place: str = Field("", max_length=120)
    notes: str = Field(..., max_length=10000)


class MediationCloseIn(Schema):
    outcome: MediationOutcome
    note: str = Field(..., max_length=5000)


class MediationPartyOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    phone: str
    enterprise_id: int | None
    enterprise_name: str


class MediationSessionOut(Schema):
    id: int
    held_at: str
    place: str
    notes: str
    recorded_by: str


class MediationCaseOut(Schema):
    id: int
    number: str
    region_id: int
    region_name: str
    dispute_type: str
    dispute_type_label: str
    title: str
    mediator_id: int
    mediator_name: str
    outcome: str
    outcome_label: str
    opened_at: str
    closed_at: str | None


class MediationCaseDetailOut(MediationCaseOut):
    description: str
    outcome_note: str
    has_agreement: bool
    agreement_url: str | None
    parties: list[MediationPartyOut]
    sessions: list[MediationSessionOut]


class MediationCasePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[MediationCaseOut]


class MediationFilters(Schema):
    state: Literal["", "open", "agreement", "failed", "court", "arbitration"] = Field(
        "", description="open：未结案；或按调解结果"
    )
    page: int = Field(1, ge=1)


# --- conversion -----------------------------------------------------------------------------
def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _url(case: MediationCase) -> str:
    return f"/api/v1/mediation/{case.pk}"


def _case(c: MediationCase) -> dict[str, Any]:
    return {
        "id": c.pk,
        "number": c.number,
        "region_id": c.region_id,
        "region_name": c.region.name,
        "dispute_type": c.dispute_type,
        "dispute_type_label": str(c.get_dispute_type_display()),
        "title": c.title,
        "mediator_id": c.mediator_id,
        "mediator_name": str(c.mediator),
        "outcome": c.outcome,
        "outcome_label": str(c.get_outcome_display()) if c.outcome else "",
        "opened_at": iso(c.opened_at),
        "closed_at": iso(c.closed_at),
    }


def _party(p: MediationParty) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "name": p.name,
        "phone": p.phone,
        "enterprise_id": p.enterprise_id,
        "enterprise_name": p.enterprise.name if p.enterprise else "",
    }


def _session(s: MediationSession) -> dict[str, Any]:
    return {
        "id": s.pk,
        "held_at": iso(s.held_at),
        "place": s.place,
        "notes": s.notes,
        "recorded_by": str(s.recorded_by) if s.recorded_by else "",
    }


def _detail(c: MediationCase) -> dict[str, Any]:
    return {
        **_case(c),
        "description": c.description,
        "outcome_note": c.outcome_note,
        "has_agreement": bool(c.agreement),
        "agreement_url": f"{_url(c)}/agreement" if c.agreement else None,
        "parties": [_party(p) for p in c.parties.select_related("enterprise").order_by("pk")],
        "sessions": [_session(s) for s in c.sessions.select_related("recorded_by")],
    }


def _staff(user: Any) -> None:
    """The web's rule for the list: coordinators, supervisors and stewards (mediators)."""
    if not has_role(user, Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD):
        raise NotPermitted(_("您没有查看调解案件的权限。"))


def _visible(user: Any, case_id: int) -> MediationCase:
    try:
        return mediation.mediation_detail(user=user, case_id=case_id)
    except MediationCase.DoesNotExist:
        raise HttpError(404, "not found") from None


# --- operations -----------------------------------------------------------------------------
@router.get(
    "",
    response={200: MediationCasePage, 401: Error, 403: Error, 422: Error},
    summary="调解案件列表（辖区协调员、监督员；调解员本人承办的），新受理的在前",
)
def case_list(request: HttpRequest, filters: Query[MediationFilters]) -> dict[str, Any]:
    user = _user(request)
    _staff(user)
    qs = mediation.mediations_visible_to(user)
    if filters.state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif filters.state:
        qs = qs.filter(outcome=filters.state)
    current = paginate(qs.order_by("-opened_at", "-pk"), filters.page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_case(c) for c in current.object_list],
    }


@router.post(
    "",
    response={201: MediationCaseDetailOut, 401: Error, 403: Error, 422: Error},
    summary="受理调解案件（本辖区协调员）：至少两方当事人，指定调解员",
)
def case_open(
    request: HttpRequest, response: HttpResponse, body: MediationCaseIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    regions = mediation.mediation_regions_for(user)
    if not regions:
        raise NotPermitted(_("只有本辖区的协调员可以受理调解。"))
    region = next((r for r in regions if r.pk == body.region_id), None)
    if region is None:
        message = _("请选择您辖区内的区域。")
        raise ServiceError(message, field_errors={"region_id": [message]})
    # the same choice as the web form: a mediator among the region's coordinators and stewards
    mediator = next((u for u in mediation.mediators_for(regions) if u.pk == body.mediator_id), None)
    case = mediation.mediation_open(
        actor=user,
        region=region,
        dispute_type=body.dispute_type.value,
        title=body.title,
        description=body.description,
        mediator=mediator,
        parties=[
            {
                "kind": p.kind.value,
                "name": p.name,
                "phone": p.phone,
                "enterprise": mediation.party_enterprise(p.uscc),
            }
            for p in body.parties
        ],
    )
    response["Location"] = _url(case)
    return 201, _detail(_visible(user, case.pk))


@router.get(
    "/{case_id}",
    response={200: MediationCaseDetailOut, 401: Error, 404: Error},
    summary="调解案件详情：当事人、调解记录、结果（查看留痕）",
)
def case_get(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = _user(request)
    case = _visible(user, case_id)
    mediation.mediation_record_view(actor=user, case=case)
    return _detail(case)


@router.post(
    "/{case_id}/sessions",
    response={201: MediationSessionOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="记录一次调解（调解员或本辖区协调员；已结案返回409）",
)
def session_add(
    request: HttpRequest, response: HttpResponse, case_id: int, body: MediationSessionIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    case = _visible(user, case_id)
    held = body.held_at if body.held_at.tzinfo else body.held_at.replace(tzinfo=SHANGHAI)
    session = mediation.mediation_session_add(
        actor=user, case_id=case.pk, held_at=held, notes=body.notes, place=body.place
    )
    response["Location"] = _url(case)  # a session is read as part of its case
    return 201, _session(session)


@router.post(
    "/{case_id}/close",
    response={
        200: MediationCaseDetailOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        422: Error,
    },
    summary="结案（multipart：outcome、note，调解成功须附 agreement：PDF、JPG 或 PNG，"
    "不超过10MB）；须先记录至少一次调解，已结案返回409",
)
def case_close(
    request: HttpRequest,
    case_id: int,
    body: Form[MediationCloseIn],
    agreement: File[UploadedFile] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    user = _user(request)
    case = _visible(user, case_id)
    mediation.mediation_close(
        actor=user,
        case_id=case.pk,
        outcome=body.outcome.value,
        note=body.note,
        agreement=agreement,
    )
    return _detail(_visible(user, case.pk))


@router.get(
    "/{case_id}/agreement",
    response={401: Error, 404: Error},
    summary="下载调解协议（只对可见该案件的用户开放）",
    openapi_extra={
        "responses": {
            200: {
                "description": "调解协议文件",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in sorted({k.content_type for k in mediation.AGREEMENT_KINDS.values()})
                },
            }
        }
    },
)
def agreement_get(request: HttpRequest, case_id: int) -> FileResponse:
    case = _visible(_user(request), case_id)
    if not case.agreement:
        raise HttpError(404, "not found")
    return FileResponse(
        case.agreement.open("rb"),
        as_attachment=True,
        filename=case.agreement.name.rsplit("/", 1)[-1],
    )
