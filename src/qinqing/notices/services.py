"""Every write of notices: draft, publish (receipts, delivery), withdraw, pin, read, explain,
attachments. Each checks the actor, runs in one transaction and leaves an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.scopes import primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Audience, Region
from qinqing.directory.targeting import audience_create, audience_firms, audience_update

from .models import Kind, Notice, NoticeFile, Receipt, State
from .permissions import author_regions, may_explain, may_manage, reader_firm_ids

register("notice.create", gettext_lazy("新建通知"))
register("notice.update", gettext_lazy("修改通知"))
register("notice.publish", gettext_lazy("发布通知"))
register("notice.withdraw", gettext_lazy("撤回通知"))
register("notice.pin", gettext_lazy("置顶通知"))
register("notice.read", gettext_lazy("企业阅读通知"))
register("notice.explain", gettext_lazy("当面解读通知"))
register("notice.attach", gettext_lazy("上传通知附件"))
register("notice.export", gettext_lazy("导出阅读回执"))

MAX_FILES_PER_NOTICE = 10
RECEIPT_BATCH = 2000


@dataclass
class NoticeData:
    """What an author types: the fields of every kind (the ones of another kind are ignored)."""

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


def _audit(actor: Any, action: str, notice: Notice, **changes: Any) -> None:
    record(actor=actor, action=action, obj=notice, role=primary_role(actor), changes=changes)


def _clean(data: NoticeData) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if data.kind not in Kind.values:
        errors["kind"] = [_("请选择通知类别。")]
    title, body = data.title.strip(), data.body.strip()
    if not title:
        errors["title"] = [_("请填写标题。")]
    if not body:
        errors["body"] = [_("请填写正文。")]
    fields: dict[str, Any] = {
        "kind": data.kind,
        "title": title[:200],
        "body": body,
        "pinned": data.pinned,
        "expires_on": data.expires_on,
        "issuing_body": "",
        "document_number": "",
        "effective_on": None,
        "policy_expires_on": None,
        "event_starts_at": None,
        "event_place": "",
    }
    if data.kind == Kind.POLICY:
        if not data.issuing_body.strip():
            errors["issuing_body"] = [_("政策类通知请填写发文机关。")]
        if data.effective_on is None:
            errors["effective_on"] = [_("政策类通知请填写施行日期。")]
        if (
            data.effective_on
            and data.policy_expires_on
            and data.policy_expires_on < data.effective_on
        ):
            errors["policy_expires_on"] = [_("政策失效日期不能早于施行日期。")]
        fields.update(
            issuing_body=data.issuing_body.strip()[:120],
            document_number=data.document_number.strip()[:80],
            effective_on=data.effective_on,
            policy_expires_on=data.policy_expires_on,
        )
    if data.kind == Kind.EVENT:
        if data.event_starts_at is None:
            errors["event_starts_at"] = [_("活动类通知请填写活动时间。")]
        if not data.event_place.strip():
            errors["event_place"] = [_("活动类通知请填写活动地点。")]
        fields.update(
            event_starts_at=data.event_starts_at, event_place=data.event_place.strip()[:200]
        )
    if errors:
        raise ServiceError(_("通知内容有误，请检查。"), field_errors=errors)
    return fields


def _region_for(actor: Any, region: Region | None) -> Region:
    allowed = author_regions(actor)
    if not allowed:
        raise NotPermitted(_("您没有发布通知的权限。"))
    if region is None:
        return allowed[0]
    if not any(region.path.startswith(r.path) for r in allowed):
        raise NotPermitted(_("您不能以该区域的名义发布通知。"))
    return region


def _locked(notice_id: int) -> Notice:
    try:
        return Notice.objects.select_for_update().select_related("author_region").get(pk=notice_id)
    except Notice.DoesNotExist:
        raise ServiceError(_("通知不存在。")) from None


@transaction.atomic
def notice_create(
    *,
    actor: Any,
    data: NoticeData,
    audience: dict[str, Any],
    region: Region | None = None,
) -> Notice:
    """A draft notice for ``audience`` (``audience_create`` keyword arguments)."""
    author_region = _region_for(actor, region)
    errors: dict[str, list[str]] = {}
    try:
        fields = _clean(data)
    except ServiceError as exc:
        errors.update(exc.field_errors)
        fields = {}
    try:
        target = audience_create(actor=actor, **audience)
    except ServiceError as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ServiceError(_("通知内容有误，请检查。"), field_errors=errors)
    notice = Notice.objects.create(
        author=actor, author_region=author_region, audience=target, **fields
    )
    _audit(actor, "notice.create", notice, kind=notice.kind, title=notice.title)
    return notice


@transaction.atomic
def notice_update(
    *, actor: Any, notice_id: int, data: NoticeData, audience: dict[str, Any] | None = None
) -> Notice:
    """Edit a draft (content and audience)."""
    notice = _locked(notice_id)
    if not may_manage(actor, notice):
        raise NotPermitted(_("您不能修改这条通知。"))
    if notice.state != State.DRAFT:
        raise Conflict(_("通知已发布，不能再修改；如需更正请撤回后重新发布。"))
    errors: dict[str, list[str]] = {}
    try:
        fields = _clean(data)
    except ServiceError as exc:
        errors.update(exc.field_errors)
        fields = {}
    if audience is not None:
        try:
            audience_update(Audience.objects.get(pk=notice.audience_id), actor=actor, **audience)
        except ServiceError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ServiceError(_("通知内容有误，请检查。"), field_errors=errors)
    before = {k: getattr(notice, k) for k in fields}
    for key, value in fields.items():
        setattr(notice, key, value)
    notice.save()
    changed = {k: [str(before[k]), str(v)] for k, v in fields.items() if before[k] != v}
    _audit(actor, "notice.update", notice, **changed)
    return notice


@transaction.atomic
def notice_publish(*, actor: Any, notice_id: int) -> Notice:
    """Publish a draft: one receipt per addressed firm (bulk), delivery after commit."""
    notice = _locked(notice_id)
    if not may_manage(actor, notice):
        raise NotPermitted(_("您不能发布这条通知。"))
    if notice.state != State.DRAFT:
        raise Conflict(_("这条通知已发布或已撤回。"))
    firm_ids = list(
        audience_firms(Audience.objects.get(pk=notice.audience_id))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not firm_ids:
        raise ServiceError(
            _("发送对象中没有企业，请调整发送对象。"),
            field_errors={"regions": [_("发送对象中没有企业。")]},
        )
    Receipt.objects.bulk_create(
        [Receipt(notice=notice, enterprise_id=pk) for pk in firm_ids],
        batch_size=RECEIPT_BATCH,
        ignore_conflicts=True,
    )
    notice.state = State.PUBLISHED
    notice.published_at = timezone.now()
    notice.recipients = len(firm_ids)
    notice.save(update_fields=["state", "published_at", "recipients", "updated_at"])
    _audit(actor, "notice.publish", notice, recipients=len(firm_ids))
    from .tasks import deliver_notice

    pk = notice.pk
    transaction.on_commit(lambda: deliver_notice.enqueue(pk))
    return notice


@transaction.atomic
def notice_withdraw(*, actor: Any, notice_id: int, reason: str) -> Notice:
    notice = _locked(notice_id)
    if not may_manage(actor, notice):
        raise NotPermitted(_("您不能撤回这条通知。"))
    if notice.state != State.PUBLISHED:
        raise Conflict(_("只有已发布的通知可以撤回。"))
    reason = reason.strip()
    if not reason:
        message = _("请填写撤回原因。")
        raise ServiceError(message, field_errors={"reason": [message]})
    notice.state = State.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.withdraw_reason = reason[:300]
    notice.save(update_fields=["state", "withdrawn_at", "withdraw_reason", "updated_at"])
    _audit(actor, "notice.withdraw", notice, reason=notice.withdraw_reason)
    return notice


@transaction.atomic
def notice_pin(*, actor: Any, notice_id: int, pinned: bool) -> Notice:
    notice = _locked(notice_id)
    if not may_manage(actor, notice):
        raise NotPermitted(_("您不能置顶这条通知。"))
    if notice.state == State.WITHDRAWN:
        raise Conflict(_("已撤回的通知不能置顶。"))
    if notice.pinned != pinned:
        notice.pinned = pinned
        notice.save(update_fields=["pinned", "updated_at"])
        _audit(actor, "notice.pin", notice, pinned=pinned)
    return notice


@transaction.atomic
def notice_mark_read(*, actor: Any, notice: Notice) -> int:
    """The firm's user opened ``notice`` (already looked up in their scope): the firm's receipt
    records its first reader and time. Idempotent; returns how many receipts changed."""
    firms = reader_firm_ids(actor)
    if not firms or notice.state != State.PUBLISHED:
        return 0
    now = timezone.now()
    changed = Receipt.objects.filter(
        notice=notice, enterprise_id__in=firms, first_read_at__isnull=True
    ).update(first_read_at=now, first_reader=actor)
    if changed:
        _audit(actor, "notice.read", notice, firms=firms)
    return changed


@transaction.atomic
def receipt_explain(*, actor: Any, notice_id: int, enterprise_id: int, note: str) -> Receipt:
    """A steward explained the notice to the firm in person (当面解读), with a note."""
    try:
        receipt = (
            Receipt.objects.select_for_update()
            .select_related("enterprise__grid", "notice")
            .get(notice_id=notice_id, enterprise_id=enterprise_id)
        )
    except Receipt.DoesNotExist:
        raise ServiceError(_("这家企业不在该通知的发送对象中。")) from None
    if not may_explain(actor, receipt.enterprise):
        raise NotPermitted(_("只有企业所在网格的管家可以登记当面解读。"))
    if receipt.notice.state != State.PUBLISHED:
        raise Conflict(_("通知已撤回，不能登记当面解读。"))
    note = note.strip()
    if not note:
        message = _("请填写解读说明（如时间、地点、对象）。")
        raise ServiceError(message, field_errors={"note": [message]})
    if receipt.explained_at is not None:
        raise Conflict(_("已登记过当面解读。"))
    receipt.explained_at = timezone.now()
    receipt.explained_by = actor
    receipt.explained_note = note[:500]
    receipt.save(update_fields=["explained_at", "explained_by", "explained_note"])
    _audit(
        actor,
        "notice.explain",
        receipt.notice,
        enterprise=receipt.enterprise_id,
        enterprise_name=receipt.enterprise.name,
        note=receipt.explained_note,
    )
    return receipt


@transaction.atomic
def notice_attach(
    *, actor: Any, notice_id: int, uploads: Sequence[UploadedFile]
) -> list[NoticeFile]:
    """Attach files (types and sizes as for demands' attachments): all or none."""
    from qinqing.demands.attachments import check_each

    notice = _locked(notice_id)
    if not may_manage(actor, notice):
        raise NotPermitted(_("您不能为这条通知上传附件。"))
    if notice.state == State.WITHDRAWN:
        raise Conflict(_("已撤回的通知不能上传附件。"))
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        message = _("请选择要上传的文件。")
        raise ServiceError(message, field_errors={"attachments": [message]})
    already = notice.files.count()
    if already + len(uploads) > MAX_FILES_PER_NOTICE:
        message = _("每条通知最多%(n)d个附件。") % {"n": MAX_FILES_PER_NOTICE}
        raise ServiceError(message, field_errors={"attachments": [message]})
    checked = check_each(uploads, field="attachments")
    saved: list[NoticeFile] = []
    try:
        for upload, name, ext, kind in checked:
            item = NoticeFile(
                notice=notice,
                name=name,
                size=upload.size or 0,
                content_type=kind.content_type,
                uploaded_by=actor,
            )
            item.file.save(f"{uuid4().hex}{ext}", upload, save=False)
            saved.append(item)
            item.save()
            _audit(actor, "notice.attach", notice, file=item.pk, name=name, size=item.size)
    except BaseException:
        for item in saved:
            item.file.delete(save=False)
        raise
    return saved


def receipts_exported(*, actor: Any, notice: Notice, rows: int) -> None:
    with transaction.atomic():
        _audit(actor, "notice.export", notice, rows=rows)
