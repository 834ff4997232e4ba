"""The /api/v1/integrity router: conduct lists, contact filings, registers, clean enterprises.

Thin over ``services`` and ``selectors``: ids from the client are looked up inside the
caller's scope (another official's filing answers 404); services check permission (403),
state (409) and input (422).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.directory.models import Enterprise

from . import permissions, selectors, services
from .models import CleanAssessment, ConductItem, Filing

router = Router(tags=["廉情监督"])
PER_PAGE = 20


# --- schemas --------------------------------------------------------------------------------------
class ItemOut(Schema):
    code: str
    version: int
    list_kind: str
    list_label: str
    subject: str
    polarity: str
    title: str
    text: str
    source: str
    clause: str
    effective_from: date
    effective_to: date | None
    rule: dict[str, Any] | None


class ItemRevisionIn(Schema):
    title: str
    text: str
    source: str
    clause: str = ""
    effective_from: date
    rule: dict[str, Any] | None = None
    note: str


class GiftSchema(Schema):
    description: str
    value: Decimal
    handling: str
    handed_in_to: str = ""
    handed_in_on: date | None = None


class GiftOut(GiftSchema):
    id: int


class ConductMatchOut(Schema):
    code: str
    version: int
    title: str
    text: str
    outcome: str


class FilingIn(Schema):
    timing: str
    kind: str
    contact_date: date
    place: str
    place_kind: str = "other"
    enterprise_ids: list[int]
    people: str = ""
    purpose: str
    companions: str = ""
    payer: str
    amount: Decimal = Decimal(0)
    headcount: int = 1
    gifts: list[GiftSchema] = []


class FilingOut(Schema):
    id: int
    number: str
    filer_id: int
    filer_name: str
    region_path: str
    timing: str
    kind: str
    contact_date: date
    place: str
    place_kind: str
    enterprise_ids: list[int]
    people: str
    purpose: str
    companions: str
    payer: str
    amount: Decimal
    headcount: int
    amount_per_person: Decimal
    outcome: str
    status: str
    decision_reason: str
    matches: list[ConductMatchOut]
    gifts: list[GiftOut]


class FilingPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[FilingOut]


class FilingDecisionIn(Schema):
    approve: bool
    reason: str = ""
    override_reason: str = Field(
        "",
        max_length=2000,
        description="审批人与报备涉及的企业或报备人存在关联（409）时，仍须本人审批的理由；"
        "理由报送监督员",
    )


class HandInIn(Schema):
    handed_in_to: str
    handed_in_on: date


class MissingOut(Schema):
    source: str
    official_id: int
    official_name: str
    enterprise_id: int
    enterprise_name: str
    day: date
    detail: str


class MissingPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[MissingOut]


class GiftRegisterOut(GiftOut):
    filing_id: int
    filing_number: str
    filer_name: str


class GiftPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[GiftRegisterOut]


class CriterionOut(Schema):
    code: str
    area: str
    title: str
    guidance: str
    weight: int
    evidence_required: bool


class CleanAnswerOut(Schema):
    criterion: str
    level: int
    note: str
    files: list[str]


class CleanAssessmentOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    status: str
    score: Decimal
    comments: str
    valid_from: date | None
    valid_until: date | None
    answers: list[CleanAnswerOut]


class CleanAnswerIn(Schema):
    level: int
    note: str = ""


class ReviewIn(Schema):
    recognise: bool
    comments: str = ""
    valid_until: date | None = None


class CleanPublicOut(Schema):
    enterprise_id: int
    enterprise_name: str
    region: str
    valid_from: date
    valid_until: date


class CleanPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[CleanPublicOut]


# --- helpers --------------------------------------------------------------------------------------
def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _item(i: ConductItem) -> dict[str, Any]:
    return {
        "code": i.code,
        "version": i.version,
        "list_kind": i.list_kind,
        "list_label": i.get_list_kind_display(),
        "subject": i.subject,
        "polarity": i.polarity,
        "title": i.title,
        "text": i.text,
        "source": i.source,
        "clause": i.clause,
        "effective_from": i.effective_from,
        "effective_to": i.effective_to,
        "rule": i.rule,
    }


def _gift(g: Any) -> dict[str, Any]:
    return {
        "id": g.pk,
        "description": g.description,
        "value": g.value,
        "handling": g.handling,
        "handed_in_to": g.handed_in_to,
        "handed_in_on": g.handed_in_on,
    }


def _filing(f: Filing) -> dict[str, Any]:
    return {
        "id": f.pk,
        "number": f.number,
        "filer_id": f.filer_id,
        "filer_name": str(f.filer),
        "region_path": f.region.path,
        "timing": f.timing,
        "kind": f.kind,
        "contact_date": f.contact_date,
        "place": f.place,
        "place_kind": f.place_kind,
        "enterprise_ids": [x.pk for x in f.firms.all()],
        "people": f.people,
        "purpose": f.purpose,
        "companions": f.companions,
        "payer": f.payer,
        "amount": f.amount,
        "headcount": f.headcount,
        "amount_per_person": f.amount_per_person,
        "outcome": f.outcome,
        "status": f.status,
        "decision_reason": f.decision_reason,
        "matches": [
            {
                "code": m.item.code,
                "version": m.item.version,
                "title": m.item.title,
                "text": m.item.text,
                "outcome": m.outcome,
            }
            for m in f.matches.all()
        ],
        "gifts": [_gift(g) for g in f.gifts.all()],
    }


def _visible(user: Any, filing_id: int) -> Filing:
    try:
        return selectors.filing_detail(user=user, filing_id=filing_id)
    except Filing.DoesNotExist:
        raise HttpError(404, "not found") from None


def _assessment(a: CleanAssessment) -> dict[str, Any]:
    answers = selectors.answers_of(a)
    return {
        "id": a.pk,
        "enterprise_id": a.enterprise_id,
        "enterprise_name": a.enterprise.name,
        "status": a.status,
        "score": a.score,
        "comments": a.comments,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "answers": [
            {
                "criterion": x.criterion.code,
                "level": x.level,
                "note": x.note,
                "files": [f.name for f in x.files.all()],
            }
            for x in sorted(answers.values(), key=lambda x: x.criterion.position)
        ],
    }


def _own_firm(user: Any) -> Enterprise:
    firm = Enterprise.objects.filter(pk__in=permissions.firms_of(user)).first()
    if firm is None:
        raise HttpError(403, "forbidden")
    return firm


# --- conduct lists --------------------------------------------------------------------------------
@router.get(
    "/lists",
    response={200: list[ItemOut], 401: Error, 422: Error},
    auth=None,
    summary="施行中的正负面清单条目（公开；on=YYYY-MM-DD 查某日施行的版本）",
)
def list_items(request: HttpRequest, on: date | None = None) -> list[dict[str, Any]]:
    return [_item(i) for i in selectors.items_in_force(on)]


@router.get(
    "/lists/{code}/versions",
    response={200: list[ItemOut], 401: Error, 404: Error},
    auth=None,
    summary="一个条目的全部版本，新的在前（公开）",
)
def item_versions(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    versions = [_item(i) for i in selectors.item_versions(code)]
    if not versions:
        raise HttpError(404, "not found")
    return versions


@router.post(
    "/lists/{code}/versions",
    response={201: ItemOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="修订条目：生成新版本，自生效日期起替代当前版本（监督员）",
)
def item_revise(request: HttpRequest, code: str, payload: ItemRevisionIn) -> tuple[int, Any]:
    if not ConductItem.objects.filter(code=code).exists():
        raise HttpError(404, "not found")
    item = services.conduct_item_revise(actor=_user(request), code=code, **payload.dict())
    return 201, _item(item)


# --- filings --------------------------------------------------------------------------------------
@router.get(
    "/filings",
    response={200: FilingPage, 401: Error},
    summary="可见的交往报备（本人的；上级按所辖区域），可按报备人、企业、期间、结果筛选",
)
def filing_list(
    request: HttpRequest,
    filer_id: int | None = None,
    enterprise_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    outcome: str = "",
    status: str = "",
    page: int = 1,
) -> dict[str, Any]:
    qs = selectors.filing_list(
        user=_user(request),
        filer_id=filer_id,
        firm_id=enterprise_id,
        start=start,
        end=end,
        outcome=outcome,
        status=status,
    ).prefetch_related("gifts")
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_filing(f) for f in current.object_list],
    }


@router.post(
    "/filings",
    response={201: FilingOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="提交交往报备；按交往日期施行的清单即时审查，返回结果和涉及条目",
)
def filing_create(request: HttpRequest, payload: FilingIn) -> tuple[int, Any]:
    user = _user(request)
    ids = list(dict.fromkeys(payload.enterprise_ids))
    firms = list(Enterprise.objects.filter(pk__in=ids))
    if len(firms) != len(ids):
        raise HttpError(404, "not found")
    filing = services.filing_submit(
        actor=user,
        timing=payload.timing,
        kind=payload.kind,
        contact_date=payload.contact_date,
        place=payload.place,
        place_kind=payload.place_kind,
        firms=firms,
        people=payload.people,
        purpose=payload.purpose,
        companions=payload.companions,
        payer=payload.payer,
        amount=payload.amount,
        headcount=payload.headcount,
        gifts=[services.GiftIn(**g.dict()) for g in payload.gifts],
    )
    return 201, _filing(_visible(user, filing.pk))


@router.get(
    "/filings/{filing_id}",
    response={200: FilingOut, 401: Error, 404: Error},
    summary="一条交往报备（他人的报备：404）",
)
def filing_get(request: HttpRequest, filing_id: int) -> dict[str, Any]:
    return _filing(_visible(_user(request), filing_id))


@router.post(
    "/filings/{filing_id}/decision",
    response={200: FilingOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="上级审批需审批的报备（所辖区域的监督员或协调员；报备人本人不能审批；"
    "与企业或报备人存在关联时 409，附 override_reason 可继续）",
)
def filing_decide(
    request: HttpRequest, filing_id: int, payload: FilingDecisionIn
) -> dict[str, Any]:
    user = _user(request)
    filing = _visible(user, filing_id)
    services.filing_decide(
        actor=user,
        filing_id=filing.pk,
        approve=payload.approve,
        reason=payload.reason,
        override_reason=payload.override_reason,
    )
    return _filing(_visible(user, filing_id))


@router.post(
    "/gifts/{gift_id}/hand-in",
    response={200: GiftOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="报备人登记留存礼品已上交（上交单位、日期）",
)
def gift_hand_in(request: HttpRequest, gift_id: int, payload: HandInIn) -> dict[str, Any]:
    from .models import Gift

    user = _user(request)
    gift = Gift.objects.filter(
        pk=gift_id, filing__in=selectors.filings_visible_to(user).values("pk")
    ).first()
    if gift is None:
        raise HttpError(404, "not found")
    return _gift(services.gift_hand_in(actor=user, gift_id=gift.pk, **payload.dict()))


@router.get(
    "/approvals",
    response={200: FilingPage, 401: Error, 403: Error},
    summary="待我审批的报备",
)
def approvals(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    user = _user(request)
    if not permissions.is_superior(user):
        raise HttpError(403, "forbidden")
    current = paginate(selectors.approvals_for(user).prefetch_related("gifts"), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_filing(f) for f in current.object_list],
    }


@router.get(
    "/registers/gifts",
    response={200: GiftPage, 401: Error},
    summary="礼品上交登记（可见报备中已上交的礼品）",
)
def gift_register(
    request: HttpRequest, start: date | None = None, end: date | None = None, page: int = 1
) -> dict[str, Any]:
    qs = selectors.gifts_handed_in(user=_user(request), start=start, end=end)
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                **_gift(g),
                "filing_id": g.filing_id,
                "filing_number": g.filing.number,
                "filer_name": str(g.filing.filer),
            }
            for g in current.object_list
        ],
    }


@router.get(
    "/registers/missing",
    response={200: MissingPage, 401: Error},
    summary="应报未报：结对联系和出席的会议当天没有报备覆盖的干部与企业",
)
def missing_register(
    request: HttpRequest, start: date | None = None, end: date | None = None, page: int = 1
) -> dict[str, Any]:
    rows = selectors.missing_filings(user=_user(request), start=start, end=end)
    current = paginate(rows, page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [vars(r) for r in current.object_list]}


# --- clean enterprises ----------------------------------------------------------------------------
@router.get(
    "/clean",
    response={200: CleanPage, 401: Error},
    auth=None,
    summary="清廉企业公开名单（有效期内）",
)
def clean_public(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    current = paginate(selectors.clean_recognised(), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                "enterprise_id": a.enterprise_id,
                "enterprise_name": a.enterprise.name,
                "region": a.enterprise.grid.name,
                "valid_from": a.valid_from,
                "valid_until": a.valid_until,
            }
            for a in current.object_list
        ],
    }


@router.get(
    "/clean/checklist",
    response={200: list[CriterionOut], 401: Error},
    auth=None,
    summary="清廉企业自评表",
)
def clean_checklist(request: HttpRequest) -> list[Any]:
    return list(selectors.criteria_active())


@router.get(
    "/clean/self",
    response={200: CleanAssessmentOut | None, 401: Error, 403: Error},
    summary="本企业的自评（企业用户）",
)
def clean_self(request: HttpRequest) -> Any:
    assessment = selectors.assessment_of(_own_firm(_user(request)))
    return _assessment(assessment) if assessment else None


@router.post(
    "/clean/self/answers/{code}",
    response={200: CleanAssessmentOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="填写一项自评（multipart；佐证材料用字段 files）",
)
def clean_answer(
    request: HttpRequest,
    code: str,
    payload: Form[CleanAnswerIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    user = _user(request)
    firm = _own_firm(user)
    criterion = selectors.criteria_active().filter(code=code).first()
    if criterion is None:
        raise HttpError(404, "not found")
    answer = services.clean_answer(
        actor=user,
        enterprise=firm,
        criterion=criterion,
        level=payload.level,
        note=payload.note,
        files=files or [],
    )
    return _assessment(answer.assessment)


@router.post(
    "/clean/self/submit",
    response={200: CleanAssessmentOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="提交自评，计算得分",
)
def clean_submit(request: HttpRequest) -> Any:
    user = _user(request)
    return _assessment(services.clean_submit(actor=user, enterprise=_own_firm(user)))


@router.get(
    "/clean/reviews",
    response={200: list[CleanAssessmentOut], 401: Error, 403: Error},
    summary="待我评审的自评（商会联络员、监督员）",
)
def clean_reviews(request: HttpRequest, status: str = "submitted") -> list[Any]:
    user = _user(request)
    if not permissions.is_clean_reviewer(user):
        raise HttpError(403, "forbidden")
    return [_assessment(a) for a in selectors.reviews_for(user, status=status)[:100]]


@router.post(
    "/clean/reviews/{assessment_id}",
    response={200: CleanAssessmentOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="认定（含有效期）或退回（含意见）",
)
def clean_review(request: HttpRequest, assessment_id: int, payload: ReviewIn) -> Any:
    user = _user(request)
    assessment = selectors.assessments_visible_to(user).filter(pk=assessment_id).first()
    if assessment is None:
        raise HttpError(404, "not found")
    done = services.clean_review(
        actor=user,
        assessment_id=assessment.pk,
        recognise=payload.recognise,
        comments=payload.comments,
        valid_until=payload.valid_until,
    )
    return _assessment(done)
