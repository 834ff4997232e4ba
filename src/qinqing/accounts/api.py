"""Accounts in /api/v1: tokens, the caller (``/me``), and for the admins the users and their
roles (the twin of the web's /accounts/users/ pages).

The three-admin separation (三员分立) holds exactly as on the web, because the same services
decide: the system admin lists and creates users but grants nothing; the security admin
lists users and grants and revokes roles (never to himself, never a second admin duty to
anyone); the audit admin does neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI

from . import selectors, services
from .models import Role, RoleAssignment, User
from .permissions import is_security_admin, is_system_admin
from .scopes import assignments_of
from .services import login_check, token_issue

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = "api"


class TokenOut(Schema):
    token: str
    expires_at: datetime


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
def issue_token(request: HttpRequest, body: TokenIn) -> tuple[int, dict[str, Any]]:
    user = login_check(request=request, identifier=body.username, password=body.password)
    token, raw = token_issue(user=user, name=body.name)
    return 200, {"token": raw, "expires_at": token.expires_at}


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
                "scope": str(a.region or a.department or a.enterprise or a.chamber or ""),
            }
            for a in assignments_of(user)
        ],
    }


class PasswordChangeIn(Schema):
    old_password: str = Field(..., max_length=128, description="原密码")
    new_password: str = Field(..., max_length=128, description="新密码（须符合密码规则）")


@router.post(
    "/me/password",
    response={204: None, 401: Error, 422: Error},
    summary="修改本人密码（须输入原密码）",
)
def password_change(request: HttpRequest, body: PasswordChangeIn) -> tuple[int, None]:
    services.password_change(
        actor=_caller(request), old_password=body.old_password, new_password=body.new_password
    )
    return 204, None


# --- users and roles, for the system and security admins ------------------------------------
class AccountsRoleGrantOut(Schema):
    id: int
    user_id: int
    role: str
    role_label: str
    scope: str
    region_id: int | None
    department_id: int | None
    enterprise_id: int | None
    chamber_id: int | None
    granted_by: str
    granted_at: str


class AccountsUserOut(Schema):
    id: int
    username: str
    display_name: str
    title: str
    is_active: bool
    locked: bool
    roles: list[AccountsRoleGrantOut]


class AccountsUserPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[AccountsUserOut]


class AccountsUserFilters(Schema):
    q: str = Field("", max_length=150, description="按用户名、姓名或手机号搜索")
    role: Role | None = None
    page: int = Field(1, ge=1)


class AccountsUserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str | None = Field(
        None, max_length=128, description="初始密码（须符合密码规则）；不填则账户暂不能登录"
    )
    display_name: str = Field("", max_length=64)
    phone: str | None = Field(None, max_length=20)
    title: str = Field("", max_length=64)
    email: str = Field("", max_length=254)


class AccountsRoleGrantIn(Schema):
    role: Role
    region_code: str = Field(
        "", max_length=32, description="区域角色（管家、协调员、干部、监督员）"
    )
    department_id: int | None = Field(None, description="部门经办人")
    enterprise_uscc: str = Field("", max_length=18, description="企业用户、观察员")
    chamber_id: int | None = Field(None, description="商会联络员")


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _admin(request: HttpRequest) -> Any:
    """The web's rule for the user pages: the system admin or the security admin."""
    user = _caller(request)
    if not (is_system_admin(user) or is_security_admin(user)):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    return user


def _when(moment: Any) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _grant(a: RoleAssignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "user_id": a.user_id,
        "role": a.role,
        "role_label": str(a.get_role_display()),
        "scope": str(a.region or a.department or a.enterprise or a.chamber or ""),
        "region_id": a.region_id,
        "department_id": a.department_id,
        "enterprise_id": a.enterprise_id,
        "chamber_id": a.chamber_id,
        "granted_by": str(a.granted_by) if a.granted_by else "",
        "granted_at": _when(a.granted_at),
    }


def _user_out(u: User) -> dict[str, Any]:
    grants = RoleAssignment.objects.filter(user=u).select_related(
        "region", "department", "enterprise", "chamber", "granted_by"
    )
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "title": u.title,
        "is_active": u.is_active,
        "locked": u.is_locked(),
        "roles": [_grant(a) for a in grants.order_by("pk")],
    }


def _target(user_id: int) -> User:
    target = selectors.users_for_admin().filter(pk=user_id).first()
    if target is None:
        raise HttpError(404, "not found")
    return target


def _scope(body: AccountsRoleGrantIn) -> dict[str, Any]:
    """The scope objects named in the body, looked up like the web form does (422 if absent)."""
    from qinqing.directory.models import Chamber, Department, Enterprise, Region

    scope: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if body.region_code.strip():
        scope["region"] = Region.objects.filter(code=body.region_code.strip()).first()
        if scope["region"] is None:
            errors["region_code"] = [_("找不到该区域编码。")]
    if body.department_id is not None:
        scope["department"] = Department.objects.filter(pk=body.department_id).first()
        if scope["department"] is None:
            errors["department_id"] = [_("找不到该部门。")]
    if body.enterprise_uscc.strip():
        uscc = body.enterprise_uscc.strip().upper()
        scope["enterprise"] = Enterprise.objects.filter(uscc=uscc).first()
        if scope["enterprise"] is None:
            errors["enterprise_uscc"] = [_("找不到该企业。")]
    if body.chamber_id is not None:
        scope["chamber"] = Chamber.objects.filter(pk=body.chamber_id).first()
        if scope["chamber"] is None:
            errors["chamber_id"] = [_("找不到该商会。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    return scope


@router.get(
    "/users",
    response={200: AccountsUserPage, 401: Error, 403: Error, 422: Error},
    summary="用户及其角色（系统管理员、安全管理员）",
)
def user_list(request: HttpRequest, filters: Query[AccountsUserFilters]) -> dict[str, Any]:
    _admin(request)
    qs = selectors.users_for_admin(
        query=filters.q.strip(), role=filters.role.value if filters.role else ""
    )
    current = paginate(qs, filters.page)
    return {
        **page_fields_next(current, request),
        "items": [_user_out(u) for u in current.object_list],
    }


@router.post(
    "/users",
    response={201: AccountsUserOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="新建用户（只有系统管理员；角色由安全管理员另行授予）；用户名或手机号已存在返回409",
)
def user_create(
    request: HttpRequest, response: HttpResponse, body: AccountsUserIn
) -> tuple[int, dict[str, Any]]:
    user = services.user_create(
        actor=_caller(request),
        username=body.username,
        password=body.password,
        display_name=body.display_name.strip(),
        phone=(body.phone or "").strip() or None,
        title=body.title.strip(),
        email=body.email.strip(),
    )
    response["Location"] = f"/api/v1/users/{user.pk}"
    return 201, _user_out(user)


@router.get(
    "/users/{user_id}",
    response={200: AccountsUserOut, 401: Error, 403: Error, 404: Error},
    summary="一个用户及其角色（系统管理员、安全管理员）",
)
def user_get(request: HttpRequest, user_id: int) -> dict[str, Any]:
    _admin(request)
    return _user_out(_target(user_id))


@router.post(
    "/users/{user_id}/roles",
    response={
        201: AccountsRoleGrantOut,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        422: Error,
    },
    summary="授予角色（只有安全管理员；不能授予自己；同一账户不能兼任两种管理员角色，返回409）",
)
def role_grant(
    request: HttpRequest, response: HttpResponse, user_id: int, body: AccountsRoleGrantIn
) -> tuple[int, dict[str, Any]]:
    actor = _admin(request)
    target = _target(user_id)
    assignment = services.role_grant(actor=actor, user=target, role=body.role.value, **_scope(body))
    response["Location"] = f"/api/v1/roles/{assignment.pk}"
    return 201, _grant(assignment)


@router.get(
    "/roles/{assignment_id}",
    response={200: AccountsRoleGrantOut, 401: Error, 403: Error, 404: Error},
    summary="一项角色授予（系统管理员、安全管理员）",
)
def role_get(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    _admin(request)
    assignment = RoleAssignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        raise HttpError(404, "not found")
    return _grant(assignment)


@router.delete(
    "/roles/{assignment_id}",
    response={204: None, 401: Error, 403: Error, 404: Error},
    summary="撤销角色（只有安全管理员）",
)
def role_revoke(request: HttpRequest, assignment_id: int) -> tuple[int, None]:
    actor = _admin(request)
    assignment = RoleAssignment.objects.select_related("user").filter(pk=assignment_id).first()
    if assignment is None:
        raise HttpError(404, "not found")
    services.role_revoke(actor=actor, assignment=assignment)
    return 204, None
