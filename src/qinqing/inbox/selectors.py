from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Message


def messages_of(user: Any) -> QuerySet[Message]:
    return Message.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(user=user, read_at__isnull=True).count()
