"""The /api/v1/surveys router: thin over ``services`` and ``selectors``.

Every id from the client is looked up inside the caller's scope first, so a survey outside it
answers 404 exactly like one that does not exist. Writes go through the services, which
check permission (403), the state (409) and the input (422).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.errors import NotPermitted
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.targeting import AudienceIn, audience_summary

from . import selectors, services
from .models import QuestionKind, QuestionTag, Survey
from .permissions import can_read_results, firms_of

router = Router(tags=["意见征询"])

PER_PAGE = 20


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _visible(user: Any, survey_id: int) -> Survey:
    try:
        return selectors.survey_detail(user=user, survey_id=survey_id)
    except Survey.DoesNotExist:
        raise HttpError(404, "not found") from None


# --- schemas ---------------------------------------------------------------------------------
class QuestionIn(Schema):
    kind: QuestionKind
    text: str = Field(..., max_length=300)
    required: bool = False
    help_text: str = ""
    options: list[str] = []
    rows: list[str] = []
    tag: QuestionTag | Literal[""] = ""
    #: skip rule: the position (1-based, in the whole survey) of an earlier choice question
    show_if_position: int | None = None
    show_if_options: list[int] = []


class SectionIn(Schema):
    title: str
    questions: list[QuestionIn] = []


class SurveyIn(Schema):
    title: str = ""
    description: str = ""
    closes_on: date
    anonymous: bool = False
    reminder_days: int = Field(2, ge=0, le=20)
    audience: AudienceIn
    sections: list[SectionIn] = []


class TemplateIn(Schema):
    template: Literal["business_environment"] = "business_environment"
    title: str = ""
    closes_on: date
    anonymous: bool = True
    audience: AudienceIn


class QuestionOut(Schema):
    id: int
    position: int
    section: str
    kind: str
    text: str
    help_text: str
    required: bool
    options: list[str]
    rows: list[str]
    tag: str
    show_if_id: int | None
    show_if_options: list[int]


class SurveyOut(Schema):
    id: int
    title: str
    description: str
    status: str
    status_label: str
    region: str
    anonymous: bool
    closes_on: date
    published_at: str | None
    audience: str
    questions: list[QuestionOut] = []


class SurveyRow(Schema):
    id: int
    title: str
    status: str
    anonymous: bool
    closes_on: date
    region: str
    addressed: int
    answered: int


class SurveyPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[SurveyRow]


class PendingOut(Schema):
    id: int
    title: str
    closes_on: date
    anonymous: bool
    enterprise_id: int
    enterprise: str
    answered_on: date | None


class ResponseIn(Schema):
    enterprise_id: int
    #: keyed by question id: option number, list of option numbers, 1–5, {row: 1–5},
    #: number, text or YYYY-MM-DD
    answers: dict[str, Any]


class ResponseOut(Schema):
    survey_id: int
    enterprise_id: int
    answered_on: date | None
    anonymous: bool
    answers: dict[str, Any]


class SurveySummaryOut(Schema):
    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None


class CountOut(Schema):
    label: str
    count: int
    percent: float


class RowOut(Schema):
    label: str
    summary: SurveySummaryOut
    counts: list[int]


class QuestionResultOut(Schema):
    id: int
    position: int
    text: str
    kind: str
    tag: str
    answered: int
    options: list[CountOut]
    counts: list[CountOut]
    summary: SurveySummaryOut | None
    rows: list[RowOut]


class RateOut(Schema):
    district: str
    town: str
    addressed: int
    answered: int
    percent: float


class DimensionOut(Schema):
    tag: str
    label: str
    summary: SurveySummaryOut


class SurveyResultsOut(Schema):
    survey_id: int
    responses: int
    addressed: int
    answered: int
    rates: list[RateOut]
    dimensions: list[DimensionOut]
    questions: list[QuestionResultOut]


# --- shaping ---------------------------------------------------------------------------------
def _survey(s: Survey, with_questions: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.pk,
        "title": s.title,
        "description": s.description,
        "status": s.status,
        "status_label": str(s.get_status_display()),
        "region": s.region.name,
        "anonymous": s.anonymous,
        "closes_on": s.closes_on,
        "published_at": _iso(s.published_at),
        "audience": audience_summary(s.audience),
    }
    if with_questions:
        out["questions"] = [_question(q) for q in selectors.questions_of(s)]
    return out


def _summary(s: Any) -> dict[str, Any]:
    return {"n": s.n, "mean": s.mean, "sd": s.sd, "ci_low": s.ci_low, "ci_high": s.ci_high}


# --- endpoints -------------------------------------------------------------------------------
@router.get(
    "",
    response={200: SurveyPage, 401: Error, 422: Error},
    summary="问卷列表（本人可见范围）",
)
def survey_list(request: HttpRequest, status: str = "", page: int = 1) -> dict[str, Any]:
    current = paginate(selectors.survey_list(user=_user(request), status=status), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                "id": s.pk,
                "title": s.title,
                "status": s.status,
                "anonymous": s.anonymous,
                "closes_on": s.closes_on,
                "region": s.region.name,
                "addressed": s.target_count,  # type: ignore[attr-defined]
                "answered": s.answered_count,  # type: ignore[attr-defined]
            }
            for s in current.object_list
        ],
    }


@router.post(
    "",
    response={201: SurveyOut, 401: Error, 403: Error, 422: Error},
    summary="创建问卷草稿（协调员、监督员、有辖区的干部），可一次带上各部分和题目",
)
def survey_create(request: HttpRequest, body: SurveyIn) -> tuple[int, dict[str, Any]]:
    from django.db import transaction

    user = _user(request)
    with transaction.atomic():
        survey = services.survey_create(
            actor=user,
            title=body.title,
            description=body.description,
            closes_on=body.closes_on,
            anonymous=body.anonymous,
            reminder_days=body.reminder_days,
            audience=body.audience.dict(),
        )
        ids: list[int] = []
        for spec in body.sections:
            section = services.section_add(actor=user, survey_id=survey.pk, title=spec.title)
            for q in spec.questions:
                controller = None
                if q.show_if_position is not None and 1 <= q.show_if_position <= len(ids):
                    controller = ids[q.show_if_position - 1]
                question = services.question_add(
                    actor=user,
                    survey_id=survey.pk,
                    section_id=section.pk,
                    kind=q.kind.value,
                    text=q.text,
                    required=q.required,
                    help_text=q.help_text,
                    options=q.options,
                    rows=q.rows,
                    tag=q.tag.value if isinstance(q.tag, QuestionTag) else "",
                    show_if_id=controller if q.show_if_position else None,
                    show_if_options=q.show_if_options,
                )
                ids.append(question.pk)
    return 201, _survey(selectors.survey_detail(user=user, survey_id=survey.pk))


@router.post(
    "/from-template",
    response={201: SurveyOut, 401: Error, 403: Error, 422: Error},
    summary="从模板创建问卷草稿（营商环境评价：五个维度和亲清指数题）",
)
def survey_from_template(request: HttpRequest, body: TemplateIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    survey = services.survey_from_template(
        actor=user,
        template=body.template,
        title=body.title,
        closes_on=body.closes_on,
        anonymous=body.anonymous,
        audience=body.audience.dict(),
    )
    return 201, _survey(selectors.survey_detail(user=user, survey_id=survey.pk))


@router.get(
    "/pending",
    response={200: list[PendingOut], 401: Error},
    summary="本企业待填答的问卷（企业用户）",
)
def pending(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": f.survey.pk,
            "title": f.survey.title,
            "closes_on": f.survey.closes_on,
            "anonymous": f.survey.anonymous,
            "enterprise_id": f.enterprise_id,
            "enterprise": f.enterprise_name,
            "answered_on": f.answered_on,
        }
        for f in selectors.firm_surveys(user=_user(request), pending_only=True)
    ]


@router.get(
    "/{survey_id}",
    response={200: SurveyOut, 401: Error, 404: Error},
    summary="问卷详情（含题目）",
)
def survey_get(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return _survey(_visible(_user(request), survey_id))


@router.post(
    "/{survey_id}/publish",
    response={200: SurveyOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="发布问卷：冻结题目和企业名单，站内通知企业",
)
def survey_publish(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    user = _user(request)
    survey = _visible(user, survey_id)
    return _survey(services.survey_publish(actor=user, survey_id=survey.pk))


@router.post(
    "/{survey_id}/close",
    response={200: SurveyOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="结束问卷（发起人）",
)
def survey_close(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    user = _user(request)
    survey = _visible(user, survey_id)
    return _survey(services.survey_close(actor=user, survey_id=survey.pk))


class SurveySectionIn(Schema):
    title: str = Field(..., max_length=120)


class SurveySectionOut(Schema):
    id: int
    survey_id: int
    position: int
    title: str


class SurveyQuestionIn(Schema):
    section_id: int = Field(..., description="问卷中的一个部分")
    kind: QuestionKind
    text: str = Field(..., max_length=300)
    required: bool = False
    help_text: str = Field("", max_length=300)
    options: list[str] = Field(default_factory=list, description="选择题的选项")
    rows: list[str] = Field(default_factory=list, description="矩阵量表的行")
    tag: QuestionTag | Literal[""] = ""
    show_if_id: int | None = Field(None, description="显示条件：本问卷中前面的一道选择题")
    show_if_options: list[int] = Field(
        default_factory=list, description="该题选了这些选项（序号，从1起）时才显示"
    )


def _question(q: Any) -> dict[str, Any]:
    return {
        "id": q.pk,
        "position": q.position,
        "section": q.section.title,
        "kind": q.kind,
        "text": q.text,
        "help_text": q.help_text,
        "required": q.required,
        "options": q.options,
        "rows": q.rows,
        "tag": q.tag,
        "show_if_id": q.show_if_id,
        "show_if_options": q.show_if_options,
    }


@router.post(
    "/{survey_id}/sections",
    response={201: SurveySectionOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="为问卷草稿添加一个部分（发起人；已发布返回409）",
)
def section_add(
    request: HttpRequest, response: HttpResponse, survey_id: int, body: SurveySectionIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    survey = _visible(user, survey_id)
    section = services.section_add(actor=user, survey_id=survey.pk, title=body.title)
    response["Location"] = f"/api/v1/surveys/{survey.pk}"  # a section is read with its survey
    return 201, {
        "id": section.pk,
        "survey_id": survey.pk,
        "position": section.position,
        "title": section.title,
    }


@router.post(
    "/{survey_id}/questions",
    response={201: QuestionOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="在问卷草稿的一个部分末尾添加题目（发起人；已发布返回409）",
)
def question_add(
    request: HttpRequest, response: HttpResponse, survey_id: int, body: SurveyQuestionIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    survey = _visible(user, survey_id)
    question = services.question_add(
        actor=user,
        survey_id=survey.pk,
        section_id=body.section_id,
        kind=body.kind.value,
        text=body.text,
        required=body.required,
        help_text=body.help_text,
        options=body.options,
        rows=body.rows,
        tag=body.tag.value if isinstance(body.tag, QuestionTag) else "",
        show_if_id=body.show_if_id,
        show_if_options=body.show_if_options,
    )
    response["Location"] = f"/api/v1/surveys/{survey.pk}"  # a question is read with its survey
    return 201, _question(question)


@router.delete(
    "/{survey_id}/questions/{question_id}",
    response={204: None, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="删除问卷草稿中的题目（发起人；已发布或被其他题目的显示条件引用返回409）",
)
def question_delete(request: HttpRequest, survey_id: int, question_id: int) -> tuple[int, None]:
    user = _user(request)
    survey = _visible(user, survey_id)
    question = next((q for q in selectors.questions_of(survey) if q.pk == question_id), None)
    if question is None:
        raise HttpError(404, "not found")
    services.question_delete(actor=user, question_id=question.pk)
    return 204, None


class SurveyReminderIn(Schema):
    enterprise_id: int


class SurveyReminderOut(Schema):
    survey_id: int
    enterprise_id: int
    reminded_on: date


@router.post(
    "/{survey_id}/reminders",
    response={200: SurveyReminderOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="管家提醒本人网格内尚未填答的企业（每家每天一次；已截止或已填答返回409）",
)
def survey_remind(request: HttpRequest, survey_id: int, body: SurveyReminderIn) -> dict[str, Any]:
    user = _user(request)
    survey = _visible(user, survey_id)
    target = services.survey_remind(
        actor=user, survey_id=survey.pk, enterprise_id=body.enterprise_id
    )
    return {
        "survey_id": survey.pk,
        "enterprise_id": target.enterprise_id,
        "reminded_on": target.reminded_on,
    }


def _own_firm(user: Any, enterprise_id: int) -> Any:
    firm = next((f for f in firms_of(user) if f.pk == enterprise_id), None)
    if firm is None:
        raise NotPermitted(_("只有企业本身的用户可以代表企业填答问卷。"))
    return firm


def _response_out(survey: Survey, enterprise_id: int) -> dict[str, Any]:
    target = selectors.target_of(survey, enterprise_id)
    return {
        "survey_id": survey.pk,
        "enterprise_id": enterprise_id,
        "answered_on": target.answered_on if target else None,
        "anonymous": survey.anonymous,
        "answers": {} if survey.anonymous else selectors.own_answers(survey, enterprise_id),
    }


@router.get(
    "/{survey_id}/response",
    response={200: ResponseOut, 401: Error, 403: Error, 404: Error},
    summary="本企业的答卷（匿名问卷只返回是否已填答）",
)
def response_get(request: HttpRequest, survey_id: int, enterprise_id: int) -> dict[str, Any]:
    user = _user(request)
    survey = _visible(user, survey_id)
    firm = _own_firm(user, enterprise_id)
    return _response_out(survey, firm.pk)


@router.put(
    "/{survey_id}/response",
    response={200: ResponseOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="提交或修改本企业的答卷（截止前；匿名问卷提交后不能修改）",
)
def response_put(request: HttpRequest, survey_id: int, body: ResponseIn) -> dict[str, Any]:
    user = _user(request)
    survey = _visible(user, survey_id)
    firm = _own_firm(user, body.enterprise_id)
    services.response_submit(actor=user, survey_id=survey.pk, enterprise=firm, answers=body.answers)
    return _response_out(survey, firm.pk)


def _readable(user: Any, survey_id: int) -> Survey:
    survey = _visible(user, survey_id)
    if not can_read_results(user, survey):
        raise HttpError(403, "forbidden")
    return survey


@router.get(
    "/{survey_id}/results",
    response={200: SurveyResultsOut, 401: Error, 403: Error, 404: Error},
    summary="问卷结果：各区域填答率、逐题计数和比例、量表平均分及 95% 置信区间",
)
def survey_results(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = _readable(_user(request), survey_id)
    results = selectors.survey_results(survey)
    return {
        "survey_id": survey.pk,
        "responses": results.responses,
        "addressed": results.addressed,
        "answered": results.answered,
        "rates": [
            {
                "district": r.district,
                "town": r.region,
                "addressed": r.addressed,
                "answered": r.answered,
                "percent": round(r.percent, 1),
            }
            for r in results.rates
        ],
        "dimensions": [
            {"tag": tag, "label": label, "summary": _summary(s)}
            for tag, label, s in results.dimensions
        ],
        "questions": [
            {
                "id": r.question.pk,
                "position": r.question.position,
                "text": r.question.text,
                "kind": r.question.kind,
                "tag": r.question.tag,
                "answered": r.answered,
                "options": [o.__dict__ for o in r.options],
                "counts": [o.__dict__ for o in r.counts],
                "summary": _summary(r.summary) if r.summary else None,
                "rows": [
                    {"label": row.label, "summary": _summary(row.summary), "counts": row.counts}
                    for row in r.rows
                ],
            }
            for r in results.questions
        ],
    }


@router.get(
    "/{survey_id}/export",
    response={200: None, 401: Error, 403: Error, 404: Error},
    summary="导出答卷（Excel：每份答卷一行，每题一列；匿名问卷不含企业列）",
    openapi_extra={
        "responses": {
            "200": {
                "description": "xlsx",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}
                },
            }
        }
    },
)
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = _user(request)
    survey = _readable(user, survey_id)
    header, rows = services.export_rows(actor=user, survey=survey)
    return xlsx_response(f"survey-{survey.pk}.xlsx", str(_("答卷")), header, rows)
