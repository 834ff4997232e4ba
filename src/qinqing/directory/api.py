"""Directory endpoints, scoped like the web pages: reads, and the spreadsheet import."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.files import refuse_several
from qinqing.common.masking import mask_phone

from . import selectors
from .importexport import (
    ON_EXISTING_UPDATE,
    ImportReport,
    RowIssue,
    enterprises_import,
    people_import,
)
from .models import Enterprise, IndustrySection, Region
from .services import enterprise_record_view

router = Router(tags=["directory"])


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: int
    level_label: str
    parent_id: int | None
    path: str


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    legal_representative: str
    industry_section: str
    industry_label: str
    above_scale: bool
    employees: int
    address: str
    grid_id: int
    grid_name: str
    contact_phone_masked: str


class EnterpriseDetailOut(EnterpriseOut):
    contact_phone: str


class DepartmentOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region_id: int
    region_name: str


class Page(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None


class RegionPage(Page):
    items: list[RegionOut]


class EnterprisePage(Page):
    items: list[EnterpriseOut]


class DepartmentPage(Page):
    items: list[DepartmentOut]


class EnterpriseFilters(Schema):
    q: str = ""
    region_id: int | None = None
    industry: IndustrySection | None = None
    size: str = ""
    page: int = 1


def _region(r: Region) -> dict[str, Any]:
    return {
        "id": r.pk,
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "level_label": str(r.get_level_display()),
        "parent_id": r.parent_id,
        "path": r.path,
    }


def _enterprise(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "uscc": e.uscc,
        "name": e.name,
        "legal_representative": e.legal_representative,
        "industry_section": e.industry_section,
        "industry_label": str(e.get_industry_section_display()),
        "above_scale": e.above_scale,
        "employees": e.employees,
        "address": e.address,
        "grid_id": e.grid_id,
        "grid_name": e.grid.name,
        "contact_phone_masked": mask_phone(e.contact_phone),
    }


def _page(request: HttpRequest, qs: Any, page: int, per_page: int, convert: Any) -> dict[str, Any]:
    from qinqing.common.pagination import page_fields_next, paginate

    current = paginate(qs, page, per_page)
    return {
        **page_fields_next(current, request),
        "items": [convert(x) for x in current.object_list],
    }


@router.get(
    "/regions", response={200: RegionPage, 401: Error}, summary="区域列表（可按上级或层级过滤）"
)
def regions(
    request: HttpRequest, parent_id: int | None = None, level: int | None = None, page: int = 1
) -> dict[str, Any]:
    qs = selectors.regions_all()
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if level is not None:
        qs = qs.filter(level=level)
    return _page(request, qs, page, 100, _region)


@router.get("/regions/{region_id}", response={200: RegionOut, 401: Error, 404: Error})
def region(request: HttpRequest, region_id: int) -> dict[str, Any]:
    found = selectors.regions_all().filter(pk=region_id).first()
    if found is None:
        raise HttpError(404, "not found")
    return _region(found)


@router.get(
    "/enterprises",
    response={200: EnterprisePage, 401: Error, 404: Error, 422: Error},
    summary="企业列表：按名称、统一社会信用代码、法定代表人搜索；按区域、行业、规模过滤",
)
def enterprises(request: HttpRequest, filters: Query[EnterpriseFilters]) -> dict[str, Any]:
    region_obj = None
    if filters.region_id is not None:
        region_obj = selectors.regions_all().filter(pk=filters.region_id).first()
        if region_obj is None:
            raise HttpError(404, "region not found")
    qs = selectors.enterprise_list(
        user=request.auth,  # type: ignore[attr-defined]
        query=filters.q,
        region=region_obj,
        industry=filters.industry.value if filters.industry else "",
        size=filters.size,
    )
    return _page(request, qs, filters.page, 20, _enterprise)


@router.get(
    "/enterprises/{enterprise_id}", response={200: EnterpriseDetailOut, 401: Error, 404: Error}
)
def enterprise(request: HttpRequest, enterprise_id: int) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    try:
        found = selectors.enterprise_detail(user=user, enterprise_id=enterprise_id)
    except Enterprise.DoesNotExist:
        raise HttpError(404, "not found") from None
    enterprise_record_view(actor=user, enterprise=found)
    return {**_enterprise(found), "contact_phone": found.contact_phone}


@router.get("/departments", response={200: DepartmentPage, 401: Error})
def departments(
    request: HttpRequest, region_id: int | None = None, page: int = 1
) -> dict[str, Any]:
    region_obj = selectors.regions_all().filter(pk=region_id).first() if region_id else None
    qs = selectors.departments_visible_to(request.auth, region=region_obj)  # type: ignore[attr-defined]
    return _page(
        request,
        qs,
        page,
        50,
        lambda d: {
            "id": d.pk,
            "name": d.name,
            "kind": d.kind,
            "kind_label": str(d.get_kind_display()),
            "region_id": d.region_id,
            "region_name": d.region.name,
        },
    )


@router.get("/departments/{department_id}", response={200: DepartmentOut, 401: Error, 404: Error})
def department(request: HttpRequest, department_id: int) -> dict[str, Any]:
    d = selectors.departments_visible_to(request.auth).filter(pk=department_id).first()  # type: ignore[attr-defined]
    if d is None:
        raise HttpError(404, "not found")
    return {
        "id": d.pk,
        "name": d.name,
        "kind": d.kind,
        "kind_label": str(d.get_kind_display()),
        "region_id": d.region_id,
        "region_name": d.region.name,
    }


# --- import (the twin of the web's /directory/import/) ----------------------------------------
class DirectoryImportRowOut(Schema):
    row: int = Field(..., description="Excel 行号（表头为第1行）")
    key: str = Field(..., description="该行的标识（统一社会信用代码或用户名）")
    reasons: list[str]


class DirectoryImportOut(Schema):
    kind: str = Field(..., description="enterprises（企业）或 people（人员）")
    file: str
    rows: int = Field(..., description="文件中的数据行数")
    created: int
    updated: int
    unchanged: int
    granted: int = Field(..., description="人员导入：授予的角色数")
    failed: list[DirectoryImportRowOut] = Field(..., description="未导入的行及原因")
    skipped: list[DirectoryImportRowOut] = Field(..., description="按选择未更新的已有企业")
    pending: list[DirectoryImportRowOut] = Field(..., description="人员导入：待安全管理员授权")


def _import_report(report: ImportReport) -> dict[str, Any]:
    def rows(issues: list[RowIssue]) -> list[dict[str, Any]]:
        return [{"row": i.row, "key": i.key, "reasons": i.reasons} for i in issues]

    return {
        "kind": report.kind,
        "file": report.filename,
        "rows": report.total,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "granted": report.granted,
        "failed": rows(report.failed),
        "skipped": rows(report.skipped),
        "pending": rows(report.pending),
    }


IMPORT_RESPONSES: dict[int, Any] = {200: DirectoryImportOut, 401: Error, 403: Error, 422: Error}


@router.post(
    "/directory/import/enterprises",
    response=IMPORT_RESPONSES,
    summary=("导入企业（.xlsx/.csv，一次1个文件，按行报告错误，Excel 行号；系统管理员、协调员）"),
)
def enterprises_import_file(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    on_existing: Literal["update", "skip"] = Query(
        ON_EXISTING_UPDATE, description="统一社会信用代码已存在时：update 更新，skip 不更新"
    ),
) -> dict[str, Any]:
    refuse_several(request.FILES, field="file")
    report = enterprises_import(
        actor=request.auth,  # type: ignore[attr-defined]
        upload=file,
        on_existing=on_existing,
    )
    return _import_report(report)


@router.post(
    "/directory/import/people",
    response=IMPORT_RESPONSES,
    summary=(
        "导入人员及其角色（.xlsx/.csv，一次1个文件，按行报告错误，Excel 行号；"
        "系统管理员建账户，安全管理员授角色）"
    ),
)
def people_import_file(request: HttpRequest, file: UploadedFile = File(...)) -> dict[str, Any]:  # noqa: B008
    refuse_several(request.FILES, field="file")
    report = people_import(actor=request.auth, upload=file)  # type: ignore[attr-defined]
    return _import_report(report)
