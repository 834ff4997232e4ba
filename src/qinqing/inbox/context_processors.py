from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    return {"unread_count": unread_count(getattr(request, "user", None))}
