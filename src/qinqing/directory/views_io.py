"""Import and export of enterprises and people (Excel and CSV)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.accounts.models import Role
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.spreadsheet import csv_response, xlsx_response

from .forms import EnterpriseImportForm, PeopleImportForm
from .importexport import (
    TEMPLATE_PERMISSION,
    TEMPLATES,
    ExportTable,
    ImportReport,
    can_import_people,
    enterprise_export_table,
    enterprises_import,
    export_record,
    max_rows,
    max_upload_bytes,
    people_export_table,
    people_import,
)
from .models import IndustrySection
from .permissions import can_import_directory
from .views import list_filters


def _format(request: HttpRequest) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _spreadsheet(fmt: str, name: str, sheet: str, table: ExportTable) -> HttpResponse:
    filename = f"{name}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, table.header, table.rows())
    return xlsx_response(filename, sheet, table.header, table.rows())


@login_required
@require_GET
def enterprise_export(request: HttpRequest) -> HttpResponse:
    filters = list_filters(request)
    try:
        table = enterprise_export_table(user=request.user, **filters)
    except NotPermitted:
        raise PermissionDenied from None
    fmt = _format(request)
    response = _spreadsheet(fmt, "企业名录", "企业名录", table)
    region = filters["region"]
    export_record(
        actor=request.user,
        action="enterprise.export",
        fmt=fmt,
        count=table.count,
        filters={
            "q": filters["query"],
            "region": region.code if region is not None else "",
            "industry": filters["industry"],
            "size": filters["size"],
        },
    )
    return response


@login_required
@require_GET
def people_export(request: HttpRequest) -> HttpResponse:
    try:
        table = people_export_table(user=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    fmt = _format(request)
    response = _spreadsheet(fmt, "人员名单", "人员名单", table)
    export_record(actor=request.user, action="people.export", fmt=fmt, count=table.count)
    return response


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in TEMPLATES:
        raise Http404
    if not TEMPLATE_PERMISSION[kind](request.user):
        raise PermissionDenied
    title, columns = TEMPLATES[kind]
    if _format(request) == "csv":
        return csv_response(f"{title}.csv", columns, [])
    return xlsx_response(f"{title}.xlsx", title, columns, [])


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    may_enterprises = bool(can_import_directory(request.user))
    may_people = can_import_people(request.user)
    if not (may_enterprises or may_people):
        raise PermissionDenied
    enterprise_form = EnterpriseImportForm()
    people_form = PeopleImportForm()
    report: ImportReport | None = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind == "enterprises":
            if not may_enterprises:
                raise PermissionDenied
            enterprise_form = EnterpriseImportForm(request.POST, request.FILES)
            if enterprise_form.is_valid():
                try:
                    report = enterprises_import(
                        actor=request.user,
                        upload=enterprise_form.cleaned_data["file"],
                        on_existing=enterprise_form.cleaned_data["on_existing"],
                    )
                except ServiceError as exc:
                    enterprise_form.add_error("file", exc.message)
        elif kind == "people":
            if not may_people:
                raise PermissionDenied
            people_form = PeopleImportForm(request.POST, request.FILES)
            if people_form.is_valid():
                try:
                    report = people_import(
                        actor=request.user, upload=people_form.cleaned_data["file"]
                    )
                except ServiceError as exc:
                    people_form.add_error("file", exc.message)
        else:
            return HttpResponseBadRequest()
    context: dict[str, Any] = {
        "may_enterprises": may_enterprises,
        "may_people": may_people,
        "enterprise_form": enterprise_form,
        "people_form": people_form,
        "report": report,
        "industries": IndustrySection.choices,
        "roles": Role.choices,
        "max_rows": max_rows(),
        "max_mb": f"{max_upload_bytes() / 1024 / 1024:g}",
    }
    return render(request, "directory/import.html", context)
