from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .scopes import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    held = roles_of(user)
    return {"my_roles": held}
