"""The pages of notices: the firms' feed, staff lists and search, writing and publishing,
the receipts (stewards' unread firms, explained in person), attachments.

Thin: every id from the client is looked up inside the reader's scope (``selectors``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.files import file_download
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Audience
from qinqing.directory.targeting import AudienceForm, audience_as_schema, audience_summary

from . import selectors, services
from .forms import ExplainForm, NoticeForm, SearchForm, UploadForm, WithdrawForm
from .models import Notice, NoticeFile, State
from .permissions import firm_ids, is_author, may_manage, may_read_receipts, steward_paths

PAGE_SIZE = 20
RECEIPT_PAGE_SIZE = 50


def _notice(request: HttpRequest, notice_id: int) -> Notice:
    try:
        return selectors.notice_for(user=request.user, notice_id=notice_id)
    except Notice.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """A firm's feed, or the staff list with search and filters."""
    search = SearchForm(request.GET or None)
    filters = search.filters() if search.is_bound else {}
    firm = bool(firm_ids(request.user)) and not is_author(request.user)
    if firm and not any(filters.values()):
        page = paginate(selectors.feed(user=request.user), request.GET.get("page"), PAGE_SIZE)
        return render(request, "notices/feed.html", {"page": page, "search": search})
    qs = selectors.notice_search(user=request.user, **filters)
    page = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    context = {
        "page": page,
        "search": search,
        "can_write": is_author(request.user),
        "firm": firm,
        "unread": selectors.unread_for_steward(user=request.user)[:10]
        if steward_paths(request.user)
        else [],
    }
    return render(request, "notices/list.html", context)


@login_required
@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    search = SearchForm(request.GET or None)
    filters = search.filters() if search.is_bound else {}
    qs = selectors.notice_search(user=request.user, archive=True, **filters)
    page = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    return render(request, "notices/archive.html", {"page": page, "search": search})


def _form_page(
    request: HttpRequest, form: NoticeForm, audience: AudienceForm, notice: Notice | None
) -> HttpResponse:
    return render(
        request, "notices/form.html", {"form": form, "audience": audience, "notice": notice}
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not is_author(request.user):
        raise PermissionDenied
    form = NoticeForm(request.POST or None, initial={"kind": request.GET.get("kind", "policy")})
    audience = AudienceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        try:
            notice = services.notice_create(
                actor=request.user, data=form.data_object(), audience=audience.audience_kwargs()
            )
        except ServiceError as exc:
            apply_service_error(form, _split(exc, audience))
        else:
            messages.success(request, _("通知草稿已保存，请核对后发布。"))
            return redirect("notices:detail", notice.pk)
    return _form_page(request, form, audience, None)


def _split(exc: ServiceError, audience: AudienceForm) -> ServiceError:
    """Put the audience's field errors on the audience form; return the rest."""
    rest: dict[str, list[str]] = {}
    for name, errors in exc.field_errors.items():
        if name in audience.fields:
            for e in errors:
                audience.add_error(name, e)
        else:
            rest[name] = errors
    return ServiceError(exc.message, field_errors=rest)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(request, notice_id)
    if not may_manage(request.user, notice) or notice.state != State.DRAFT:
        raise PermissionDenied
    initial = {f: getattr(notice, f) for f in NoticeForm.base_fields}
    target = Audience.objects.get(pk=notice.audience_id)
    audience_initial = audience_as_schema(target)
    audience_initial["firms"] = "\n".join(audience_initial["firms"])
    form = NoticeForm(request.POST or None, initial=initial)
    audience = AudienceForm(request.POST or None, user=request.user, initial=audience_initial)
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        try:
            services.notice_update(
                actor=request.user,
                notice_id=notice.pk,
                data=form.data_object(),
                audience=audience.audience_kwargs(),
            )
        except ServiceError as exc:
            apply_service_error(form, _split(exc, audience))
        else:
            messages.success(request, _("通知已修改。"))
            return redirect("notices:detail", notice.pk)
    return _form_page(request, form, audience, notice)


@login_required
@require_GET
def detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Opening a notice marks the firm's receipt read (first reader and time)."""
    notice = _notice(request, notice_id)
    services.notice_mark_read(actor=request.user, notice=notice)
    manage = may_manage(request.user, notice)
    context: dict[str, Any] = {
        "notice": notice,
        "files": selectors.files_of(notice),
        "manage": manage,
        "receipt": selectors.firm_receipt(user=request.user, notice=notice),
        "audience_text": audience_summary(Audience.objects.get(pk=notice.audience_id)),
        "withdraw_form": WithdrawForm(),
        "upload_form": UploadForm(),
    }
    if notice.state != State.DRAFT and may_read_receipts(request.user, notice):
        rows, total = selectors.receipt_summary(
            selectors.receipts_for(user=request.user, notice=notice)
        )
        context.update(summary_rows=rows, summary_total=total, receipts_visible=True)
    return render(request, "notices/detail.html", context)


def _act(request: HttpRequest, notice_id: int, call: Any, done: str) -> HttpResponseBase:
    notice = _notice(request, notice_id)
    try:
        call(notice)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("notices:detail", notice.pk)


@login_required
@require_POST
def publish(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    return _act(
        request,
        notice_id,
        lambda n: services.notice_publish(actor=request.user, notice_id=n.pk),
        _("通知已发布，正在送达企业。"),
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    return _act(
        request,
        notice_id,
        lambda n: services.notice_withdraw(
            actor=request.user, notice_id=n.pk, reason=posted_text(request.POST, "reason")
        ),
        _("通知已撤回。"),
    )


@login_required
@require_POST
def pin(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    pinned = request.POST.get("pinned") == "1"
    return _act(
        request,
        notice_id,
        lambda n: services.notice_pin(actor=request.user, notice_id=n.pk, pinned=pinned),
        _("已置顶。") if pinned else _("已取消置顶。"),
    )


@login_required
@require_POST
def attach(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    uploads = request.FILES.getlist("attachments")
    return _act(
        request,
        notice_id,
        lambda n: services.notice_attach(actor=request.user, notice_id=n.pk, uploads=uploads),
        _("附件已上传。"),
    )


@login_required
@require_GET
def download(request: HttpRequest, file_id: int) -> HttpResponseBase:
    try:
        item = selectors.file_for(user=request.user, file_id=file_id)
    except NoticeFile.DoesNotExist:
        raise Http404 from None
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return file_download(handle, name=item.name, content_type=item.content_type)


STATUS_TABS = [
    ("", gettext_lazy("全部")),
    (selectors.UNREAD, gettext_lazy("未读")),
    ("unreached", gettext_lazy("未读且未解读")),
    (selectors.READ, gettext_lazy("已读")),
    (selectors.EXPLAINED, gettext_lazy("当面解读")),
]


def _receipt_status(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in {s for s, _label in STATUS_TABS} else ""


@login_required
@require_GET
def receipts(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(request, notice_id)
    if not may_read_receipts(request.user, notice):
        raise PermissionDenied
    status = _receipt_status(request)
    qs = selectors.receipts_for(
        user=request.user, notice=notice, status=status, query=request.GET.get("q", "")
    )
    page = paginate(qs, request.GET.get("page"), RECEIPT_PAGE_SIZE)
    paths = steward_paths(request.user)
    for r in page.object_list:
        r.can_explain = (
            r.explained_at is None
            and notice.state == State.PUBLISHED
            and any(r.enterprise.grid.path.startswith(p) for p in paths)
        )
    context = {
        "notice": notice,
        "page": page,
        "status": status,
        "tabs": [(s, str(label)) for s, label in STATUS_TABS],
        "q": request.GET.get("q", ""),
        "explain_form": ExplainForm(),
    }
    template = (
        "notices/receipt_rows.html" if getattr(request, "htmx", False) else "notices/receipts.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def explain(request: HttpRequest, notice_id: int, enterprise_id: int) -> HttpResponseBase:
    notice = _notice(request, notice_id)
    form = ExplainForm(request.POST)
    try:
        services.receipt_explain(
            actor=request.user,
            notice_id=notice.pk,
            enterprise_id=enterprise_id,
            note=posted_text(request.POST, "note"),
        )
    except ServiceError as exc:
        apply_service_error(form, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记当面解读。"))
    url = f"{request.path.rsplit('/', 3)[0]}/?status={request.POST.get('status', '')}"
    return redirect(url)


@login_required
@require_GET
def export(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(request, notice_id)
    if not may_read_receipts(request.user, notice):
        raise PermissionDenied
    qs = selectors.receipts_for(user=request.user, notice=notice, status=_receipt_status(request))
    header = [
        _("企业名称"),
        _("统一社会信用代码"),
        _("所属网格"),
        _("状态"),
        _("首次阅读时间"),
        _("首位阅读人"),
        _("当面解读时间"),
        _("解读人"),
        _("解读说明"),
    ]

    def when(moment: Any) -> str:
        return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = []
    for r in qs.iterator(chunk_size=2000):
        status = _("已读") if r.first_read_at else (_("当面解读") if r.explained_at else _("未读"))
        rows.append(
            [
                r.enterprise.name,
                r.enterprise.uscc,
                r.enterprise.grid.name,
                status,
                when(r.first_read_at),
                str(r.first_reader or ""),
                when(r.explained_at),
                str(r.explained_by or ""),
                r.explained_note,
            ]
        )
    services.receipts_exported(actor=request.user, notice=notice, rows=len(rows))
    return xlsx_response(f"阅读回执-{notice.pk}.xlsx", _("阅读回执"), header, rows)
