from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from qinqing.api.schemas import Error

from .scopes import assignments_of
from .services import login_check, token_issue

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = "api"


class TokenOut(Schema):
    token: str
    expires_at: str


class RoleOut(Schema):
    role: str
    role_label: str
    scope: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[RoleOut]


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: Error, 422: Error},
    summary="用用户名（或手机号）和密码换取令牌",
)
def issue_token(request: HttpRequest, body: TokenIn) -> tuple[int, dict[str, str]]:
    user = login_check(request=request, identifier=body.username, password=body.password)
    token, raw = token_issue(user=user, name=body.name)
    return 200, {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.get("/me", response={200: MeOut, 401: Error}, summary="当前用户及其角色")
def me(request: HttpRequest) -> dict[str, object]:
    user = request.auth  # type: ignore[attr-defined]
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": [
            {
                "role": a.role,
                "role_label": str(a.get_role_display()),
                "scope": str(a.region or a.department or a.enterprise or ""),
            }
            for a in assignments_of(user)
        ],
    }
