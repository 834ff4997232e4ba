"""走访 API under ``/api/v1/outreach``: visits, the steward's month, coverage, rules.

Thin over ``visits``: ids from the client are looked up inside the caller's scope (another
grid's firm or visit answers 404); the services check permission (403) and input (422).
Months are ``YYYY-MM`` calendar months in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.errors import ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Region
from qinqing.directory.selectors import enterprises_visible_to

from . import visits
from .models import Visit

router = Router(tags=["outreach"])

PER_PAGE = 20


# --- schemas --------------------------------------------------------------------------------
class VisitFileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class VisitOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    grid_id: int
    grid_name: str
    steward_id: int
    steward_name: str
    visited_on: date
    met_person: str
    topics: str
    policies_explained: str
    problems: str
    demand_id: int | None
    demand_number: str | None
    files: list[VisitFileOut]
    created_at: str


class VisitPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[VisitOut]


class VisitIn(Schema):
    enterprise_id: int
    visited_on: date
    met_person: str = ""
    topics: str = ""
    policies_explained: str = ""
    problems: str = ""
    raise_demand: bool = False
    category_id: int | None = None


class PlanRowOut(Schema):
    enterprise_id: int
    enterprise_name: str
    grid_name: str
    is_key: bool
    required: int
    done: int
    previous_month_done: int
    status: str
    status_label: str
    last_visited_on: date | None


class PlanOut(Schema):
    month: str
    counts: dict[str, int]
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[PlanRowOut]


class CoverageRowOut(Schema):
    id: int | None
    label: str
    detail: str
    firms: int
    met: int
    share: float
    overdue: int
    visits: int


class CoverageOut(Schema):
    month: str
    level: str
    rows: list[CoverageRowOut]
    total: CoverageRowOut


class HistoryOut(Schema):
    month: str
    firms: int
    met: int
    share: float
    visits: int


class RuleIn(Schema):
    visits_per_month: int
    key_firm_visits_per_month: int


class RuleOut(Schema):
    region_id: int
    region_name: str
    visits_per_month: int
    key_firm_visits_per_month: int
    #: the region whose rule applies (null: the built-in default)
    source_region_id: int | None
    source_region_name: str


class KeyFirmIn(Schema):
    is_key: bool
    reason: str = ""


class KeyFirmOut(Schema):
    enterprise_id: int
    is_key: bool
    reason: str


# --- helpers --------------------------------------------------------------------------------
def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _month(text: str | None) -> date:
    if not text:
        return visits.month_start(visits.today())
    month = visits.parse_month(text)
    if month is None:
        message = _("请按“2026-01”的格式填写月份。")
        raise ServiceError(message, field_errors={"month": [message]})
    return month


def _visit(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "enterprise_id": v.enterprise_id,
        "enterprise_name": v.enterprise.name,
        "grid_id": v.grid_id,
        "grid_name": v.grid.name,
        "steward_id": v.steward_id,
        "steward_name": str(v.steward),
        "visited_on": v.visited_on,
        "met_person": v.met_person,
        "topics": v.topics,
        "policies_explained": v.policies_explained,
        "problems": v.problems,
        "demand_id": v.demand_id,
        "demand_number": v.demand.number if v.demand else None,
        "files": [
            {
                "id": f.pk,
                "name": f.name,
                "size": f.size,
                "content_type": f.content_type,
                "url": f"/outreach/visits/files/{f.pk}/",
            }
            for f in v.files.all()
        ],
        "created_at": v.created_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    }


def _visible(user: Any, visit_id: int) -> Visit:
    try:
        return visits.visits_visible_to(user).prefetch_related("files").get(pk=visit_id)
    except Visit.DoesNotExist:
        raise HttpError(404, "not found") from None


def _region(user: Any, region_id: int | None) -> Region | None:
    """A region inside the caller's coverage scope, else 404."""
    if region_id is None:
        return None
    region = Region.objects.filter(pk=region_id).first()
    paths = visits.role_paths(user, *visits.COVERAGE_ROLES)
    if region is None or not any(region.path.startswith(p) for p in paths):
        raise HttpError(404, "not found")
    return region


def _reader(user: Any) -> None:
    if not visits.is_coverage_reader(user):
        raise HttpError(403, "forbidden")


def _row(row: visits.CoverageRow) -> dict[str, Any]:
    return {
        "id": row.key,
        "label": row.label,
        "detail": row.parent_label,
        "firms": row.firms,
        "met": row.met,
        "share": round(row.share, 4),
        "overdue": row.overdue,
        "visits": row.visits,
    }


# --- visits ---------------------------------------------------------------------------------
@router.get(
    "/visits",
    response={200: VisitPage, 401: Error, 422: Error},
    summary="可见的走访记录（管家、协调员、监督员按区域；企业看本企业），新的在前",
)
def visit_list(
    request: HttpRequest,
    month: str | None = None,
    enterprise_id: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    user = _user(request)
    qs = visits.visit_list(
        user=user,
        month=_month(month) if month else None,
        enterprise_id=enterprise_id,
    ).prefetch_related("files")
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_visit(v) for v in current.object_list],
    }


@router.post(
    "/visits",
    response={201: VisitOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary=(
        "记录走访（multipart 表单；照片或 PDF 用字段 files，可多个，每个不超过10MB）；"
        "raise_demand=true 时发现的问题同时以企业名义提交为诉求并关联"
    ),
)
def visit_create(
    request: HttpRequest,
    payload: Form[VisitIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> tuple[int, dict[str, Any]]:
    from qinqing.demands.models import Category

    user = _user(request)
    firm = enterprises_visible_to(user).filter(pk=payload.enterprise_id).first()
    if firm is None:
        raise HttpError(404, "not found")
    category = None
    if payload.category_id is not None:
        category = Category.objects.filter(pk=payload.category_id).first()
        if category is None:
            message = _("请选择有效的诉求类别。")
            raise ServiceError(message, field_errors={"category_id": [message]})
    try:
        visit = visits.visit_log(
            actor=user,
            enterprise=firm,
            visited_on=payload.visited_on,
            met_person=payload.met_person,
            topics=payload.topics,
            policies_explained=payload.policies_explained,
            problems=payload.problems,
            files=files or [],
            raise_demand=payload.raise_demand,
            category=category,
        )
    except ServiceError as exc:
        if "category" in exc.field_errors:
            exc.field_errors["category_id"] = exc.field_errors.pop("category")
        raise
    return 201, _visit(_visible(user, visit.pk))


@router.get(
    "/visits/plan",
    response={200: PlanOut, 401: Error, 403: Error, 422: Error},
    summary="管家的月度走访计划：每家企业应走访、已走访次数和状态（待走访/已逾期/已走访）",
)
def visit_plan(
    request: HttpRequest, month: str | None = None, status: str = "", page: int = 1
) -> dict[str, Any]:
    user = _user(request)
    if not visits.is_steward(user):
        raise HttpError(403, "forbidden")
    if status and status not in visits.Status.values:
        message = _("状态只能是 due、overdue 或 visited。")
        raise ServiceError(message, field_errors={"status": [message]})
    plan = visits.month_plan(user=user, month=_month(month), status=status)
    current = paginate(plan.rows.select_related("grid"), page, 100)
    labels = dict(visits.Status.choices)
    return {
        "month": f"{plan.month:%Y-%m}",
        "counts": plan.counts,
        **page_fields_next(current, request),
        "items": [
            {
                "enterprise_id": f.pk,
                "enterprise_name": f.name,
                "grid_name": f.grid.name,
                "is_key": f.is_key,
                "required": f.required,
                "done": f.done,
                "previous_month_done": f.prev_done,
                "status": f.status,
                "status_label": str(labels[f.status]),
                "last_visited_on": f.last_visited_on,
            }
            for f in current.object_list
        ],
    }


@router.get(
    "/visits/{visit_id}",
    response={200: VisitOut, 401: Error, 404: Error},
    summary="一次走访的详情（范围外的走访一律404）",
)
def visit_get(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    return _visit(_visible(_user(request), visit_id))


# --- coverage -------------------------------------------------------------------------------
@router.get(
    "/coverage",
    response={200: CoverageOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary=(
        "走访覆盖率：按管家(steward)、网格(grid)、乡镇街道(town)或区县市(district)统计"
        "当月走访次数达到规则的企业比例"
    ),
)
def coverage(
    request: HttpRequest,
    month: str | None = None,
    level: str = visits.Level.GRID,
    region_id: int | None = None,
) -> dict[str, Any]:
    user = _user(request)
    _reader(user)
    if level not in visits.Level.values:
        message = _("层级只能是 steward、grid、town 或 district。")
        raise ServiceError(message, field_errors={"level": [message]})
    report = visits.coverage(
        user=user, month=_month(month), level=level, region=_region(user, region_id)
    )
    return {
        "month": f"{report.month:%Y-%m}",
        "level": report.level,
        "rows": [_row(r) for r in report.rows],
        "total": _row(report.total),
    }


@router.get(
    "/coverage/history",
    response={200: list[HistoryOut], 401: Error, 403: Error, 404: Error, 422: Error},
    summary="历月走访达标率（按现行规则和企业当前所属网格重新计算），旧的在前",
)
def coverage_history(
    request: HttpRequest,
    until: str | None = None,
    months: int = 12,
    region_id: int | None = None,
) -> list[dict[str, Any]]:
    user = _user(request)
    _reader(user)
    if not 1 <= months <= 36:
        message = _("月数应在1到36之间。")
        raise ServiceError(message, field_errors={"months": [message]})
    rows = visits.history(
        user=user, months=months, until=_month(until), region=_region(user, region_id)
    )
    return [
        {
            "month": f"{r.month:%Y-%m}",
            "firms": r.firms,
            "met": r.met,
            "share": round(r.share, 4),
            "visits": r.visits,
        }
        for r in rows
    ]


@router.get(
    "/coverage/overdue",
    response={200: list[PlanRowOut], 401: Error, 403: Error, 404: Error, 422: Error},
    summary="逾期名单：范围内当月走访逾期的企业（每页100家）",
)
def coverage_overdue(
    request: HttpRequest, month: str | None = None, region_id: int | None = None, page: int = 1
) -> list[dict[str, Any]]:
    user = _user(request)
    _reader(user)
    qs = visits.overdue_list(user=user, month=_month(month), region=_region(user, region_id))
    current = paginate(qs, page, 100)
    label = str(visits.Status.OVERDUE.label)
    return [
        {
            "enterprise_id": f.pk,
            "enterprise_name": f.name,
            "grid_name": f.grid.name,
            "is_key": f.is_key,
            "required": f.required,
            "done": f.done,
            "previous_month_done": f.prev_done,
            "status": f.status,
            "status_label": label,
            "last_visited_on": None,
        }
        for f in current.object_list
    ]


# --- rules ----------------------------------------------------------------------------------
def _rule_out(region: Region) -> dict[str, Any]:
    rule = visits.rule_for(region)
    return {
        "region_id": region.pk,
        "region_name": region.name,
        "visits_per_month": rule.visits_per_month,
        "key_firm_visits_per_month": rule.key_firm_visits_per_month,
        "source_region_id": rule.region.pk if rule.region else None,
        "source_region_name": rule.region.name if rule.region else "",
    }


@router.get(
    "/visit-rules/{region_id}",
    response={200: RuleOut, 401: Error, 403: Error, 404: Error},
    summary="某区域适用的走访规则（向上最近一级设置的规则，无则默认每月1次、重点企业2次）",
)
def rule_get(request: HttpRequest, region_id: int) -> dict[str, Any]:
    user = _user(request)
    _reader(user)
    region = _region(user, region_id)
    assert region is not None
    return _rule_out(region)


@router.put(
    "/visit-rules/{region_id}",
    response={200: RuleOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="协调员设置本区域（或下级区域）的走访规则：每月次数1–10，重点企业不少于一般企业",
)
def rule_set(request: HttpRequest, region_id: int, body: RuleIn) -> dict[str, Any]:
    user = _user(request)
    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise HttpError(404, "not found")
    visits.visit_rule_set(
        actor=user,
        region=region,
        visits_per_month=body.visits_per_month,
        key_firm_visits_per_month=body.key_firm_visits_per_month,
    )
    return _rule_out(region)


@router.put(
    "/key-firms/{enterprise_id}",
    response={200: KeyFirmOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="协调员将企业列为（或移出）重点企业",
)
def key_firm_put(request: HttpRequest, enterprise_id: int, body: KeyFirmIn) -> dict[str, Any]:
    user = _user(request)
    firm = enterprises_visible_to(user).filter(pk=enterprise_id).first()
    if firm is None:
        raise HttpError(404, "not found")
    item = visits.key_firm_set(actor=user, enterprise=firm, is_key=body.is_key, reason=body.reason)
    return {
        "enterprise_id": firm.pk,
        "is_key": item is not None,
        "reason": item.reason if item else "",
    }
