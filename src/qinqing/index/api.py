"""The /api/v1/index router: published periods, results and region detail (public); compute
status, computing and publishing (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error

from . import selectors, services
from .models import ComputeRun

router = Router(tags=["亲清指数"])


class PeriodOut(Schema):
    period: str
    level: str
    version: int
    published_at: datetime
    partial: bool
    method: str
    note: str


class IndexRegionOut(Schema):
    code: str
    name: str
    score: float | None
    qin: float | None
    qing: float | None
    rank: int | None
    median_rank: int | None
    rank_low: int | None
    rank_high: int | None
    tier: int | None
    coverage: float | None
    scored: bool
    red_line: bool | None
    flags: list[str]


class IndexResultsOut(Schema):
    period: str
    level: str
    version: int
    method: str
    partial: bool
    as_of: str
    draws: int
    seed: int
    sources: dict[str, Any]
    indicators: list[dict[str, Any]]
    regions: list[IndexRegionOut]
    business_environment: dict[str, Any]


class CellOut(Schema):
    indicator: str
    status: str
    raw: float | None
    n: float | None
    value: float | None
    normalised: float | None
    imputed: bool
    shrunk: bool
    winsorised: bool


class RegionDetailOut(Schema):
    period: str
    level: str
    version: int
    region: IndexRegionOut
    indicators: list[CellOut]


class RunIn(Schema):
    period: str
    level: str
    draws: int | None = None


class RunOut(Schema):
    id: int
    period: str
    level: str
    method: str
    draws: int
    status: str
    requested_at: datetime
    finished_at: datetime | None
    error: str


class PublishIn(Schema):
    note: str = ""


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _run_out(run: ComputeRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "period": run.period,
        "level": run.level,
        "method": run.method,
        "draws": run.draws,
        "status": run.status,
        "requested_at": run.requested_at,
        "finished_at": run.finished_at,
        "error": run.error,
    }


@router.get(
    "/periods",
    response={200: list[PeriodOut], 401: Error},
    auth=None,
    summary="已发布的期间（每个期间的最新版本）",
)
def periods(request: HttpRequest, level: str = "") -> list[dict[str, Any]]:
    return [dict(p) for p in selectors.published_periods(level or None)]


@router.get(
    "/results/{period}/{level}",
    response={200: IndexResultsOut, 401: Error, 404: Error},
    auth=None,
    summary="已发布期间的结果（可用 version 参数取更早的版本）",
)
def results(
    request: HttpRequest, period: str, level: str, version: int | None = None
) -> dict[str, Any]:
    pub = selectors.publication(period, level, version)
    if pub is None:
        raise HttpError(404, _("该期间尚未发布。"))
    return {**pub.snapshot, "version": pub.version}


@router.get(
    "/results/{period}/{level}/regions/{code}",
    response={200: RegionDetailOut, 401: Error, 404: Error},
    auth=None,
    summary="一个区域在已发布期间的得分与各项指标",
)
def region_detail(
    request: HttpRequest, period: str, level: str, code: str, version: int | None = None
) -> dict[str, Any]:
    pub = selectors.publication(period, level, version)
    row = next((r for r in pub.snapshot["regions"] if r["code"] == code), None) if pub else None
    if pub is None or row is None:
        raise HttpError(404, _("未找到该区域的发布结果。"))
    cells = [c for c in pub.snapshot["cells"] if c["region"] == code]
    return {
        "period": pub.period,
        "level": pub.level,
        "version": pub.version,
        "region": row,
        "indicators": cells,
    }


@router.post(
    "/runs",
    response={201: RunOut, 401: Error, 403: Error, 422: Error},
    summary="计算一个期间（后台任务；监督员、协调员、系统管理员）",
)
def run_create(request: HttpRequest, body: RunIn) -> tuple[int, dict[str, Any]]:
    run = services.compute_request(
        actor=_user(request), period=body.period, level=body.level, draws=body.draws
    )
    run.refresh_from_db()
    return 201, _run_out(run)


@router.get(
    "/runs/{run_id}",
    response={200: RunOut, 401: Error, 404: Error},
    summary="计算状态",
)
def run_status(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = selectors.runs_visible_to(_user(request)).filter(pk=run_id).first()
    if run is None:
        raise HttpError(404, _("计算记录不存在。"))
    return _run_out(run)


@router.post(
    "/runs/{run_id}/publish",
    response={201: PeriodOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="发布计算结果（市、区县级监督员或系统管理员；再次发布为更正版本，须写说明）",
)
def run_publish(request: HttpRequest, run_id: int, body: PublishIn) -> tuple[int, dict[str, Any]]:
    if not selectors.runs_visible_to(_user(request)).filter(pk=run_id).exists():
        raise HttpError(404, _("计算记录不存在。"))
    pub = services.publish(actor=_user(request), run_id=run_id, note=body.note)
    return 201, {
        "period": pub.period,
        "level": pub.level,
        "version": pub.version,
        "published_at": pub.published_at,
        "partial": pub.partial,
        "method": pub.method,
        "note": pub.note,
    }
