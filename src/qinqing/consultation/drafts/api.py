"""The /api/v1/drafts router: drafting, opening, firms' comments, answers, closing, the final
text and the public view. Ids are looked up inside the caller's scope (404 otherwise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate

from . import selectors, services
from .models import Comment, PolicyDraft

router = Router(tags=["政策草案征求意见"])


class DraftIn(Schema):
    title: str
    text: str
    opens_on: date
    closes_on: date
    office_name: str = ""
    summary: str = ""


class ClauseIn(Schema):
    heading: str = ""
    text: str


class DraftUpdateIn(Schema):
    title: str
    summary: str = ""
    opens_on: date
    closes_on: date
    clauses: list[ClauseIn]


class ClauseOut(Schema):
    id: int
    number: int
    heading: str
    text: str


class CommentOut(Schema):
    id: int
    clause_id: int | None
    clause_number: int | None
    enterprise_id: int
    enterprise_name: str
    body: str
    created_at: datetime
    answer: str
    reason: str
    answered_at: datetime | None


class DraftOut(Schema):
    id: int
    title: str
    summary: str
    office_name: str
    region: str
    state: str
    opens_on: date
    closes_on: date
    taking_comments: bool
    clauses: list[ClauseOut]
    final_clauses: list[ClauseOut]


class DraftRowOut(Schema):
    id: int
    title: str
    office_name: str
    state: str
    opens_on: date
    closes_on: date
    comments: int
    unanswered: int


class DraftPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[DraftRowOut]


class PublicRowOut(Schema):
    id: int
    title: str
    office_name: str
    final_published_at: datetime | None
    comments: int


class PublicPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[PublicRowOut]


class CommentIn(Schema):
    body: str
    clause_id: int | None = None


class DraftAnswerIn(Schema):
    answer: str
    reason: str = ""


class FinalIn(Schema):
    text: str
    note: str = ""


class PublicCommentOut(Schema):
    id: int
    firm: str
    body: str
    answer: str
    answer_label: str
    reason: str


class PublicClauseOut(Schema):
    number: int
    heading: str
    text: str
    draft_text: str
    changed: bool
    comments: list[PublicCommentOut]


class DraftStatsOut(Schema):
    comments: int
    answered: int
    adopted: int
    partly: int
    not_adopted: int
    firms: int
    adopted_share: float


class PublicOut(Schema):
    id: int
    title: str
    office_name: str
    final_published_at: datetime | None
    clauses: list[PublicClauseOut]
    dropped: list[PublicClauseOut]
    general: list[PublicCommentOut]
    stats: DraftStatsOut


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _draft(user: Any, draft_id: int) -> PolicyDraft:
    try:
        return selectors.draft_for(user=user, draft_id=draft_id)
    except PolicyDraft.DoesNotExist:
        raise HttpError(404, "not found") from None


def _clause(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "number": c.number, "heading": c.heading, "text": c.text}


def _out(d: PolicyDraft) -> dict[str, Any]:
    return {
        "id": d.pk,
        "title": d.title,
        "summary": d.summary,
        "office_name": d.office_name,
        "region": d.region.name,
        "state": d.state,
        "opens_on": d.opens_on,
        "closes_on": d.closes_on,
        "taking_comments": services.is_taking_comments(d),
        "clauses": [_clause(c) for c in selectors.clauses_of(d)],
        "final_clauses": [_clause(c) for c in selectors.clauses_of(d, "final")],
    }


def _comment(c: Comment) -> dict[str, Any]:
    return {
        "id": c.pk,
        "clause_id": c.clause_id,
        "clause_number": c.clause.number if c.clause else None,
        "enterprise_id": c.enterprise_id,
        "enterprise_name": c.enterprise.name,
        "body": c.body,
        "created_at": c.created_at,
        "answer": c.answer,
        "reason": c.reason,
        "answered_at": c.answered_at,
    }


@router.get("", response={200: DraftPage, 401: Error}, summary="可见的政策草案")
def draft_list(request: HttpRequest, state: str = "", q: str = "", page: int = 1) -> dict[str, Any]:
    qs = selectors.draft_list(user=_user(request), state=state, query=q)
    current = paginate(qs, page, 20)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                "id": d.pk,
                "title": d.title,
                "office_name": d.office_name,
                "state": d.state,
                "opens_on": d.opens_on,
                "closes_on": d.closes_on,
                "comments": d.comment_count,
                "unanswered": d.unanswered,
            }
            for d in current.object_list
        ],
    }


@router.post(
    "",
    response={201: DraftOut, 401: Error, 403: Error, 422: Error},
    summary="新建政策草案：粘贴全文，按“第一条”等条目（无条目则按段落）自动分条",
)
def draft_create(request: HttpRequest, body: DraftIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    draft = services.draft_create(actor=user, **body.dict())
    return 201, _out(_draft(user, draft.pk))


@router.get(
    "/public",
    response={200: PublicPage},
    auth=None,
    summary="已公布定稿的草案（无需登录）",
)
def draft_public_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    current = paginate(selectors.public_drafts(), page, 20)
    return {
        **page_fields_next(current, request),
        "items": [
            {
                "id": d.pk,
                "title": d.title,
                "office_name": d.office_name,
                "final_published_at": d.final_published_at,
                "comments": d.comment_count,
            }
            for d in current.object_list
        ],
    }


@router.get(
    "/public/{draft_id}",
    response={200: PublicOut, 404: Error},
    auth=None,
    summary="已公布定稿的草案：定稿条文、逐条意见（企业名称隐去）和答复、统计（无需登录）",
)
def draft_public(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    draft = selectors.public_drafts().filter(pk=draft_id).first()
    if draft is None:
        raise HttpError(404, "not found")
    view = selectors.public_view(draft)
    stats = view["stats"]
    return {
        "id": draft.pk,
        "title": draft.title,
        "office_name": draft.office_name,
        "final_published_at": draft.final_published_at,
        "clauses": [vars(c) for c in view["clauses"]],
        "dropped": [vars(c) for c in view["dropped"]],
        "general": view["general"],
        "stats": {**vars(stats), "adopted_share": round(stats.adopted_share, 4)},
    }


@router.get("/{draft_id}", response={200: DraftOut, 401: Error, 404: Error}, summary="草案详情")
def draft_detail(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    return _out(_draft(_user(request), draft_id))


@router.put(
    "/{draft_id}",
    response={200: DraftOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="修改未发布的草案：名称、征求意见期和逐条条文",
)
def draft_update(request: HttpRequest, draft_id: int, body: DraftUpdateIn) -> dict[str, Any]:
    user = _user(request)
    draft = _draft(user, draft_id)
    services.draft_update(
        actor=user,
        draft_id=draft.pk,
        title=body.title,
        summary=body.summary,
        opens_on=body.opens_on,
        closes_on=body.closes_on,
        clauses=[(c.heading, c.text) for c in body.clauses],
    )
    return _out(_draft(user, draft.pk))


def _step(request: HttpRequest, draft_id: int, call: Any) -> dict[str, Any]:
    user = _user(request)
    draft = _draft(user, draft_id)
    call(user, draft)
    return _out(_draft(user, draft.pk))


@router.post(
    "/{draft_id}/open",
    response={200: DraftOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="发布征求意见",
)
def draft_open(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    return _step(request, draft_id, lambda u, d: services.draft_open(actor=u, draft_id=d.pk))


@router.post(
    "/{draft_id}/close",
    response={200: DraftOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="截止征求意见（截止日之后，且每条意见都已答复）",
)
def draft_close(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    return _step(request, draft_id, lambda u, d: services.draft_close(actor=u, draft_id=d.pk))


@router.post(
    "/{draft_id}/final",
    response={200: DraftOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="公布定稿（全文，自动分条）",
)
def draft_final(request: HttpRequest, draft_id: int, body: FinalIn) -> dict[str, Any]:
    return _step(
        request,
        draft_id,
        lambda u, d: services.draft_finalize(
            actor=u, draft_id=d.pk, text=body.text, note=body.note
        ),
    )


@router.get(
    "/{draft_id}/comments",
    response={200: list[CommentOut], 401: Error, 404: Error},
    summary="意见：起草单位看全部，企业只看本企业的",
)
def comment_list(request: HttpRequest, draft_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    draft = _draft(user, draft_id)
    return [_comment(c) for c in selectors.comments_for(user=user, draft=draft)]


@router.post(
    "/{draft_id}/comments",
    response={201: CommentOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="企业授权用户在征求意见期内对某条（clause_id）或整体提出意见",
)
def comment_create(
    request: HttpRequest, draft_id: int, body: CommentIn
) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    draft = _draft(user, draft_id)
    comment = services.comment_add(
        actor=user, draft_id=draft.pk, clause_id=body.clause_id, body=body.body
    )
    comment = Comment.objects.select_related("enterprise", "clause").get(pk=comment.pk)
    return 201, _comment(comment)


@router.post(
    "/{draft_id}/comments/{comment_id}/answer",
    response={200: CommentOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="起草单位答复意见：adopted / partly / not_adopted，后两者须说明理由",
)
def comment_answer(
    request: HttpRequest, draft_id: int, comment_id: int, body: DraftAnswerIn
) -> dict[str, Any]:
    user = _user(request)
    draft = _draft(user, draft_id)
    if not Comment.objects.filter(pk=comment_id, draft=draft).exists():
        raise HttpError(404, "not found")
    services.comment_answer(
        actor=user, comment_id=comment_id, answer=body.answer, reason=body.reason
    )
    return _comment(Comment.objects.select_related("enterprise", "clause").get(pk=comment_id))
