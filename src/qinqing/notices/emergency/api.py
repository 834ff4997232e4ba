"""The /api/v1/emergency router: emergencies, the firm's report, missing firms, overview,
trend, needs into demands.

Thin over ``services`` and ``selectors``: ids are looked up inside the caller's scope (404),
services check permission (403), input (422) and state (409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.demands.models import Category
from qinqing.directory.targeting import AudienceIn, audience_firms

from . import selectors, services
from .models import Emergency, StatusReport
from .permissions import is_overview_reader

router = Router(tags=["协同监测"])
PER_PAGE = 50


class EmergencyIn(Schema):
    title: str
    kind: str
    cadence: str = "daily"
    starts_on: date
    ends_on: date | None = None
    description: str = ""
    supply_items: list[str] = []
    reminder_hour: int = 10
    audience: AudienceIn


class EmergencyOut(Schema):
    id: int
    title: str
    kind: str
    cadence: str
    starts_on: date
    ends_on: date | None
    supply_items: list[str]
    current_period: date
    running: bool


class SupplyIn(Schema):
    item: str
    days: int | None = None


class EmergencyReportIn(Schema):
    enterprise_id: int
    status: str
    staff_on_site: int
    staff_absent: int
    supplies: list[SupplyIn] = []
    need_text: str = ""
    need_item: str = ""
    need_quantity: int | None = None


class EmergencyReportOut(Schema):
    id: int
    emergency_id: int
    enterprise_id: int
    enterprise_name: str
    period: date
    status: str
    staff_on_site: int
    staff_absent: int
    supplies: list[dict[str, Any]]
    need_text: str
    need_item: str
    need_quantity: int | None
    need_demand_number: str | None
    need_listing_id: int | None
    on_behalf: bool


class EmergencyReportPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[EmergencyReportOut]


class FirmOut(Schema):
    id: int
    name: str
    grid_name: str


class FiguresOut(Schema):
    label: str
    region_id: int | None
    period: date | None
    targeted: int
    reported: int
    running: int
    partly: int
    stopped: int
    staff_on_site: int
    staff_absent: int
    needs: int
    reporting_rate: float | None
    operating_share: float | None
    running_share: float | None
    return_rate: float | None


class OverviewOut(Schema):
    total: FiguresOut
    children: list[FiguresOut]
    trend: list[FiguresOut]


class EmergencyDemandIn(Schema):
    category_id: int


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _emergency(user: Any, emergency_id: int) -> Emergency:
    try:
        return selectors.emergency_for(user, emergency_id)
    except Emergency.DoesNotExist:
        raise HttpError(404, "not found") from None


def _emergency_out(e: Emergency) -> dict[str, Any]:
    return {
        "id": e.pk,
        "title": e.title,
        "kind": e.kind,
        "cadence": e.cadence,
        "starts_on": e.starts_on,
        "ends_on": e.ends_on,
        "supply_items": list(e.supply_items),
        "current_period": services.current_period(e),
        "running": services.is_running(e),
    }


def _report_out(r: StatusReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "emergency_id": r.emergency_id,
        "enterprise_id": r.enterprise_id,
        "enterprise_name": r.enterprise.name,
        "period": r.period,
        "status": r.status,
        "staff_on_site": r.staff_on_site,
        "staff_absent": r.staff_absent,
        "supplies": list(r.supplies),
        "need_text": r.need_text,
        "need_item": r.need_item,
        "need_quantity": r.need_quantity,
        "need_demand_number": r.need_demand.number if r.need_demand else None,
        "need_listing_id": r.need_listing_id,
        "on_behalf": r.on_behalf,
    }


def _report(user: Any, report_id: int) -> StatusReport:
    report = selectors.reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise HttpError(404, "not found")
    return report


@router.get(
    "/emergencies", response={200: list[EmergencyOut], 401: Error}, summary="可见的应急监测"
)
def emergency_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_emergency_out(e) for e in selectors.emergencies_visible_to(_user(request))]


@router.post(
    "/emergencies",
    response={201: EmergencyOut, 401: Error, 403: Error, 422: Error},
    summary="发布应急监测（家园协调员、监督员；对象限本辖区）",
)
def emergency_declare(request: HttpRequest, body: EmergencyIn) -> tuple[int, dict[str, Any]]:
    data = body.dict(exclude={"audience"})
    emergency = services.emergency_declare(actor=_user(request), **data, **body.audience.dict())
    return 201, _emergency_out(emergency)


@router.get(
    "/emergencies/{emergency_id}",
    response={200: EmergencyOut, 401: Error, 404: Error},
    summary="一次应急监测",
)
def emergency_detail(request: HttpRequest, emergency_id: int) -> dict[str, Any]:
    return _emergency_out(_emergency(_user(request), emergency_id))


@router.post(
    "/emergencies/{emergency_id}/end",
    response={200: EmergencyOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="结束应急监测（家园协调员、监督员），结束日期为今天",
)
def emergency_end(request: HttpRequest, emergency_id: int) -> dict[str, Any]:
    user = _user(request)
    emergency = _emergency(user, emergency_id)
    return _emergency_out(services.emergency_end(actor=user, emergency_id=emergency.pk))


@router.post(
    "/emergencies/{emergency_id}/reports",
    response={200: EmergencyReportOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="报送本期状态（同一企业同一周期只有一份，再次报送即修改）",
)
def report_submit(
    request: HttpRequest, emergency_id: int, body: EmergencyReportIn
) -> dict[str, Any]:
    user = _user(request)
    emergency = _emergency(user, emergency_id)
    firm = (
        audience_firms(emergency.audience)
        .select_related("grid")
        .filter(pk=body.enterprise_id)
        .first()
    )
    if firm is None:
        raise HttpError(404, "not found")
    report = services.report_submit(
        actor=user,
        emergency=emergency,
        enterprise=firm,
        status=body.status,
        staff_on_site=body.staff_on_site,
        staff_absent=body.staff_absent,
        supplies=[s.dict() for s in body.supplies],
        need_text=body.need_text,
        need_item=body.need_item,
        need_quantity=body.need_quantity,
    )
    return _report_out(_report(user, report.pk))


@router.get(
    "/emergencies/{emergency_id}/reports",
    response={200: EmergencyReportPage, 401: Error, 404: Error},
    summary="可见的报送（企业只看本企业）",
)
def report_list(
    request: HttpRequest, emergency_id: int, period: date | None = None, page: int = 1
) -> dict[str, Any]:
    user = _user(request)
    emergency = _emergency(user, emergency_id)
    qs = selectors.report_list(user=user, emergency=emergency, period=period)
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_report_out(r) for r in current.object_list],
    }


@router.get(
    "/emergencies/{emergency_id}/missing",
    response={200: list[FirmOut], 401: Error, 403: Error, 404: Error},
    summary="本人负责的、本期尚未报送的企业",
)
def missing(request: HttpRequest, emergency_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        raise HttpError(403, "forbidden")
    return [
        {"id": f.pk, "name": f.name, "grid_name": f.grid.name}
        for f in selectors.missing_firms(user=user, emergency=emergency)
    ]


@router.get(
    "/emergencies/{emergency_id}/overview",
    response={200: OverviewOut, 401: Error, 403: Error, 404: Error},
    summary="区域总览：报送率、开工率、返岗率、需求，下级区域与趋势",
)
def overview(
    request: HttpRequest,
    emergency_id: int,
    region_id: int | None = None,
    period: date | None = None,
) -> dict[str, Any]:
    user = _user(request)
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        raise HttpError(403, "forbidden")
    regions = selectors.overview_regions(user)
    region = regions.filter(pk=region_id).first() if region_id else selectors.default_region(user)
    if region is None:
        raise HttpError(404, "not found")
    day = services.period_of(emergency, period) if period else services.current_period(emergency)
    view = selectors.overview(emergency=emergency, region=region, period=day)
    return {
        "total": view["total"].as_dict(),
        "children": [f.as_dict() for f in view["children"]],
        "trend": [f.as_dict() for f in selectors.trend(emergency=emergency, region=region)],
    }


@router.get(
    "/reports/{report_id}",
    response={200: EmergencyReportOut, 401: Error, 404: Error},
    summary="一份报送（企业只能看本企业的）",
)
def report_detail(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return _report_out(_report(_user(request), report_id))


@router.post(
    "/reports/{report_id}/demand",
    response={200: EmergencyReportOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="把报送的紧急需求转为该企业的诉求",
)
def need_to_demand(request: HttpRequest, report_id: int, body: EmergencyDemandIn) -> dict[str, Any]:
    user = _user(request)
    report = _report(user, report_id)
    category = Category.objects.filter(pk=body.category_id, active=True).first()
    if category is None:
        raise HttpError(404, "not found")
    services.need_to_demand(actor=user, report_id=report.pk, category=category)
    return _report_out(_report(user, report.pk))
