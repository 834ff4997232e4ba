"""The demands (诉求) API under ``/api/v1/demands``: thin over the services and selectors.

Every id from the client is looked up inside ``demands_visible_to(user)`` first, so a case
outside the caller's scope answers 404 exactly like a case that does not exist. Times are
ISO 8601 in Asia/Shanghai (``+08:00``). Writes go through the services, which check the
caller's permission (403), the case's version (409) and the input (422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api import concurrency
from qinqing.api.schemas import Error, choices_schema
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.selectors import enterprises_visible_to

from . import attachments, selectors, services
from .models import Assist, Attachment, Category, Demand, DemandEvent, Extension
from .permissions import api_channel
from .workflow import OVERDUE_STATES, Action, State, allowed_actions

router = Router(tags=["demands"])

PER_PAGE = 20
#: states in which the resolution timer runs (the dispatch board's "overdue" column)

EVENT_LABELS: dict[str, Any] = {
    "submit": _l("提交诉求"),
    "note": _l("留言"),
    "supervise": _l("督办"),
    "assist": _l("发起协办"),
    "assist_reply": _l("协办答复"),
    "extension_request": _l("申请延期"),
    "extension_decide": _l("审批延期"),
    "merge": _l("合并"),
    "remind": _l("临期提醒"),
    "escalate": _l("超期督办"),
    "attach": _l("上传附件"),
    "deadline_recompute": _l("节假日调整期限"),
}


# --- schemas --------------------------------------------------------------------------------
class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    parent_name: str
    acceptance_days: int
    response_days: int
    resolution_days: int


class DemandOut(Schema):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    category_code: str
    category_name: str
    enterprise_id: int
    enterprise_name: str
    department_id: int | None
    department_name: str
    channel: str
    supervised: bool
    overdue: bool
    version: int
    submitted_at: str
    resolve_due_at: str | None


class TimersOut(Schema):
    submitted_at: str
    accept_due_at: str | None
    response_due_at: str | None
    resolve_due_at: str | None
    dispatched_at: str | None
    accepted_at: str | None
    first_response_at: str | None
    replied_at: str | None
    paused_at: str | None
    closed_at: str | None


class ActionOut(Schema):
    action: str
    label: str


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    actor: str
    from_state: str
    to_state: str
    department_name: str
    note: str
    internal: bool
    created_at: str


class AssistOut(Schema):
    id: int
    department_id: int
    department_name: str
    part: str
    status: str
    reply: str


class ExtensionOut(Schema):
    id: int
    demand_id: int
    days: int
    reason: str
    status: str
    status_label: str
    created_at: str
    decided_at: str | None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_by: str
    created_at: str
    url: str = Field(..., description="下载地址（同样只对可见该诉求的用户开放）")


class DemandDetailOut(DemandOut):
    description: str
    channel_label: str
    reply: str
    satisfaction: str
    rating: int | None
    rating_comment: str
    reopen_count: int
    merged_into: str | None
    timers: TimersOut
    allowed_actions: list[ActionOut]
    timeline: list[EventOut]
    assists: list[AssistOut]
    extensions: list[ExtensionOut]
    attachments: list[AttachmentOut]


class DemandPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[DemandOut]


class DemandFilters(Schema):
    state: Annotated[State | None, choices_schema(State, nullable=True)] = None
    category: str = Field("", description="类别编码，如 tax")
    overdue: bool = False
    q: str = Field("", description="按编号或标题搜索")
    page: int = 1


class InboxFilters(Schema):
    state: Annotated[State | None, choices_schema(State, nullable=True)] = None
    overdue: bool = False
    page: int = 1


class DemandIn(Schema):
    enterprise_id: int
    category_id: int | None = None
    category: str | None = Field(None, description="类别编码（与 category_id 二选一）")
    title: str = Field(..., max_length=120)
    description: str = Field(..., max_length=5000)
    channel: Literal["portal", "steward", "phone", "chamber", "visit"] | None = Field(
        None,
        description="渠道（可选，须为本人对该企业可用的渠道，同网页的各提交页面）；"
        "不填时：商会联络员代会员提交记为 chamber，其余记为 api",
    )


class DemandActionIn(Schema):
    action: Annotated[Action, choices_schema(Action)]
    version: int = Field(..., ge=1, description="客户端所见的版本号，用于乐观并发控制")
    note: str = Field("", max_length=5000)
    department_id: int | None = None
    satisfaction: str = ""
    rating: int | None = None
    override_reason: str = Field(
        "",
        max_length=2000,
        description="办理人与企业存在关联（409，利益冲突）时，仍须本人办理的理由；理由报送监督员",
    )


class DemandNoteIn(Schema):
    note: str = Field(..., max_length=5000)
    internal: bool = False


class AssistIn(Schema):
    department_id: int
    part: str = Field(..., max_length=255)


class AssistReplyIn(Schema):
    reply: str = Field(..., max_length=5000)


class ExtensionIn(Schema):
    days: int
    reason: str = Field(..., max_length=2000)


class ExtensionDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)


class SuperviseIn(Schema):
    note: str = Field(..., max_length=5000)


class MergeIn(Schema):
    into_id: int


# --- conversion -----------------------------------------------------------------------------
def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Asia/Shanghai, e.g. ``2026-11-09T23:59:59+08:00``."""
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _is_overdue(d: Demand, now: datetime) -> bool:
    return d.state in OVERDUE_STATES and d.resolve_due_at is not None and d.resolve_due_at < now


def _category(c: Category) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "parent_id": c.parent_id,
        "parent_name": c.parent.name if c.parent else "",
        "acceptance_days": c.acceptance_days,
        "response_days": c.response_days,
        "resolution_days": c.resolution_days,
    }


def _demand(d: Demand, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": d.pk,
        "number": d.number,
        "title": d.title,
        "state": d.state,
        "state_label": str(d.get_state_display()),
        "category_code": d.category.code,
        "category_name": d.category.name,
        "enterprise_id": d.enterprise_id,
        "enterprise_name": d.enterprise.name,
        "department_id": d.department_id,
        "department_name": d.department.name if d.department else "",
        "channel": d.channel,
        "supervised": d.supervised,
        "overdue": _is_overdue(d, now or timezone.now()),
        "version": d.version,
        "submitted_at": iso(d.submitted_at),
        "resolve_due_at": iso(d.resolve_due_at),
    }


def _event(e: DemandEvent) -> dict[str, Any]:
    label = Action(e.action).label if e.action in Action.values else EVENT_LABELS.get(e.action)
    return {
        "id": e.pk,
        "action": e.action,
        "action_label": str(label or e.action),
        "actor": e.actor.display_name if e.actor else _("系统"),
        "from_state": e.from_state,
        "to_state": e.to_state,
        "department_name": e.department.name if e.department else "",
        "note": e.note,
        "internal": e.internal,
        "created_at": iso(e.created_at),
    }


def _assist(a: Assist) -> dict[str, Any]:
    return {
        "id": a.pk,
        "department_id": a.department_id,
        "department_name": a.department.name,
        "part": a.part,
        "status": a.status,
        "reply": a.reply,
    }


def _extension(x: Extension) -> dict[str, Any]:
    return {
        "id": x.pk,
        "demand_id": x.demand_id,
        "days": x.days,
        "reason": x.reason,
        "status": x.status,
        "status_label": str(x.get_status_display()),
        "created_at": iso(x.created_at),
        "decided_at": iso(x.decided_at),
    }


def _attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.name,
        "size": a.size,
        "content_type": a.content_type,
        "uploaded_by": a.uploaded_by.display_name if a.uploaded_by else "",
        "created_at": iso(a.created_at),
        "url": f"/api/v1/demands/{a.demand_id}/attachments/{a.pk}",
    }


def _detail(user: Any, d: Demand) -> dict[str, Any]:
    return {
        **_demand(d),
        "description": d.description,
        "channel_label": str(d.get_channel_display()),
        "reply": d.reply,
        "satisfaction": d.satisfaction,
        "rating": d.rating,
        "rating_comment": d.rating_comment,
        "reopen_count": d.reopen_count,
        "merged_into": d.merged_into.number if d.merged_into_id and d.merged_into else None,
        "timers": {
            "submitted_at": iso(d.submitted_at),
            "accept_due_at": iso(d.accept_due_at),
            "response_due_at": iso(d.response_due_at),
            "resolve_due_at": iso(d.resolve_due_at),
            "dispatched_at": iso(d.dispatched_at),
            "accepted_at": iso(d.accepted_at),
            "first_response_at": iso(d.first_response_at),
            "replied_at": iso(d.replied_at),
            "paused_at": iso(d.paused_at),
            "closed_at": iso(d.closed_at),
        },
        "allowed_actions": [
            {"action": a, "label": str(Action(a).label)} for a in allowed_actions(user, d)
        ],
        "timeline": [_event(e) for e in selectors.timeline(user=user, demand=d)],
        "assists": [_assist(a) for a in d.assists.select_related("department").order_by("pk")],
        "extensions": [_extension(x) for x in d.extensions.order_by("pk")],
        "attachments": [_attachment(a) for a in attachments.attachments_of(d)],
    }


def _page(request: HttpRequest, qs: QuerySet[Demand], page: int) -> dict[str, Any]:
    current = paginate(qs, page, PER_PAGE)
    now = timezone.now()
    return {
        **page_fields_next(current, request),
        "items": [_demand(d, now) for d in current.object_list],
    }


def _visible(user: Any, demand_id: int) -> Demand:
    """The case, if the caller may read it; otherwise 404 (never 403: no existence oracle)."""
    try:
        return selectors.demand_detail(user=user, demand_id=demand_id)
    except Demand.DoesNotExist:
        raise HttpError(404, "not found") from None


# --- reads ----------------------------------------------------------------------------------
@router.get(
    "/categories",
    response={200: list[CategoryOut], 401: Error},
    summary="启用的诉求类别及其默认时限（工作日）",
)
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [_category(c) for c in selectors.categories_active()]


@router.get(
    "/inbox",
    response={200: DemandPage, 401: Error, 422: Error},
    summary="承办人待办：本部门未办结的诉求，办结期限近的在前",
)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    qs = selectors.handler_inbox(
        user=_user(request),
        state=filters.state.value if filters.state else "",
        overdue=filters.overdue,
    ).select_related("department")
    return _page(request, qs, filters.page)


@router.get(
    "/board",
    response={200: DemandPage, 401: Error, 422: Error},
    summary="协调员派单看板：待派单、被退回、已超期、争议待定、待审批延期",
)
def board(
    request: HttpRequest,
    column: Literal["unassigned", "returned", "overdue", "disputed", "extensions"],
    page: int = 1,
) -> dict[str, Any]:
    return _page(request, selectors.dispatch_board(user=_user(request), column=column), page)


@router.get(
    "",
    response={200: DemandPage, 401: Error, 422: Error},
    summary="诉求列表（仅限本人可见范围）：按状态、类别、是否超期、编号或标题过滤",
)
def demand_list(request: HttpRequest, filters: Query[DemandFilters]) -> dict[str, Any]:
    qs = selectors.demands_visible_to(_user(request))
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.overdue:
        qs = qs.filter(state__in=OVERDUE_STATES, resolve_due_at__lt=timezone.now())
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(number__iexact=q) | Q(title__icontains=q))
    return _page(request, qs.order_by("-submitted_at", "-pk"), filters.page)


@router.get(
    "/{demand_id}",
    response={200: DemandDetailOut, 401: Error, 404: Error},
    summary="诉求详情：时限、承办部门、当前可执行的操作和办理记录（企业看不到内部备注）",
)
def demand_get(request: HttpRequest, response: HttpResponse, demand_id: int) -> dict[str, Any]:
    user = _user(request)
    demand = _visible(user, demand_id)
    services.demand_record_view(actor=user, demand=demand)
    concurrency.tag(response, demand.version)
    return _detail(user, demand)


# --- writes ---------------------------------------------------------------------------------
@router.post(
    "",
    response={201: DemandDetailOut, 401: Error, 403: Error, 422: Error},
    summary="提交诉求（渠道同网页：商会联络员代会员提交记为“商会代办”，"
    "其余记为“接口”，也可指定本人可用的渠道）；有派单规则时自动派单",
)
def demand_create(
    request: HttpRequest, response: HttpResponse, body: DemandIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    enterprise = enterprises_visible_to(user).filter(pk=body.enterprise_id).first()
    if enterprise is None:
        # the same answer as the service's for a firm one may see but not submit for
        raise NotPermitted(_("您不能为该企业提交诉求。"))
    if (body.category_id is None) == (body.category is None):
        raise ServiceError(
            _("请指定类别（category_id 或 category 二选一）。"),
            field_errors={"category": [_("请指定类别。")]},
        )
    categories = Category.objects.all()
    if body.category_id is not None:
        category = categories.filter(pk=body.category_id).first()
    else:
        category = categories.filter(code=body.category).first()
    if category is None:
        raise ServiceError(
            _("没有该诉求类别。"), field_errors={"category": [_("没有该诉求类别。")]}
        )
    demand = services.demand_submit(
        actor=user,
        enterprise=enterprise,
        category=category,
        title=body.title,
        description=body.description,
        channel=body.channel or api_channel(user, enterprise),
    )
    response["Location"] = f"/api/v1/demands/{demand.pk}"
    return 201, _detail(user, demand)


@router.post(
    "/{demand_id}/actions",
    response={
        200: DemandDetailOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        412: Error,
        422: Error,
    },
    summary="办理操作（派单、受理、答复、评价等），须带上所见的版本号；版本过期返回409"
    "（或带 If-Match 头时返回412）；"
    "办理人与企业存在利益冲突时返回409（field_errors 给出关系路径和预警编号），"
    "附 override_reason 可说明理由后继续",
)
def demand_action(
    request: HttpRequest, response: HttpResponse, demand_id: int, body: DemandActionIn
) -> dict[str, Any]:
    user = _user(request)
    demand = _visible(user, demand_id)
    concurrency.check_if_match(request, demand.version)
    moved = services.demand_act(
        actor=user,
        demand_id=demand.pk,
        action=body.action.value,
        version=body.version,
        note=body.note,
        department_id=body.department_id,
        satisfaction=body.satisfaction,
        rating=body.rating,
        override_reason=body.override_reason,
    )
    concurrency.tag(response, moved.version)
    return _detail(user, moved)


@router.post(
    "/{demand_id}/notes",
    response={201: EventOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="留言或内部备注（仅工作人员可设为内部，企业不可见）",
)
def demand_note(
    request: HttpRequest, demand_id: int, body: DemandNoteIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    demand = _visible(user, demand_id)
    event = services.demand_note(
        actor=user, demand_id=demand.pk, note=body.note, internal=body.internal
    )
    return 201, _event(event)


@router.post(
    "/{demand_id}/assists",
    response={201: AssistOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="发起协办：请另一部门承担部分事项",
)
def assist_create(
    request: HttpRequest, demand_id: int, body: AssistIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    demand = _visible(user, demand_id)
    assist = services.assist_request(
        actor=user, demand_id=demand.pk, department_id=body.department_id, part=body.part
    )
    return 201, _assist(assist)


@router.post(
    "/assists/{assist_id}/reply",
    response={200: AssistOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="协办部门答复协办事项",
)
def assist_answer(request: HttpRequest, assist_id: int, body: AssistReplyIn) -> dict[str, Any]:
    user = _user(request)
    visible = selectors.demands_visible_to(user).values("pk")
    assist = Assist.objects.filter(pk=assist_id, demand_id__in=visible).first()
    if assist is None:
        raise HttpError(404, "not found")
    return _assist(services.assist_reply(actor=user, assist_id=assist.pk, reply=body.reply))


@router.post(
    "/{demand_id}/extensions",
    response={201: ExtensionOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="承办部门申请延期（1–30个工作日），由协调员审批",
)
def extension_create(
    request: HttpRequest, demand_id: int, body: ExtensionIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    demand = _visible(user, demand_id)
    extension = services.extension_request(
        actor=user, demand_id=demand.pk, days=body.days, reason=body.reason
    )
    return 201, _extension(extension)


@router.post(
    "/extensions/{extension_id}/decision",
    response={200: ExtensionOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="协调员审批延期申请（同意或驳回）",
)
def extension_decision(
    request: HttpRequest, extension_id: int, body: ExtensionDecisionIn
) -> dict[str, Any]:
    user = _user(request)
    visible = selectors.demands_visible_to(user).values("pk")
    extension = Extension.objects.filter(pk=extension_id, demand_id__in=visible).first()
    if extension is None:
        raise HttpError(404, "not found")
    decided = services.extension_decide(
        actor=user, extension_id=extension.pk, approve=body.approve, note=body.note
    )
    return _extension(decided)


@router.post(
    "/{demand_id}/supervise",
    response={200: DemandDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="督办：监督员或协调员对未办结诉求提出督办意见",
)
def demand_supervise(request: HttpRequest, demand_id: int, body: SuperviseIn) -> dict[str, Any]:
    user = _user(request)
    demand = _visible(user, demand_id)
    return _detail(user, services.demand_supervise(actor=user, demand_id=demand.pk, note=body.note))


@router.post(
    "/{demand_id}/merge",
    response={200: DemandDetailOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="协调员将重复诉求合并到另一件未办结诉求（返回保留的那一件）",
)
def demand_merge(request: HttpRequest, demand_id: int, body: MergeIn) -> dict[str, Any]:
    user = _user(request)
    duplicate = _visible(user, demand_id)
    into = _visible(user, body.into_id)
    kept = services.demand_merge(actor=user, duplicate_id=duplicate.pk, into_id=into.pk)
    return _detail(user, kept)


@router.post(
    "/{demand_id}/attachments",
    response={
        201: AttachmentOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        413: Error,
        422: Error,
    },
    summary=(
        "上传附件（multipart，字段名 file，一次1个文件）：JPG、PNG、PDF、DOCX、XLSX，按扩展名"
        "和文件结构校验（压缩炸弹、超大像素、夹带程序或网页一律拒收）；超过大小上限返回413，"
        "类型、内容或数量不符（包括一次发送多个文件）返回422且不保存任何文件，已办结的诉求返回409"
    ),
)
def attachment_create(
    request: HttpRequest, demand_id: int, file: File[UploadedFile]
) -> tuple[int, dict[str, Any]]:
    from qinqing.common.files import refuse_several

    user = _user(request)
    demand = _visible(user, demand_id)
    refuse_several(request.FILES, field="file")
    added = attachments.attachment_add(actor=user, demand_id=demand.pk, upload=file)
    return 201, _attachment(added)


@router.get(
    "/{demand_id}/attachments/{attachment_id}",
    response={401: Error, 404: Error},
    summary="下载附件（原文件名；只对可见该诉求的用户开放，其他人一律404）",
    openapi_extra={
        "responses": {
            200: {
                "description": "附件文件",
                "content": {
                    kind.content_type: {"schema": {"type": "string", "format": "binary"}}
                    for kind in attachments.KINDS.values()
                },
            }
        }
    },
)
def attachment_get(request: HttpRequest, demand_id: int, attachment_id: int) -> FileResponse:
    user = _user(request)
    try:
        item = attachments.attachment_for(user=user, attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise HttpError(404, "not found") from None
    if item.demand_id != demand_id:
        raise HttpError(404, "not found")
    try:
        return attachments.attachment_response(actor=user, attachment=item)
    except FileNotFoundError:
        raise HttpError(404, "not found") from None
