from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.permissions import is_audit_admin
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response

from .actions import ACTIONS
from .forms import AuditSearchForm
from .labels import action_label, object_type_label, role_label
from .selectors import audit_search
from .services import record, verify_chain, verify_message

EXPORT_LIMIT = 50_000


def _require_audit_admin(request: HttpRequest) -> None:
    if not is_audit_admin(request.user):
        raise PermissionDenied


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    _require_audit_admin(request)
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(audit_search(**filters), request.GET.get("page"), 50)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "actions": ACTIONS, "result": None}
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    _require_audit_admin(request)
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_search(**filters)[:EXPORT_LIMIT]
    with transaction.atomic():
        record(actor=request.user, action="audit.export", changes={"filters": filters})
    header = [
        "序号",
        "时间",
        "操作人",
        "角色",
        "动作",
        "动作代码",
        "对象类型",
        "对象ID",
        "对象",
        "变更",
        "客户端地址",
        "哈希",
    ]
    rows = (
        [
            e.seq,
            timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            role_label(e.actor_role),
            action_label(e.action),
            e.action,
            object_type_label(e.object_type),
            e.object_id,
            e.object_label,
            str(e.changes),
            e.client_ip,
            e.hash,
        ]
        for e in entries.iterator(chunk_size=2000)
    )
    return xlsx_response("audit-log.xlsx", "审计日志", header, rows)


@login_required
@require_POST
def verify_view(request: HttpRequest) -> HttpResponse:
    _require_audit_admin(request)
    result = verify_chain(actor=request.user)
    if result.ok:
        messages.success(request, verify_message(result))
    else:
        messages.error(request, verify_message(result))
    return redirect("audit:log")
