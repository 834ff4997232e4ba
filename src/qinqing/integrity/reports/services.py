"""Every write about reports: submission, follow-up by receipt, replies, workflow, assignment
with re-sharing of keys, the audited opening of an identity, recovery, deadline sweeps and
routine integrity information.

Anonymous steps are audited with no actor and no client address (``with_client=False``):
the audit log must not link a report to a person or a machine either.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from nacl.public import PrivateKey

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.accounts.scopes import has_role, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import deadline_after
from qinqing.directory.models import Enterprise, Region

from . import conf, crypto, files
from .keyring import Unlocked
from .models import (
    Assignment,
    Category,
    Channel,
    Event,
    File,
    IntegrityNote,
    KeyShare,
    Message,
    RecoveryKey,
    Report,
    ReportCounter,
    Responsible,
    SupervisorKey,
)
from .workflow import (
    ASSIGNABLE,
    CONCLUSION_CLOCK,
    TRANSITIONS,
    TRIAGE_CLOCK,
    Action,
    Outcome,
    State,
    is_assignee,
    is_supervisor_of_region,
)

for _action, _label in [
    ("report.submit", gettext_lazy("收到举报")),
    ("report.follow_up", gettext_lazy("举报人补充信息")),
    ("report.open", gettext_lazy("查阅举报内容")),
    ("report.reply", gettext_lazy("答复举报人")),
    ("report.note", gettext_lazy("举报内部备注")),
    ("report.triage", gettext_lazy("开始初核")),
    ("report.start", gettext_lazy("开始调查")),
    ("report.conclude", gettext_lazy("作出调查结论")),
    ("report.responsible", gettext_lazy("认定举报涉及的责任人")),
    ("report.reopen", gettext_lazy("退回补充调查")),
    ("report.close", gettext_lazy("复核办结举报")),
    ("report.assign", gettext_lazy("分派举报")),
    ("report.unassign", gettext_lazy("取消分派举报")),
    ("report.recuse", gettext_lazy("利益冲突回避")),
    ("report.identity_open", gettext_lazy("查看举报人身份")),
    ("report.file_download", gettext_lazy("下载举报附件")),
    ("report.recover", gettext_lazy("以恢复密钥重新授权")),
    ("report.recovery_key", gettext_lazy("安装恢复公钥")),
    ("report.overdue", gettext_lazy("举报逾期")),
    ("report.export", gettext_lazy("导出举报统计")),
    ("integrity_note.submit", gettext_lazy("提交廉情信息")),
]:
    register(_action, _label)


@dataclass
class Content:
    title: str
    body: str
    accused_people: str = ""
    accused_firms: str = ""

    def dumps(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False).encode()

    @classmethod
    def loads(cls, raw: bytes) -> Content:
        data = json.loads(raw)
        return cls(
            **{
                k: str(data.get(k, ""))
                for k in ("title", "body", "accused_people", "accused_firms")
            }
        )


@dataclass
class Identity:
    name: str
    phone: str = ""
    email: str = ""
    unit: str = ""

    def dumps(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False).encode()

    @classmethod
    def loads(cls, raw: bytes) -> Identity:
        data = json.loads(raw)
        return cls(**{k: str(data.get(k, "")) for k in ("name", "phone", "email", "unit")})


@dataclass
class OpenedMessage:
    id: int
    author: str
    supervisor: str
    internal: bool
    body: str
    created_at: datetime
    files: list[OpenedFile] = field(default_factory=list)


@dataclass
class OpenedFile:
    id: int
    name: str
    content_type: str
    size: int


@dataclass
class Opened:
    """A report opened with its data key: what the reader may see."""

    report: Report
    content: Content
    messages: list[OpenedMessage]
    #: the files sent with the report itself (those of later messages sit on the messages)
    files: list[OpenedFile] = field(default_factory=list)


def _audit(actor: Any, action: str, report: Report, **changes: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=report,
        role=primary_role(actor) if actor else "",
        changes=changes,
        with_client=actor is not None,
    )


def _event(report: Report, action: str, actor: Any, before: str = "", after: str = "") -> None:
    Event.objects.create(
        report=report, action=action, actor=actor, from_state=before, to_state=after
    )


def _next_number(year: int) -> str:
    counter, _created = ReportCounter.objects.select_for_update().get_or_create(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"JB-{year}-{counter.last:06d}"


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def intake_keys(region_path: str) -> list[SupervisorKey]:
    """The active keys of the supervisors whose region covers ``region_path``: they triage."""
    users = RoleAssignment.objects.filter(
        role=Role.SUPERVISOR, region__path__in=_prefixes(region_path)
    ).values("user_id")
    return list(SupervisorKey.objects.filter(user_id__in=users, active=True, user__is_active=True))


def recovery_key() -> RecoveryKey | None:
    return RecoveryKey.objects.filter(active=True).first()


def _seal_to(report: Report, purpose: str, data_key: bytes, key: SupervisorKey) -> None:
    KeyShare.objects.get_or_create(
        report=report,
        purpose=purpose,
        supervisor_key=key,
        defaults={
            "holder": KeyShare.Holder.SUPERVISOR,
            "sealed": crypto.seal(bytes(key.public_key), data_key),
        },
    )


def _validate_text(value: str, name: str, label: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(
            _("请填写%(label)s。") % {"label": label}, field_errors={name: [_("必填。")]}
        )
    if len(value) > limit:
        message = _("%(label)s不能超过 %(n)s 字。") % {"label": label, "n": limit}
        raise ServiceError(message, field_errors={name: [message]})
    return value


# --- submission ----------------------------------------------------------------------------
@transaction.atomic
def report_submit(
    *,
    actor: Any = None,
    region: Region,
    category: str,
    title: str,
    body: str,
    accused_people: str = "",
    accused_firms: str = "",
    identity: Identity | None = None,
    protect_firm: Enterprise | None = None,
    uploads: Sequence[UploadedFile] = (),
    channel: str = Channel.ONLINE,
    with_receipt: bool = True,
    now: datetime | None = None,
) -> tuple[Report, str]:
    """File a report; returns it and its receipt (shown once, '' without one).

    ``actor`` is used only to check who may record a letter or a call (a supervisor); the
    report itself never records who submitted it.
    """
    if category not in Category.values:
        raise ServiceError(_("请选择举报类别。"), field_errors={"category": [_("必选。")]})
    if channel not in Channel.values:
        raise ServiceError(_("未知渠道。"))
    if channel != Channel.ONLINE and not has_role(actor, Role.SUPERVISOR):
        raise NotPermitted(_("只有监督员可以登记来信、来电、来访举报。"))
    content = Content(
        title=_validate_text(title, "title", _("标题"), 120, required=True),
        body=_validate_text(body, "body", _("举报内容"), 10000, required=True),
        accused_people=_validate_text(
            accused_people, "accused_people", _("被举报人"), 500, required=False
        ),
        accused_firms=_validate_text(
            accused_firms, "accused_firms", _("涉及企业"), 500, required=False
        ),
    )
    if identity is not None:
        identity.name = _validate_text(identity.name, "name", _("姓名"), 64, required=True)
        identity.phone = _validate_text(identity.phone, "phone", _("联系电话"), 32, required=False)
        identity.email = _validate_text(identity.email, "email", _("电子邮箱"), 128, required=False)
        identity.unit = _validate_text(identity.unit, "unit", _("工作单位"), 128, required=False)
    if protect_firm is not None and identity is None:
        raise ServiceError(
            _("只有实名举报才能申请对企业的打击报复监测。"),
            field_errors={"protect_firm": [_("匿名举报不能关联企业。")]},
        )
    checked = files.check_all(uploads)
    moment = now or timezone.now()
    data_key, identity_key = crypto.new_data_key(), crypto.new_data_key()
    report = Report(
        number=_next_number(timezone.localtime(moment).year),
        category=category,
        channel=channel,
        region=region,
        region_path=region.path,
        named=identity is not None,
        protected_firm=protect_firm,
        content=crypto.encrypt(data_key, content.dumps()),
        identity=crypto.encrypt(identity_key, identity.dumps()) if identity else None,
        received_at=moment,
        triage_due_at=deadline_after(moment, conf.get("REPORTS_TRIAGE_DAYS")),
        conclusion_due_at=deadline_after(moment, conf.get("REPORTS_CONCLUSION_DAYS")),
        file_count=len(checked),
    )
    receipt = ""
    if with_receipt:
        receipt = crypto.new_receipt()
        cost = crypto.Cost.current()
        salt = crypto.new_salt()
        report.receipt_lookup = crypto.receipt_lookup(receipt, cost)
        report.receipt_salt = salt
        report.receipt_wrapped_key = crypto.encrypt(crypto.derive(receipt, salt, cost), data_key)
        report.receipt_kdf_ops, report.receipt_kdf_mem = cost.ops, cost.mem
    report.save()
    for key in intake_keys(region.path):
        _seal_to(report, KeyShare.Purpose.CONTENT, data_key, key)
        if identity is not None:
            _seal_to(report, KeyShare.Purpose.IDENTITY, identity_key, key)
    recovery = recovery_key()
    if recovery is not None:
        for purpose, secret in [("content", data_key), ("identity", identity_key)]:
            if purpose == "identity" and identity is None:
                continue
            KeyShare.objects.create(
                report=report,
                purpose=purpose,
                holder=KeyShare.Holder.RECOVERY,
                recovery_key=recovery,
                sealed=crypto.seal(bytes(recovery.public_key), secret),
            )
    files.store(report, None, checked, data_key)
    _event(report, "submit", None, "", State.NEW)
    record(
        actor=None,
        action="report.submit",
        obj=report,
        changes={"category": category, "region": region.code, "named": report.named},
        with_client=False,
    )
    return report, receipt


# --- the receipt holder --------------------------------------------------------------------
def _report_by_receipt(receipt: str) -> tuple[Report, bytes] | None:
    """The report and its data key for a receipt, or None (costs the same either way)."""
    receipt = crypto.normalise_receipt(receipt)
    cost = crypto.Cost.current()
    lookup = crypto.receipt_lookup(receipt or "0" * crypto.RECEIPT_DIGITS, cost)
    report = Report.objects.filter(receipt_lookup=lookup).first() if receipt else None
    if report is None or not crypto.digests_equal(report.receipt_lookup or "", lookup):
        return None
    own = crypto.Cost(report.receipt_kdf_ops, report.receipt_kdf_mem)
    try:
        unwrap = crypto.derive(receipt, bytes(report.receipt_salt or b""), own)
        data_key = crypto.decrypt(unwrap, bytes(report.receipt_wrapped_key or b""))
    except crypto.CannotOpen:
        return None
    return report, data_key


def _open_messages(report: Report, data_key: bytes, *, internal: bool) -> list[OpenedMessage]:
    rows = report.messages.select_related("supervisor").prefetch_related("files")
    if not internal:
        rows = rows.filter(internal=False)
    opened = []
    for m in rows:
        opened.append(
            OpenedMessage(
                id=m.pk,
                author=m.author,
                supervisor=(m.supervisor.display_name or m.supervisor.username)
                if (m.supervisor and internal)
                else "",
                internal=m.internal,
                body=crypto.decrypt(data_key, bytes(m.body)).decode(),
                created_at=m.created_at,
                files=[files.describe(f, data_key) for f in m.files.all()],
            )
        )
    return opened


def _open_report_files(report: Report, data_key: bytes) -> list[OpenedFile]:
    rows = File.objects.filter(report=report, message__isnull=True).order_by("pk")
    return [files.describe(f, data_key) for f in rows]


def read_by_receipt(*, receipt: str) -> Opened | None:
    """What the receipt holder sees: their report, replies and their own additions."""
    found = _report_by_receipt(receipt)
    if found is None:
        return None
    report, data_key = found
    content = Content.loads(crypto.decrypt(data_key, bytes(report.content)))
    return Opened(
        report,
        content,
        _open_messages(report, data_key, internal=False),
        _open_report_files(report, data_key),
    )


@transaction.atomic
def report_follow_up(*, receipt: str, body: str, uploads: Sequence[UploadedFile] = ()) -> Report:
    found = _report_by_receipt(receipt)
    if found is None:
        raise NotPermitted(_("回执码无效。"))
    report, data_key = found
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state == State.CLOSED:
        raise Conflict(_("该举报已办结，不能再补充信息。"))
    text = _validate_text(body, "body", _("补充内容"), 10000, required=True)
    checked = files.check_all(uploads)
    message = Message.objects.create(
        report=report, author=Message.Author.REPORTER, body=crypto.encrypt(data_key, text.encode())
    )
    files.store(report, message, checked, data_key)
    Report.objects.filter(pk=report.pk).update(
        message_count=F("message_count") + 1, file_count=F("file_count") + len(checked)
    )
    _event(report, "follow_up", None)
    record(actor=None, action="report.follow_up", obj=report, with_client=False)
    return report


# --- supervisors ---------------------------------------------------------------------------
def _data_key(report: Report, key: Unlocked | None, purpose: str = "content") -> bytes:
    """Open a report's data key with a supervisor's unlocked key, or raise NotPermitted."""
    share = None
    if key is not None:
        share = KeyShare.objects.filter(
            report=report, purpose=purpose, supervisor_key_id=key.key_id
        ).first()
    if share is None:
        raise NotPermitted(_("您没有该举报的解密授权。"))
    try:
        return crypto.unseal(key.private, bytes(share.sealed))  # type: ignore[union-attr]
    except crypto.CannotOpen as exc:
        raise NotPermitted(_("您的密钥无法打开该举报。")) from exc


def _check_key(actor: Any, key: Unlocked | None) -> None:
    if key is not None and key.user_id != actor.pk:
        raise NotPermitted(_("密钥与当前用户不符。"))


def can_open(*, actor: Any, report: Report, key: Unlocked | None) -> bool:
    return (
        key is not None
        and key.user_id == actor.pk
        and is_supervisor_of_region(actor, report)
        and KeyShare.objects.filter(
            report=report, purpose="content", supervisor_key_id=key.key_id
        ).exists()
    )


@transaction.atomic
def report_open(*, actor: Any, report: Report, key: Unlocked | None) -> Opened:
    """Decrypt a report for an authorised supervisor; every opening is an audit entry."""
    _check_key(actor, key)
    if not is_supervisor_of_region(actor, report):
        raise NotPermitted(_("您没有查看该举报的权限。"))
    data_key = _data_key(report, key)
    content = Content.loads(crypto.decrypt(data_key, bytes(report.content)))
    _audit(actor, "report.open", report)
    return Opened(
        report,
        content,
        _open_messages(report, data_key, internal=True),
        _open_report_files(report, data_key),
    )


def file_open(
    *, actor: Any, report: Report, key: Unlocked | None, file_id: int
) -> tuple[str, str, bytes]:
    _check_key(actor, key)
    if not is_supervisor_of_region(actor, report):
        raise NotPermitted(_("您没有查看该举报的权限。"))
    data_key = _data_key(report, key)
    row = File.objects.filter(report=report, pk=file_id).first()
    if row is None:
        raise ServiceError(_("找不到该附件。"))
    with transaction.atomic():
        _audit(actor, "report.file_download", report, file=row.pk)
    return files.open_file(row, data_key)


def receipt_file_open(*, receipt: str, file_id: int) -> tuple[str, str, bytes] | None:
    found = _report_by_receipt(receipt)
    if found is None:
        return None
    report, data_key = found
    row = (
        File.objects.filter(report=report, pk=file_id).filter(message__internal=False).first()
        or File.objects.filter(report=report, pk=file_id, message__isnull=True).first()
    )
    return files.open_file(row, data_key) if row else None


@transaction.atomic
def report_reply(
    *, actor: Any, report_id: int, key: Unlocked | None, body: str, internal: bool = False
) -> Message:
    """A reply the receipt holder will read, or an internal note (assignees, or the intake
    supervisors while the report is in triage)."""
    _check_key(actor, key)
    report = Report.objects.select_for_update().get(pk=report_id)
    if not is_supervisor_of_region(actor, report):
        raise NotPermitted(_("您没有处理该举报的权限。"))
    data_key = _data_key(report, key)
    text = _validate_text(body, "body", _("答复内容"), 10000, required=True)
    message = Message.objects.create(
        report=report,
        author=Message.Author.SUPERVISOR,
        supervisor=actor,
        internal=internal,
        body=crypto.encrypt(data_key, text.encode()),
    )
    Report.objects.filter(pk=report.pk).update(message_count=F("message_count") + 1)
    _event(report, "note" if internal else "reply", actor)
    _audit(actor, "report.note" if internal else "report.reply", report)
    return message


@transaction.atomic
def report_act(
    *,
    actor: Any,
    report_id: int,
    action: str,
    version: int,
    outcome: str = "",
    serious: bool = False,
    responsible_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> Report:
    """Move a report one step. Concluding "substantiated" may record which platform users
    were found responsible (``responsible_ids``, among ``selectors.responsible_candidates``
    of the actor): clear metadata the exemption checks read, audited on its own
    (``report.responsible``); sending the finding back removes it."""
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.version != version:
        raise Conflict(_("该举报已被他人处理，请刷新后重试。"))
    target, allowed = TRANSITIONS.get((report.state, action), (None, None))
    if target is None or allowed is None:
        raise Conflict(_("当前状态下不能执行该操作。"))
    if not allowed(actor, report):
        if action == Action.CLOSE and actor.pk == report.concluded_by_id:
            raise NotPermitted(_("办结须由作出结论者以外的另一名监督员复核。"))
        raise NotPermitted(_("您没有执行此操作的权限。"))
    moment = now or timezone.now()
    before = report.state
    changes: dict[str, Any] = {"from": before, "to": target}
    responsible: list[User] = []
    if action == Action.CONCLUDE:
        if outcome not in Outcome.values:
            raise ServiceError(_("请选择调查结论。"), field_errors={"outcome": [_("必选。")]})
        if serious and outcome != Outcome.SUBSTANTIATED:
            raise ServiceError(
                _("只有属实的举报才能标记为情节严重。"),
                field_errors={"serious": [_("结论不属实时不能选。")]},
            )
        responsible = _responsible(actor, outcome, responsible_ids)
        report.outcome, report.serious = outcome, serious
        report.concluded_at, report.concluded_by = moment, actor
        changes.update(outcome=outcome, serious=serious)
    elif responsible_ids:
        raise ServiceError(
            _("只有作出“属实”结论时才能认定责任人。"),
            field_errors={"responsible": [_("只有作出“属实”结论时才能认定责任人。")]},
        )
    elif action == Action.REOPEN:
        report.outcome, report.serious = "", False
        report.concluded_at, report.concluded_by = None, None
        cleared = list(report.responsible_links.values_list("user_id", flat=True))
        if cleared:
            report.responsible_links.all().delete()
            changes["responsible_cleared"] = cleared
    elif action == Action.CLOSE:
        report.closed_at, report.closed_by = moment, actor
    report.state, report.version = target, report.version + 1
    report.overdue = _is_overdue(report, moment)
    report.save()
    _event(report, action, actor, before, target)
    _audit(actor, f"report.{action}", report, **changes)
    if action == Action.CONCLUDE and responsible:
        Responsible.objects.bulk_create(
            Responsible(report=report, user=u, recorded_by=actor, recorded_at=moment)
            for u in responsible
        )
        _event(report, "responsible", actor)
        _audit(
            actor,
            "report.responsible",
            report,
            users=[u.pk for u in responsible],
            names=[u.display_name or u.username for u in responsible],
        )
    return report


def _responsible(actor: Any, outcome: str, ids: Sequence[int]) -> list[User]:
    """The users to record as found responsible: only with "substantiated", each one among
    the actor's candidates (an id from elsewhere is refused, never trusted)."""
    from .selectors import responsible_candidates

    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    if outcome != Outcome.SUBSTANTIATED:
        message = _("只有作出“属实”结论时才能认定责任人。")
        raise ServiceError(message, field_errors={"responsible": [message]})
    users = list(responsible_candidates(actor).filter(pk__in=wanted))
    if len(users) != len(wanted):
        message = _("只能认定您辖区内的干部、办理人员、管家或协调员为责任人。")
        raise ServiceError(message, field_errors={"responsible": [message]})
    return users


# --- assignment and re-sharing -------------------------------------------------------------
def _conflicts_of(
    investigator: Any, report: Report, *, content: Content | None = None
) -> list[str]:
    """Conflict paths between the investigator and the people and firms reported, described.

    Uses ``qinqing.integrity.relations.selectors.find_conflicts``; until that app provides
    it, there is nothing to check and the list is empty.
    """
    try:
        relations = importlib.import_module("qinqing.integrity.relations.selectors")
    except ImportError:
        return []
    find = getattr(relations, "find_conflicts", None)
    if find is None:
        return []
    enterprise_ids: list[int] = []
    user_ids: list[int] = []
    if content is not None:
        tokens = [t for t in _split(content.accused_firms)]
        if tokens:
            enterprise_ids = list(
                Enterprise.objects.filter(uscc__in=[t.upper() for t in tokens]).values_list(
                    "pk", flat=True
                )
            ) + list(Enterprise.objects.filter(name__in=tokens).values_list("pk", flat=True))
        people = _split(content.accused_people)
        if people:
            user_ids = list(
                User.objects.filter(display_name__in=people).values_list("pk", flat=True)
            )
    if not enterprise_ids and not user_ids:
        return []
    paths = find(user=investigator, enterprise_ids=tuple(enterprise_ids), user_ids=tuple(user_ids))
    return [p.describe() for p in paths]


def _split(text: str) -> list[str]:
    for sep in "，,、;；\n":
        text = text.replace(sep, " ")
    return [t for t in (s.strip() for s in text.split(" ")) if t]


def assignable_supervisors(report: Report) -> list[User]:
    users = RoleAssignment.objects.filter(
        role=Role.SUPERVISOR, region__path__in=_prefixes(report.region_path)
    ).values("user_id")
    return list(User.objects.filter(pk__in=users, is_active=True).order_by("display_name", "pk"))


class Recusal(Conflict):
    """The investigator is linked to the people or firms reported."""

    def __init__(self, message: str, *, paths: list[str]) -> None:
        super().__init__(message, field_errors={"supervisor": paths})
        self.paths = paths


def report_assign(*, actor: Any, report_id: int, supervisor: User, key: Unlocked | None) -> Report:
    """Assign a supervisor: check conflicts, seal the data keys to their key. The first
    assignment ends triage and withdraws the intake copies of everyone not assigned.
    A refused assignment for a conflict is still audited (with the paths)."""
    try:
        return _assign(actor=actor, report_id=report_id, supervisor=supervisor, key=key)
    except Recusal as exc:
        with transaction.atomic():
            report = Report.objects.get(pk=report_id)
            _audit(actor, "report.recuse", report, supervisor=supervisor.pk, paths=exc.paths)
        raise


@transaction.atomic
def _assign(*, actor: Any, report_id: int, supervisor: User, key: Unlocked | None) -> Report:
    _check_key(actor, key)
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.state not in ASSIGNABLE:
        raise Conflict(_("当前状态下不能分派。"))
    if not is_supervisor_of_region(actor, report):
        raise NotPermitted(_("您没有分派该举报的权限。"))
    if report.state != State.TRIAGE and not is_assignee(actor, report):
        raise NotPermitted(_("调查开始后只有承办人可以调整分派。"))
    if not has_role(supervisor, Role.SUPERVISOR) or not is_supervisor_of_region(supervisor, report):
        raise ServiceError(
            _("只能分派给辖区覆盖该举报的监督员。"),
            field_errors={"supervisor": [_("不在辖区内。")]},
        )
    if Assignment.objects.filter(report=report, supervisor=supervisor).exists():
        raise Conflict(_("该监督员已是承办人。"))
    target_key = SupervisorKey.objects.filter(user=supervisor, active=True).first()
    if target_key is None:
        raise ServiceError(
            _("该监督员尚未生成举报密钥（需先登录一次），暂不能分派。"),
            field_errors={"supervisor": [_("尚无密钥。")]},
        )
    data_key = _data_key(report, key)
    content = Content.loads(crypto.decrypt(data_key, bytes(report.content)))
    paths = _conflicts_of(supervisor, report, content=content)
    if paths:
        raise Recusal(
            _("存在利益冲突，该监督员须回避：%(paths)s") % {"paths": "；".join(paths)}, paths=paths
        )
    _seal_to(report, KeyShare.Purpose.CONTENT, data_key, target_key)
    if report.named:
        try:
            identity_key = _data_key(report, key, "identity")
        except NotPermitted:
            identity_key = None
        if identity_key is not None:
            _seal_to(report, KeyShare.Purpose.IDENTITY, identity_key, target_key)
    Assignment.objects.create(report=report, supervisor=supervisor, assigned_by=actor)
    before = report.state
    if report.state == State.TRIAGE:
        report.state = State.ASSIGNED
        assignees = Assignment.objects.filter(report=report).values("supervisor_id")
        KeyShare.objects.filter(report=report, holder=KeyShare.Holder.SUPERVISOR).exclude(
            supervisor_key__user_id__in=assignees
        ).delete()
    report.version += 1
    report.save(update_fields=["state", "version"])
    _event(report, "assign", actor, before, report.state)
    _audit(actor, "report.assign", report, supervisor=supervisor.pk, to=report.state)
    return report


@transaction.atomic
def report_unassign(*, actor: Any, report_id: int, supervisor: User) -> Report:
    """Remove an assignee and every sealed copy of the report's keys they held."""
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.state not in ASSIGNABLE or not is_assignee(actor, report):
        raise NotPermitted(_("只有承办人可以调整分派。"))
    assignment = Assignment.objects.filter(report=report, supervisor=supervisor).first()
    if assignment is None:
        raise ServiceError(_("该监督员不是承办人。"))
    if Assignment.objects.filter(report=report).count() == 1:
        raise Conflict(_("至少保留一名承办人；请先分派新的承办人。"))
    assignment.delete()
    KeyShare.objects.filter(report=report, supervisor_key__user=supervisor).delete()
    report.version += 1
    report.save(update_fields=["version"])
    _event(report, "unassign", actor)
    _audit(actor, "report.unassign", report, supervisor=supervisor.pk)
    return report


@transaction.atomic
def identity_open(*, actor: Any, report_id: int, key: Unlocked | None, reason: str) -> Identity:
    """A named reporter's identity, for an assignee who gives a reason; audited."""
    _check_key(actor, key)
    report = Report.objects.get(pk=report_id)
    if not report.named or report.identity is None:
        raise ServiceError(_("该举报为匿名举报。"))
    if not is_assignee(actor, report):
        raise NotPermitted(_("只有承办人可以查看举报人身份。"))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError(
            _("请说明查看举报人身份的理由（至少 5 个字）。"),
            field_errors={"reason": [_("请说明理由。")]},
        )
    identity_key = _data_key(report, key, "identity")
    identity = Identity.loads(crypto.decrypt(identity_key, bytes(report.identity)))
    _audit(actor, "report.identity_open", report, reason=reason[:500])
    return identity


# --- recovery ------------------------------------------------------------------------------
@transaction.atomic
def recovery_key_install(*, actor: Any, public_key: bytes) -> RecoveryKey:
    if actor is not None and not has_role(actor, Role.SECURITY_ADMIN):
        raise NotPermitted(_("只有安全管理员可以安装恢复公钥。"))
    RecoveryKey.objects.filter(active=True).update(active=False)
    fingerprint = crypto.hashlib.sha256(public_key).hexdigest()[:16]
    key = RecoveryKey.objects.create(public_key=public_key, fingerprint=fingerprint)
    record(actor=actor, action="report.recovery_key", obj=key, changes={"fingerprint": fingerprint})
    return key


@transaction.atomic
def recover(
    *,
    actor: Any,
    recovery_private: PrivateKey,
    supervisor: User,
    reports: Iterable[Report],
    reason: str,
) -> int:
    """Re-share reports to ``supervisor``'s active key with the recovery private key.

    Only reports the supervisor is assigned to (or may triage) are re-shared. Returns how
    many; each is an audit entry with the reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明恢复的理由。"))
    target = SupervisorKey.objects.filter(user=supervisor, active=True).first()
    if target is None:
        raise ServiceError(_("该监督员尚无举报密钥：请其先登录一次。"))
    public = bytes(recovery_private.public_key)
    done = 0
    for report in reports:
        allowed = Assignment.objects.filter(report=report, supervisor=supervisor).exists() or (
            report.state in TRIAGE_CLOCK and is_supervisor_of_region(supervisor, report)
        )
        if not allowed:
            continue
        shares = KeyShare.objects.filter(
            report=report, holder=KeyShare.Holder.RECOVERY
        ).select_related("recovery_key")
        opened = 0
        for share in shares:
            if bytes(share.recovery_key.public_key) != public:  # type: ignore[union-attr]
                continue
            data_key = crypto.unseal(recovery_private, bytes(share.sealed))
            _seal_to(report, share.purpose, data_key, target)
            opened += 1
        if opened:
            done += 1
            _event(report, "recover", actor)
            record(
                actor=actor,
                action="report.recover",
                obj=report,
                changes={"supervisor": supervisor.pk, "reason": reason[:500]},
            )
    return done


# --- deadlines -----------------------------------------------------------------------------
def _is_overdue(report: Report, now: datetime) -> bool:
    return (report.state in TRIAGE_CLOCK and report.triage_due_at < now) or (
        report.state in CONCLUSION_CLOCK and report.conclusion_due_at < now
    )


@transaction.atomic
def sweep_deadlines(*, now: datetime | None = None) -> int:
    """Flag overdue reports (the periodic job); returns how many became overdue."""
    moment = now or timezone.now()
    late = Report.objects.filter(overdue=False).filter(_overdue_q(moment))
    flagged = 0
    for report in late.select_for_update():
        report.overdue = True
        report.save(update_fields=["overdue"])
        record(actor=None, action="report.overdue", obj=report, with_client=False)
        flagged += 1
    return flagged


def _overdue_q(moment: datetime) -> Q:
    return Q(state__in=TRIAGE_CLOCK, triage_due_at__lt=moment) | Q(
        state__in=CONCLUSION_CLOCK, conclusion_due_at__lt=moment
    )


# --- routine integrity information ---------------------------------------------------------
@transaction.atomic
def note_submit(
    *,
    actor: Any,
    enterprise: Enterprise | None,
    region: Region | None,
    tone: str,
    subject: str,
    body: str,
) -> IntegrityNote:
    """An observer or a firm user sends routine integrity information (not an accusation)."""
    if not has_role(actor, Role.OBSERVER, Role.ENTERPRISE):
        raise NotPermitted(_("只有亲清观察员和企业用户可以提交廉情信息。"))
    if tone not in IntegrityNote.Tone.values:
        raise ServiceError(_("请选择性质。"), field_errors={"tone": [_("必选。")]})
    if enterprise is not None and not any(
        a.enterprise_id == enterprise.pk
        for a in actor.role_assignments.all()
        if a.role in (Role.OBSERVER, Role.ENTERPRISE)
    ):
        raise NotPermitted(_("只能以本人所属企业的名义提交。"))
    place = region or (enterprise.grid if enterprise else None)
    if place is None:
        raise ServiceError(_("请选择所在区域。"), field_errors={"region": [_("必选。")]})
    note = IntegrityNote.objects.create(
        author=actor,
        enterprise=enterprise,
        region=place,
        region_path=place.path,
        tone=tone,
        subject=_validate_text(subject, "subject", _("事项"), 120, required=True),
        body=_validate_text(body, "body", _("内容"), 2000, required=True),
    )
    record(actor=actor, action="integrity_note.submit", obj=note, role=primary_role(actor))
    return note
