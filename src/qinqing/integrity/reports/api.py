"""The /api/v1/reports router: thin over the same services and selectors.

Public operations (no login): ``GET /challenge``, ``POST /submit``, ``POST /receipt``,
``POST /receipt/follow-up``. A client solves the proof of work like the browser does
(SHA-256 of "challenge:nonce" with the given number of leading zero bits). Supervisors'
operations that decrypt take the password in the body when the caller has no unlocked
session key (a token client): it unlocks the key for that one request only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api import concurrency
from qinqing.api.schemas import Error, choices_schema
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.files import file_download
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Region

from . import crypto, guard, keyring, selectors, services
from .keyring import Unlocked
from .models import Category, IntegrityNote, Report
from .permissions import is_supervisor, may_send_notes, note_firms
from .workflow import Action, Outcome, State, allowed_actions

router = Router(tags=["举报与调查"])


class ChallengeOut(Schema):
    challenge: str
    bits: int


class MisconductReportIn(Schema):
    region_code: str = Field(..., description="发生地区划编码（区县或镇街）")
    category: Category
    title: str = Field(..., max_length=120)
    body: str = Field(..., max_length=10000)
    accused_people: str = Field("", max_length=500)
    accused_firms: str = Field("", max_length=500)
    name: str = Field("", max_length=64, description="实名举报时填写；留空为匿名")
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=128)
    unit: str = Field("", max_length=128)
    pow_challenge: str
    pow_nonce: str


class SubmittedOut(Schema):
    number: str
    receipt: str = Field(..., description="16 位回执码，只返回这一次")


class ReceiptIn(Schema):
    receipt: str = Field(..., max_length=32)


class ReportFollowUpIn(ReceiptIn):
    body: str = Field(..., max_length=10000)
    pow_challenge: str
    pow_nonce: str


class ReportFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    author: str
    supervisor: str
    internal: bool
    body: str
    created_at: str
    files: list[ReportFileOut] = Field(default_factory=list)


class ReportReceiptOut(Schema):
    number: str
    state: str
    state_label: str
    outcome: str
    title: str
    body: str
    messages: list[MessageOut]
    files: list[ReportFileOut] = Field(
        default_factory=list,
        description="随举报提交的证据文件；用 POST /reports/receipt/files/{file_id} 下载",
    )


class MisconductReportOut(Schema):
    id: int
    number: str
    category: str
    region_code: str
    region_name: str
    state: str
    state_label: str
    outcome: str
    serious: bool
    named: bool
    overdue: bool
    version: int
    received_at: str
    triage_due_at: str
    conclusion_due_at: str


class MisconductReportPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[MisconductReportOut]


class ResponsibleOut(Schema):
    id: int
    name: str


class ReportDetailOut(MisconductReportOut):
    assignees: list[str]
    allowed_actions: list[str]
    responsible: list[ResponsibleOut] = Field(
        default_factory=list, description="结论属实时认定的责任人（平台用户，明文元数据）"
    )


class Filters(Schema):
    state: Annotated[State | None, choices_schema(State, nullable=True)] = None
    category: Category | None = None
    overdue: bool = False
    mine: bool = False
    page: int = 1


class KeyIn(Schema):
    password: str = Field(
        "", description="会话未解锁举报密钥时（令牌调用）提供登录密码，仅本次请求使用"
    )


class OpenedOut(Schema):
    number: str
    title: str
    body: str
    accused_people: str
    accused_firms: str
    messages: list[MessageOut]


class ReportActionIn(Schema):
    action: Annotated[Action, choices_schema(Action)]
    version: int
    outcome: Outcome | None = None
    serious: bool = False
    responsible_ids: list[int] = Field(
        default_factory=list,
        description="作出“属实”结论时认定的责任人（用户 ID，须为本人辖区内的干部、办理人员、"
        "管家或协调员）；以明文记录并单独审计",
    )


class AssignIn(KeyIn):
    supervisor_id: int


class ReportReplyIn(KeyIn):
    body: str = Field(..., max_length=10000)
    internal: bool = False


class IdentityIn(KeyIn):
    reason: str = Field(..., max_length=500)


class IdentityOut(Schema):
    name: str
    phone: str
    email: str
    unit: str


class WatchOut(Schema):
    report_id: int
    number: str
    firm: str
    before: int
    after: int
    flagged: bool


class ReportNoteIn(Schema):
    enterprise_id: int | None = None
    region_code: str = ""
    tone: IntegrityNote.Tone
    subject: str = Field(..., max_length=120)
    body: str = Field(..., max_length=2000)


class NoteOut(Schema):
    id: int
    tone: str
    subject: str
    body: str
    region_name: str
    enterprise_name: str
    created_at: str


class NotePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[NoteOut]


def iso(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else ""


def _message(m: services.OpenedMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "author": m.author,
        "supervisor": m.supervisor,
        "internal": m.internal,
        "body": m.body,
        "created_at": iso(m.created_at),
        "files": [_file(f) for f in m.files],
    }


def _file(f: services.OpenedFile) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "content_type": f.content_type, "size": f.size}


def _report(r: Report) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "category": r.category,
        "region_code": r.region.code,
        "region_name": r.region.name,
        "state": r.state,
        "state_label": str(r.get_state_display()),
        "outcome": r.outcome,
        "serious": r.serious,
        "named": r.named,
        "overdue": r.overdue,
        "version": r.version,
        "received_at": iso(r.received_at),
        "triage_due_at": iso(r.triage_due_at),
        "conclusion_due_at": iso(r.conclusion_due_at),
    }


def _private(response: HttpResponse) -> None:
    guard.private_headers(response)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _supervisor(request: HttpRequest) -> Any:
    user = _user(request)
    if not is_supervisor(user):
        raise NotPermitted("您没有查看举报的权限。")
    return user


def _visible(request: HttpRequest, report_id: int) -> Report:
    try:
        return selectors.report_detail(user=_supervisor(request), report_id=report_id)
    except Report.DoesNotExist as exc:
        raise HttpError(404, "找不到该举报。") from exc


def _key(request: HttpRequest, password: str) -> Unlocked | None:
    unlocked = keyring.from_request(request)
    if unlocked is None and password:
        user = _user(request)
        if not user.check_password(password):
            raise NotPermitted("密码不正确，无法解锁举报密钥。")
        unlocked = keyring.unlock(user=user, password=password)
    return unlocked


# --- public --------------------------------------------------------------------------------
@router.get("/challenge", auth=None, response={200: ChallengeOut, 401: Error})
def challenge(request: HttpRequest, response: HttpResponse) -> Any:
    """A proof-of-work challenge (single use) for submit and follow-up."""
    _private(response)
    c = guard.challenge()
    return {"challenge": c.challenge, "bits": c.bits}


def _submit(
    request: HttpRequest, body: MisconductReportIn, uploads: list[UploadedFile]
) -> tuple[int, dict[str, str]]:
    region = Region.objects.filter(code=body.region_code).first()
    if region is None:
        raise ServiceError("找不到该区域。", field_errors={"region_code": ["找不到该区域。"]})
    guard.verify(body.pow_challenge, body.pow_nonce)
    guard.rate_limit(request, "submit")
    identity = (
        services.Identity(name=body.name, phone=body.phone, email=body.email, unit=body.unit)
        if body.name.strip()
        else None
    )
    report, receipt = services.report_submit(
        region=region,
        category=body.category,
        title=body.title,
        body=body.body,
        accused_people=body.accused_people,
        accused_firms=body.accused_firms,
        identity=identity,
        uploads=uploads,
    )
    return 201, {"number": report.number, "receipt": receipt}


@router.post(
    "/submit",
    auth=None,
    response={201: SubmittedOut, 401: Error, 403: Error, 422: Error, 429: Error},
)
def submit(request: HttpRequest, response: HttpResponse, body: MisconductReportIn) -> Any:
    """File a report, anonymous unless a name is given; the receipt is returned once."""
    _private(response)
    return _submit(request, body, [])


EVIDENCE_NOTE = (
    "证据文件（字段名 evidence，可多个）：JPG、PNG、PDF、Word、Excel，按扩展名和文件头校验，"
    "数量和大小有上限，照片位置和文档作者等信息自动清除；与网页相同的检查，不合格返回422"
)


@router.post(
    "/submit/multipart",
    auth=None,
    response={201: SubmittedOut, 401: Error, 403: Error, 413: Error, 422: Error, 429: Error},
    description=EVIDENCE_NOTE,
)
def submit_with_files(
    request: HttpRequest,
    response: HttpResponse,
    body: Form[MisconductReportIn],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """File a report with evidence files (multipart/form-data; the fields as ``/submit``);
    the receipt is returned once. No ``Location``: a report is never addressable without its
    receipt."""
    _private(response)
    return _submit(request, body, list(evidence or []))


@router.post(
    "/receipt", auth=None, response={200: ReportReceiptOut, 401: Error, 404: Error, 429: Error}
)
def receipt(request: HttpRequest, response: HttpResponse, body: ReceiptIn) -> Any:
    """What the receipt holder sees; a wrong receipt gets 404 and a growing delay."""
    _private(response)
    guard.before_receipt(request)
    opened = services.read_by_receipt(receipt=body.receipt)
    if opened is None:
        guard.receipt_failed(request)
        return 404, {"detail": "回执码无效。", "code": "not_found"}
    r = opened.report
    return {
        "number": r.number,
        "state": r.state,
        "state_label": str(r.get_state_display()),
        "outcome": r.outcome,
        "title": opened.content.title,
        "body": opened.content.body,
        "messages": [_message(m) for m in opened.messages],
        "files": [_file(f) for f in opened.files],
    }


def _follow_up(
    request: HttpRequest, response: HttpResponse, body: ReportFollowUpIn, uploads: list[Any]
) -> Any:
    _private(response)
    guard.before_receipt(request)
    if services.read_by_receipt(receipt=body.receipt) is None:
        guard.receipt_failed(request)
        return 404, {"detail": "回执码无效。", "code": "not_found"}
    guard.verify(body.pow_challenge, body.pow_nonce)
    services.report_follow_up(receipt=body.receipt, body=body.body, uploads=uploads)
    return receipt(request, response, ReceiptIn(receipt=body.receipt))


FOLLOW_UP_RESPONSES: dict[int, Any] = {
    200: ReportReceiptOut,
    401: Error,
    403: Error,
    404: Error,
    409: Error,
    422: Error,
    429: Error,
}


@router.post("/receipt/follow-up", auth=None, response=FOLLOW_UP_RESPONSES)
def follow_up(request: HttpRequest, response: HttpResponse, body: ReportFollowUpIn) -> Any:
    """Add information to a report with its receipt."""
    return _follow_up(request, response, body, [])


@router.post(
    "/receipt/follow-up/multipart",
    auth=None,
    response={**FOLLOW_UP_RESPONSES, 413: Error},
    description=EVIDENCE_NOTE,
)
def follow_up_with_files(
    request: HttpRequest,
    response: HttpResponse,
    body: Form[ReportFollowUpIn],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Add information and evidence files to a report with its receipt (multipart)."""
    return _follow_up(request, response, body, list(evidence or []))


@router.post(
    "/receipt/files/{file_id}",
    auth=None,
    response={401: Error, 404: Error, 422: Error, 429: Error},
    openapi_extra={
        "responses": {
            200: {
                "description": "证据文件（原文件名）",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def receipt_file(
    request: HttpRequest, response: HttpResponse, file_id: int, body: ReceiptIn
) -> Any:
    """Download a file of one's own report with its receipt (internal files never)."""
    guard.before_receipt(request)
    found = services.receipt_file_open(receipt=body.receipt, file_id=file_id)
    if found is None:
        guard.receipt_failed(request)
        return 404, {"detail": "回执码无效或没有该文件。", "code": "not_found"}
    return guard.private_headers(file_download(found[2], name=found[0], content_type=found[1]))


# --- supervisors ---------------------------------------------------------------------------
@router.get("", response={200: MisconductReportPage, 401: Error, 403: Error, 422: Error})
def report_list(request: HttpRequest, response: HttpResponse, filters: Query[Filters]) -> Any:
    """Reports in the supervisor's region (metadata only)."""
    _private(response)
    user = _supervisor(request)
    qs: QuerySet[Report] = selectors.report_list(
        user=user,
        state=filters.state or "",
        category=filters.category or "",
        overdue=filters.overdue,
        mine=filters.mine,
    )
    page = paginate(qs, filters.page)
    return {**page_fields_next(page, request), "items": [_report(r) for r in page.object_list]}


@router.get("/watch", response={200: list[WatchOut], 401: Error, 403: Error})
def watch(request: HttpRequest, response: HttpResponse, flagged_only: bool = True) -> Any:
    """Retaliation watch: protected firms' adverse demand outcomes before and after."""
    _private(response)
    rows = selectors.retaliation_watch(user=_supervisor(request), flagged_only=flagged_only)
    return [
        {
            "report_id": w.report.pk,
            "number": w.report.number,
            "firm": w.firm.name,
            "before": w.before,
            "after": w.after,
            "flagged": w.flagged,
        }
        for w in rows
    ]


@router.get("/notes", response={200: NotePage, 401: Error, 403: Error})
def notes(request: HttpRequest, page: int = 1) -> Any:
    """Routine integrity information visible to the caller."""
    user = _user(request)
    if not (is_supervisor(user) or may_send_notes(user)):
        raise NotPermitted("您没有查看廉情信息的权限。")
    current = paginate(selectors.notes_visible_to(user), page)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                "id": n.pk,
                "tone": n.tone,
                "subject": n.subject,
                "body": n.body,
                "region_name": n.region.name,
                "enterprise_name": n.enterprise.name if n.enterprise else "",
                "created_at": iso(n.created_at),
            }
            for n in current.object_list
        ],
    }


@router.post("/notes", response={201: NoteOut, 401: Error, 403: Error, 422: Error})
def note_create(request: HttpRequest, body: ReportNoteIn) -> Any:
    """Send routine integrity information (observers and firm users)."""
    user = _user(request)
    firm = next((f for f in note_firms(user) if f.pk == body.enterprise_id), None)
    if body.enterprise_id and firm is None:
        raise NotPermitted("只能以本人所属企业的名义提交。")
    region = Region.objects.filter(code=body.region_code).first() if body.region_code else None
    n = services.note_submit(
        actor=user,
        enterprise=firm,
        region=region,
        tone=body.tone,
        subject=body.subject,
        body=body.body,
    )
    return 201, {
        "id": n.pk,
        "tone": n.tone,
        "subject": n.subject,
        "body": n.body,
        "region_name": n.region.name,
        "enterprise_name": firm.name if firm else "",
        "created_at": iso(n.created_at),
    }


@router.get("/{report_id}", response={200: ReportDetailOut, 401: Error, 403: Error, 404: Error})
def report_detail(request: HttpRequest, response: HttpResponse, report_id: int) -> Any:
    """One report's metadata, assignees and the actions open to the caller."""
    _private(response)
    r = _visible(request, report_id)
    concurrency.tag(response, r.version)
    return {
        **_report(r),
        "assignees": [str(a.supervisor) for a in r.assignments.all()],
        "allowed_actions": allowed_actions(_user(request), r),
        "responsible": [
            {"id": u.pk, "name": u.display_name or u.username} for u in selectors.responsible_of(r)
        ],
    }


@router.post("/{report_id}/open", response={200: OpenedOut, 401: Error, 403: Error, 404: Error})
def report_open(request: HttpRequest, response: HttpResponse, report_id: int, body: KeyIn) -> Any:
    """Decrypt a report (assignees, or intake supervisors during triage); audited."""
    _private(response)
    r = _visible(request, report_id)
    opened = services.report_open(actor=_user(request), report=r, key=_key(request, body.password))
    return {
        "number": r.number,
        "title": opened.content.title,
        "body": opened.content.body,
        "accused_people": opened.content.accused_people,
        "accused_firms": opened.content.accused_firms,
        "messages": [_message(m) for m in opened.messages],
    }


@router.post(
    "/{report_id}/actions",
    response={
        200: MisconductReportOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        412: Error,
        422: Error,
    },
)
def act(request: HttpRequest, response: HttpResponse, report_id: int, body: ReportActionIn) -> Any:
    """Move a report along the workflow (closing needs a second supervisor); with
    ``If-Match``, a stale version answers 412."""
    r = _visible(request, report_id)
    concurrency.check_if_match(request, r.version)
    moved = services.report_act(
        actor=_user(request),
        report_id=r.pk,
        action=body.action,
        version=body.version,
        outcome=body.outcome or "",
        serious=body.serious,
        responsible_ids=body.responsible_ids,
    )
    concurrency.tag(response, moved.version)
    return _report(moved)


@router.post(
    "/{report_id}/assign",
    response={200: MisconductReportOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
)
def assign(request: HttpRequest, report_id: int, body: AssignIn) -> Any:
    """Assign a supervisor (conflict check, then re-share the keys)."""
    r = _visible(request, report_id)
    target = next(
        (u for u in services.assignable_supervisors(r) if u.pk == body.supervisor_id), None
    )
    if target is None:
        raise ServiceError(
            "只能分派给辖区覆盖该举报的监督员。", field_errors={"supervisor_id": ["不在辖区内。"]}
        )
    moved = services.report_assign(
        actor=_user(request), report_id=r.pk, supervisor=target, key=_key(request, body.password)
    )
    return _report(moved)


class UnassignIn(Schema):
    supervisor_id: int


@router.post(
    "/{report_id}/unassign",
    response={200: MisconductReportOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
)
def unassign(request: HttpRequest, report_id: int, body: UnassignIn) -> Any:
    """Remove an assignee (an assignee does it; the last one stays) and every copy of the
    report's keys they held."""
    r = _visible(request, report_id)
    assignment = (
        r.assignments.filter(supervisor_id=body.supervisor_id).select_related("supervisor").first()
    )
    if assignment is None:
        raise HttpError(404, "该监督员不是承办人。")
    moved = services.report_unassign(
        actor=_user(request), report_id=r.pk, supervisor=assignment.supervisor
    )
    return _report(moved)


@router.post(
    "/{report_id}/reply", response={201: MessageOut, 401: Error, 403: Error, 404: Error, 422: Error}
)
def reply(request: HttpRequest, report_id: int, body: ReportReplyIn) -> Any:
    """A reply to the receipt holder, or an internal note."""
    r = _visible(request, report_id)
    m = services.report_reply(
        actor=_user(request),
        report_id=r.pk,
        key=_key(request, body.password),
        body=body.body,
        internal=body.internal,
    )
    return 201, {
        "id": m.pk,
        "author": m.author,
        "supervisor": str(m.supervisor),
        "internal": m.internal,
        "body": body.body,
        "created_at": iso(m.created_at),
    }


@router.post(
    "/{report_id}/identity",
    response={200: IdentityOut, 401: Error, 403: Error, 404: Error, 422: Error},
)
def identity(request: HttpRequest, response: HttpResponse, report_id: int, body: IdentityIn) -> Any:
    """A named reporter's identity, with a reason; audited."""
    _private(response)
    r = _visible(request, report_id)
    value = services.identity_open(
        actor=_user(request), report_id=r.pk, key=_key(request, body.password), reason=body.reason
    )
    return value.__dict__


__all__ = ["crypto", "router"]
