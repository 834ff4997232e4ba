"""The /api/v1/exemption router: applications, the workflow, evidence, cases, statistics.

Thin over ``services`` and ``selectors``: ids from the client are looked up inside the
caller's scope (another region's application answers 404); the services check permission
(403), state (409) and input (422).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.accounts.models import User
from qinqing.api import concurrency
from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise

from . import checks, selectors, services
from .models import Application, Case, Outcome
from .permissions import is_supervisor, may_read_library, may_see_internal
from .workflow import Action, State, allowed_actions

router = Router(tags=["容错免责"])
PER_PAGE = 20


class ApplicationIn(Schema):
    matter: str
    actions: str
    rules_at_time: str
    outcome_harm: str
    corrected: bool = False
    correction: str = ""
    applicant_id: int | None = None
    enterprise_id: int | None = None
    link_kind: str = ""
    link_id: int | None = None


class EvidenceOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class ExemptionAssessmentOut(Schema):
    d1_finding: str
    d1_findings: str
    d1_evidence: str
    d2_finding: str
    d2_findings: str
    d2_evidence: str
    d3_finding: str
    d3_findings: str
    d3_evidence: str
    due_procedure: str
    collective_decision: str
    no_private_gain: str
    loss_limited: str
    prompt_correction: str
    factors_note: str
    checks: dict[str, Any]


class ApplicationOut(Schema):
    id: int
    number: str
    origin: str
    applicant_id: int
    applicant_name: str
    filed_by_id: int
    region_id: int
    region_name: str
    region_path: str
    enterprise_id: int | None
    matter: str
    actions: str
    rules_at_time: str
    outcome_harm: str
    corrected: bool
    correction: str
    link_kind: str
    link_id: int | None
    link_label: str
    state: str
    state_label: str
    version: int
    submitted_at: str
    accept_due_at: str
    decide_due_at: str | None
    decided_at: str | None
    days_to_decide: int | None
    outcome: str
    reasons: str
    appeal_due_at: str | None
    appeal_reason: str
    appeal_outcome: str
    appeal_reasons: str
    final_outcome: str
    overdue: bool
    allowed_actions: list[str]
    evidence: list[EvidenceOut]
    assessment: ExemptionAssessmentOut | None = None


class ApplicationPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[ApplicationOut]


class AssessmentIn(Schema):
    d1_finding: str
    d1_findings: str
    d1_evidence: str = ""
    d2_finding: str
    d2_findings: str
    d2_evidence: str = ""
    d3_finding: str
    d3_findings: str
    d3_evidence: str = ""
    due_procedure: str
    collective_decision: str
    no_private_gain: str
    loss_limited: str
    prompt_correction: str
    factors_note: str = ""


class ExemptionActionIn(Schema):
    action: str
    version: int
    reason: str = ""
    note: str = ""
    assessor_id: int | None = None
    assessment: AssessmentIn | None = None
    outcome: str = ""
    reasons: str = ""


class CheckOut(Schema):
    name: str
    label: str
    available: bool
    findings: list[str]
    note: str


class CaseOut(Schema):
    id: int
    number: str
    title: str
    text: str
    distinctions: list[str]
    outcome: str
    outcome_label: str
    year: int
    published_at: str | None


class CasePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[CaseOut]


class CaseIn(Schema):
    title: str
    text: str


class StatRowOut(Schema):
    key: str
    label: str
    applications: int
    decided: int
    exempt: int
    reduced: int
    not_exempt: int
    median_days: float | None


class ExemptionStatsOut(Schema):
    start: date
    end: date
    by: str
    rows: list[StatRowOut]
    total: StatRowOut


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _iso(moment: Any) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _out(user: Any, a: Application, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": a.pk,
        "number": a.number,
        "origin": a.origin,
        "applicant_id": a.applicant_id,
        "applicant_name": str(a.applicant),
        "filed_by_id": a.filed_by_id,
        "region_id": a.region_id,
        "region_name": a.region.name,
        "region_path": a.region_path,
        "enterprise_id": a.enterprise_id,
        "matter": a.matter,
        "actions": a.actions,
        "rules_at_time": a.rules_at_time,
        "outcome_harm": a.outcome_harm,
        "corrected": a.corrected,
        "correction": a.correction,
        "link_kind": a.link_kind,
        "link_id": a.link_id,
        "link_label": a.link_label,
        "state": a.state,
        "state_label": a.get_state_display(),
        "version": a.version,
        "submitted_at": _iso(a.submitted_at),
        "accept_due_at": _iso(a.accept_due_at),
        "decide_due_at": _iso(a.decide_due_at),
        "decided_at": _iso(a.decided_at),
        "days_to_decide": a.days_to_decide,
        "outcome": a.outcome if a.decided_at or full else "",
        "reasons": a.reasons if a.decided_at or full else "",
        "appeal_due_at": _iso(a.appeal_due_at),
        "appeal_reason": a.appeal_reason,
        "appeal_outcome": a.appeal_outcome,
        "appeal_reasons": a.appeal_reasons,
        "final_outcome": a.final_outcome if a.decided_at else "",
        "overdue": bool(services.overdue_stage(a, timezone.now())),
        "allowed_actions": allowed_actions(user, a) if full else [],
        "evidence": [],
        "assessment": None,
    }
    if full:
        data["evidence"] = [
            {
                "id": e.pk,
                "name": e.name,
                "size": e.size,
                "content_type": e.content_type,
                "url": f"/exemption/evidence/{e.pk}/",
            }
            for e in selectors.evidence_of(a)
        ]
        assessment = getattr(a, "assessment", None)
        if assessment is not None and may_see_internal(user, a):
            data["assessment"] = {
                f.name: getattr(assessment, f.name)
                for f in assessment._meta.fields
                if f.name in ExemptionAssessmentOut.model_fields
            }
    return data


def _visible(user: Any, application_id: int) -> Application:
    try:
        return selectors.application_detail(user=user, application_id=application_id)
    except Application.DoesNotExist:
        raise HttpError(404, "not found") from None


@router.get(
    "/applications",
    response={200: ApplicationPage, 401: Error, 422: Error},
    summary="可见的容错免责申请（本人、代为提交的、监督员按区域），新的在前",
)
def application_list(
    request: HttpRequest,
    state: str = "",
    outcome: str = "",
    q: str = "",
    overdue: bool = False,
    page: int = 1,
) -> dict[str, Any]:
    user = _user(request)
    if state and state not in State.values:
        raise services.ServiceError("状态无效。", field_errors={"state": ["状态无效。"]})
    if outcome and outcome not in Outcome.values:
        raise services.ServiceError("结果无效。", field_errors={"outcome": ["结果无效。"]})
    qs = selectors.application_list(user=user, state=state, outcome=outcome, q=q, overdue=overdue)
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_out(user, a) for a in current.object_list],
    }


@router.post(
    "/applications",
    response={201: ApplicationOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="提出容错免责申请（本人；协调员、经办人为本区域、本单位人员代为申请；监督员在调查中启动）",
)
def application_create(
    request: HttpRequest, response: HttpResponse, body: ApplicationIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    applicant = user
    if body.applicant_id is not None and body.applicant_id != user.pk:
        if body.applicant_id not in dict(selectors.applicants_for(user)):
            raise HttpError(404, "not found")
        applicant = User.objects.get(pk=body.applicant_id)
    enterprise = None
    if body.enterprise_id is not None:
        enterprise = Enterprise.objects.filter(pk=body.enterprise_id).first()
        if enterprise is None:
            raise HttpError(404, "not found")
    a = services.application_submit(
        actor=user,
        applicant=applicant,
        matter=body.matter,
        actions=body.actions,
        rules_at_time=body.rules_at_time,
        outcome_harm=body.outcome_harm,
        corrected=body.corrected,
        correction=body.correction,
        enterprise=enterprise,
        link_kind=body.link_kind,
        link_id=body.link_id,
    )
    response["Location"] = f"/api/v1/exemption/applications/{a.pk}"
    return 201, _out(user, _visible(user, a.pk), full=True)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, 401: Error, 404: Error},
    summary="一件申请：内容、期限、决定、证据；监督员另见审查意见",
)
def application_get(
    request: HttpRequest, response: HttpResponse, application_id: int
) -> dict[str, Any]:
    user = _user(request)
    application = _visible(user, application_id)
    concurrency.tag(response, application.version)
    return _out(user, application, full=True)


@router.post(
    "/applications/{application_id}/evidence",
    response={200: list[EvidenceOut], 401: Error, 403: Error, 404: Error, 413: Error, 422: Error},
    summary="上传证据材料（JPG、PNG、PDF、Word、Excel，大小与数量有上限）",
)
def evidence_upload(
    request: HttpRequest,
    application_id: int,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    user = _user(request)
    a = _visible(user, application_id)
    saved = services.evidence_add(actor=user, application_id=a.pk, uploads=list(files or []))
    return [
        {
            "id": e.pk,
            "name": e.name,
            "size": e.size,
            "content_type": e.content_type,
            "url": f"/exemption/evidence/{e.pk}/",
        }
        for e in saved
    ]


@router.get(
    "/applications/{application_id}/checks",
    response={200: list[CheckOut], 401: Error, 403: Error, 404: Error},
    summary="自动核查（仅供参考）：图谱路径、查实的举报、清单条目；不可用时 available=false",
)
def application_checks(request: HttpRequest, application_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    a = _visible(user, application_id)
    if not may_see_internal(user, a):
        raise HttpError(403, "forbidden")
    return [
        {"name": name, "label": str(checks.CHECKS[name]), **result.as_dict()}
        for name, result in checks.run_checks(a).items()
    ]


@router.post(
    "/applications/{application_id}/actions",
    response={
        200: ApplicationOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        412: Error,
        422: Error,
    },
    summary="流转（带 If-Match 头时版本过期返回412）："
    "accept（可指定审查人）、refuse、withdraw、assess、return、sign_off、appeal、review",
)
def application_act(
    request: HttpRequest, response: HttpResponse, application_id: int, body: ExemptionActionIn
) -> dict[str, Any]:
    user = _user(request)
    a = _visible(user, application_id)
    concurrency.check_if_match(request, a.version)
    common = {"actor": user, "application_id": a.pk, "version": body.version}
    if body.action == Action.ACCEPT:
        assessor = None
        if body.assessor_id is not None:
            assessor = User.objects.filter(pk=body.assessor_id).first()
            if assessor is None:
                raise HttpError(404, "not found")
        services.application_accept(**common, assessor=assessor)
    elif body.action == Action.REFUSE:
        services.application_refuse(**common, reason=body.reason)
    elif body.action == Action.WITHDRAW:
        services.application_withdraw(**common)
    elif body.action == Action.ASSESS:
        if body.assessment is None:
            message = "请填写审查意见。"
            raise services.ServiceError(message, field_errors={"assessment": [message]})
        services.application_assess(
            **common,
            assessment=body.assessment.dict(),
            outcome=body.outcome,
            reasons=body.reasons,
        )
    elif body.action == Action.RETURN:
        services.application_return(**common, note=body.note)
    elif body.action == Action.SIGN_OFF:
        services.application_sign_off(**common, note=body.note)
    elif body.action == Action.APPEAL:
        services.application_appeal(**common, reason=body.reason)
    elif body.action == Action.REVIEW:
        services.application_review(**common, outcome=body.outcome, reasons=body.reasons)
    else:
        message = "未知的操作。"
        raise services.ServiceError(message, field_errors={"action": [message]})
    moved = _visible(user, a.pk)
    concurrency.tag(response, moved.version)
    return _out(user, moved, full=True)


def _case(c: Case) -> dict[str, Any]:
    return {
        "id": c.pk,
        "number": c.number,
        "title": c.title,
        "text": c.text,
        "distinctions": list(c.distinctions),
        "outcome": c.outcome,
        "outcome_label": c.get_outcome_display(),
        "year": c.year,
        "published_at": _iso(c.published_at),
    }


@router.post(
    "/applications/{application_id}/case",
    response={200: CaseOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="生成匿名案例草稿（供发布人审核）",
)
def case_draft(request: HttpRequest, application_id: int) -> dict[str, Any]:
    user = _user(request)
    a = _visible(user, application_id)
    return _case(services.case_draft(actor=user, application_id=a.pk))


@router.post(
    "/cases/{case_id}/publish",
    response={200: CaseOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="审核后发布匿名案例；仍含可识别信息的文本被拒绝（422）",
)
def case_publish(request: HttpRequest, case_id: int, body: CaseIn) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_drafts(user=user).filter(pk=case_id).first()
    if case is None:
        raise HttpError(404, "not found")
    return _case(
        services.case_publish(actor=user, case_id=case.pk, title=body.title, text=body.text)
    )


@router.get(
    "/cases",
    response={200: CasePage, 401: Error, 403: Error},
    summary="案例库：全文检索匿名文本，按结果、适用的区分筛选",
)
def case_list(
    request: HttpRequest, q: str = "", outcome: str = "", distinction: str = "", page: int = 1
) -> dict[str, Any]:
    user = _user(request)
    if not may_read_library(user):
        raise HttpError(403, "forbidden")
    qs = selectors.cases_published(user=user, q=q, outcome=outcome, distinction=distinction)
    current = paginate(qs, page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_case(c) for c in current.object_list]}


@router.get(
    "/cases/{case_id}",
    response={200: CaseOut, 401: Error, 404: Error},
    summary="一个已发布的案例",
)
def case_get(request: HttpRequest, case_id: int) -> dict[str, Any]:
    try:
        return _case(selectors.case_detail(user=_user(request), case_id=case_id))
    except Case.DoesNotExist:
        raise HttpError(404, "not found") from None


@router.get(
    "/stats",
    response={200: ExemptionStatsOut, 401: Error, 403: Error, 422: Error},
    summary="统计：申请数、结果、办理用时中位数（工作日），按区域或月份；期间 [start, end)",
)
def stats(request: HttpRequest, start: date, end: date, by: str = "region") -> dict[str, Any]:
    user = _user(request)
    if not is_supervisor(user):
        raise HttpError(403, "forbidden")
    if end <= start or by not in ("region", "month"):
        message = "期间或分组无效。"
        raise services.ServiceError(message, field_errors={"end": [message]})
    rows, total = selectors.statistics_for(user=user, start=start, end=end, by=by)

    def row(r: selectors.StatRow) -> dict[str, Any]:
        return {
            "key": r.key,
            "label": r.label,
            "applications": r.applications,
            "decided": r.decided,
            "exempt": r.exempt,
            "reduced": r.reduced,
            "not_exempt": r.not_exempt,
            "median_days": r.median_days,
        }

    return {
        "start": start,
        "end": end,
        "by": by,
        "rows": [row(r) for r in rows],
        "total": row(total),
    }
