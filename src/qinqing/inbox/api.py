"""In-app messages in /api/v1: the caller's own messages, and marking one read (the twin of
the web's inbox). Thin over ``selectors`` and ``services``: another person's message is
simply not found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate

from .models import Message
from .selectors import messages_of
from .services import mark_read

router = Router(tags=["inbox"])


class InboxMessageOut(Schema):
    id: int
    title: str
    body: str
    link: str = Field(..., description="站内相关页面的路径（可为空）")
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(None, description="已读时间；未读为空")


class InboxMessagePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[InboxMessageOut]


class InboxMessageFilters(Schema):
    page: int = Field(1, ge=1)


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "title": m.title,
        "body": m.body,
        "link": m.link,
        "created_at": m.created_at,
        "read_at": m.read_at,
    }


@router.get("", response={200: InboxMessagePage, 401: Error}, summary="本人的站内消息（新的在前）")
def messages(request: HttpRequest, filters: Query[InboxMessageFilters]) -> dict[str, Any]:
    current = paginate(messages_of(request.auth), filters.page)  # type: ignore[attr-defined]
    return {
        **page_fields_next(current, request),
        "items": [_message(m) for m in current.object_list],
    }


@router.post(
    "/{message_id}/read",
    response={200: InboxMessageOut, 401: Error, 404: Error},
    summary="将本人的一条站内消息标为已读",
)
def read(request: HttpRequest, message_id: int) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    message = messages_of(user).filter(pk=message_id).first()
    if message is None:
        raise HttpError(404, "not found")
    mark_read(actor=user, message_ids=[message.pk])
    message.refresh_from_db(fields=["read_at"])
    return _message(message)
