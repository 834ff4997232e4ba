"""The /api/v1/notices router: search and feed, writing and publishing, reading, receipts,
stewards' explanations, attachments.

Ids from the client are looked up inside the caller's scope (another firm's notice answers
404); services check permission (403), state (409) and input (422).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.errors import ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.targeting import AudienceIn, AudienceOut, audience_as_schema

from . import selectors, services
from .models import Kind, Notice, Receipt
from .permissions import may_read_receipts

router = Router(tags=["信息发布"])
PER_PAGE = 20


class NoticeIn(Schema):
    kind: str
    title: str
    body: str
    issuing_body: str = ""
    document_number: str = ""
    effective_on: date | None = None
    policy_expires_on: date | None = None
    event_starts_at: datetime | None = None
    event_place: str = ""
    pinned: bool = False
    expires_on: date | None = None
    audience: AudienceIn


class FileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    state: str
    issuing_body: str
    document_number: str
    effective_on: date | None
    policy_expires_on: date | None
    event_starts_at: datetime | None
    event_place: str
    pinned: bool
    expires_on: date | None
    published_at: datetime | None
    author_region: str
    recipients: int
    is_read: bool | None = None


class NoticeDetailOut(NoticeOut):
    files: list[FileOut]
    audience: AudienceOut | None = None


class NoticePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[NoticeOut]


class WithdrawIn(Schema):
    reason: str


class PinIn(Schema):
    pinned: bool


class ExplainIn(Schema):
    note: str


class NoticeReceiptOut(Schema):
    enterprise_id: int
    enterprise_name: str
    grid: str
    first_read_at: datetime | None
    first_reader: str
    explained_at: datetime | None
    explained_by: str
    explained_note: str


class ReceiptPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[NoticeReceiptOut]


class SummaryRowOut(Schema):
    region: str
    total: int
    read: int
    unread: int
    explained: int
    reached: int


class NoticeSummaryOut(Schema):
    rows: list[SummaryRowOut]
    total: SummaryRowOut


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _notice(user: Any, notice_id: int) -> Notice:
    try:
        return selectors.notice_for(user=user, notice_id=notice_id)
    except Notice.DoesNotExist:
        raise HttpError(404, "not found") from None


def _out(n: Notice, *, is_read: bool | None = None) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": str(n.get_kind_display()),
        "title": n.title,
        "body": n.body,
        "state": n.state,
        "issuing_body": n.issuing_body,
        "document_number": n.document_number,
        "effective_on": n.effective_on,
        "policy_expires_on": n.policy_expires_on,
        "event_starts_at": n.event_starts_at.astimezone(SHANGHAI) if n.event_starts_at else None,
        "event_place": n.event_place,
        "pinned": n.pinned,
        "expires_on": n.expires_on,
        "published_at": n.published_at.astimezone(SHANGHAI) if n.published_at else None,
        "author_region": n.author_region.name,
        "recipients": n.recipients,
        "is_read": getattr(n, "is_read", is_read),
    }


def _detail(user: Any, n: Notice) -> dict[str, Any]:
    out = _out(n)
    out["files"] = [
        {
            "id": f.pk,
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "url": f"/notices/files/{f.pk}/",
        }
        for f in selectors.files_of(n)
    ]
    from .permissions import may_manage

    if may_manage(user, n):
        out["audience"] = audience_as_schema(n.audience)
    receipt = selectors.firm_receipt(user=user, notice=n)
    if receipt is not None:
        out["is_read"] = receipt.first_read_at is not None
    return out


def _data(body: NoticeIn) -> services.NoticeData:
    return services.NoticeData(
        kind=body.kind,
        title=body.title,
        body=body.body,
        issuing_body=body.issuing_body,
        document_number=body.document_number,
        effective_on=body.effective_on,
        policy_expires_on=body.policy_expires_on,
        event_starts_at=body.event_starts_at,
        event_place=body.event_place,
        pinned=body.pinned,
        expires_on=body.expires_on,
    )


@router.get(
    "",
    response={200: NoticePage, 401: Error, 422: Error},
    summary=(
        "搜索可见的通知（标题、正文、发文机关、文号），按类别、发布日期筛选；"
        "archive=true 只看已过展示期的"
    ),
)
def notice_list(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    published_from: date | None = None,
    published_to: date | None = None,
    archive: bool = False,
    page: int = 1,
) -> dict[str, Any]:
    if kind and kind not in Kind.values:
        message = _("类别只能是 policy、announcement、job 或 event。")
        raise ServiceError(message, field_errors={"kind": [message]})
    qs = selectors.notice_search(
        user=_user(request),
        query=q,
        kind=kind,
        published_from=published_from,
        published_to=published_to,
        archive=archive,
    )
    current = paginate(qs, page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_out(n) for n in current.object_list]}


@router.get(
    "/feed",
    response={200: NoticePage, 401: Error},
    summary="企业的通知：未过展示期的已发布通知，置顶的在前，is_read 标明本企业是否已读",
)
def notice_feed(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    current = paginate(selectors.feed(user=_user(request)), page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_out(n) for n in current.object_list]}


@router.post(
    "",
    response={201: NoticeDetailOut, 401: Error, 403: Error, 422: Error},
    summary="新建通知草稿（发送对象按区域、行业、规模、商会、指定企业）",
)
def notice_create(request: HttpRequest, body: NoticeIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    notice = services.notice_create(actor=user, data=_data(body), audience=body.audience.dict())
    return 201, _detail(user, _notice(user, notice.pk))


@router.get(
    "/{notice_id}",
    response={200: NoticeDetailOut, 401: Error, 404: Error},
    summary="通知详情；企业授权用户打开即记为本企业已读（首位阅读人和时间）",
)
def notice_detail(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    services.notice_mark_read(actor=user, notice=notice)
    return _detail(user, notice)


@router.put(
    "/{notice_id}",
    response={200: NoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="修改通知草稿",
)
def notice_update(request: HttpRequest, notice_id: int, body: NoticeIn) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    services.notice_update(
        actor=user, notice_id=notice.pk, data=_data(body), audience=body.audience.dict()
    )
    return _detail(user, _notice(user, notice.pk))


@router.post(
    "/{notice_id}/publish",
    response={200: NoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="发布：为每家发送对象企业建立回执，并送达企业用户的站内消息",
)
def notice_publish(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    services.notice_publish(actor=user, notice_id=notice.pk)
    return _detail(user, _notice(user, notice.pk))


@router.post(
    "/{notice_id}/withdraw",
    response={200: NoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="撤回已发布的通知（须填写原因）",
)
def notice_withdraw(request: HttpRequest, notice_id: int, body: WithdrawIn) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    services.notice_withdraw(actor=user, notice_id=notice.pk, reason=body.reason)
    return _detail(user, _notice(user, notice.pk))


@router.post(
    "/{notice_id}/pin",
    response={200: NoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="置顶或取消置顶",
)
def notice_pin(request: HttpRequest, notice_id: int, body: PinIn) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    services.notice_pin(actor=user, notice_id=notice.pk, pinned=body.pinned)
    return _detail(user, _notice(user, notice.pk))


@router.post(
    "/{notice_id}/files",
    response={
        201: list[FileOut],
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        413: Error,
        422: Error,
    },
    summary="上传附件（multipart，字段 files；JPG、PNG、PDF、docx、xlsx，大小限制同诉求附件）",
)
def notice_files(
    request: HttpRequest,
    notice_id: int,
    files: File[list[UploadedFile]],
) -> tuple[int, list[dict[str, Any]]]:
    user = _user(request)
    notice = _notice(user, notice_id)
    saved = services.notice_attach(actor=user, notice_id=notice.pk, uploads=files)
    return 201, [
        {
            "id": f.pk,
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "url": f"/notices/files/{f.pk}/",
        }
        for f in saved
    ]


def _receipt(r: Receipt) -> dict[str, Any]:
    return {
        "enterprise_id": r.enterprise_id,
        "enterprise_name": r.enterprise.name,
        "grid": r.enterprise.grid.name,
        "first_read_at": r.first_read_at,
        "first_reader": str(r.first_reader or ""),
        "explained_at": r.explained_at,
        "explained_by": str(r.explained_by or ""),
        "explained_note": r.explained_note,
    }


@router.get(
    "/{notice_id}/receipts",
    response={200: ReceiptPage, 401: Error, 403: Error, 404: Error},
    summary="阅读回执：发布人和辖区工作人员看全部，管家只看本网格企业；status=unread/read/explained/unreached",
)
def receipt_list(
    request: HttpRequest, notice_id: int, status: str = "", q: str = "", page: int = 1
) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    if not may_read_receipts(user, notice):
        raise HttpError(403, "forbidden")
    qs = selectors.receipts_for(user=user, notice=notice, status=status, query=q)
    current = paginate(qs, page, 50)
    return {
        **page_fields_next(current, request),
        "items": [_receipt(r) for r in current.object_list],
    }


def _row(r: selectors.ReceiptRow) -> dict[str, Any]:
    return {
        "region": r.region,
        "total": r.total,
        "read": r.read,
        "unread": r.unread,
        "explained": r.explained,
        "reached": r.reached,
    }


@router.get(
    "/{notice_id}/receipts/summary",
    response={200: NoticeSummaryOut, 401: Error, 403: Error, 404: Error},
    summary="按乡镇街道统计已读、未读、当面解读和已触达企业数",
)
def receipt_summary(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    if not may_read_receipts(user, notice):
        raise HttpError(403, "forbidden")
    rows, total = selectors.receipt_summary(selectors.receipts_for(user=user, notice=notice))
    return {"rows": [_row(r) for r in rows], "total": _row(total)}


@router.post(
    "/{notice_id}/receipts/{enterprise_id}/explain",
    response={200: NoticeReceiptOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="管家登记已向本网格企业当面解读（须填写说明）",
)
def receipt_explain(
    request: HttpRequest, notice_id: int, enterprise_id: int, body: ExplainIn
) -> dict[str, Any]:
    user = _user(request)
    notice = _notice(user, notice_id)
    receipt = services.receipt_explain(
        actor=user, notice_id=notice.pk, enterprise_id=enterprise_id, note=body.note
    )
    receipt = Receipt.objects.select_related(
        "enterprise__grid", "first_reader", "explained_by"
    ).get(pk=receipt.pk)
    return _receipt(receipt)
