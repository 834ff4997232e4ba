"""Every write about users, roles, logins and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError

from .backends import find_user
from .models import (
    ADMIN_ROLES,
    CHAMBER_ROLES,
    DEPARTMENT_ROLES,
    ENTERPRISE_ROLES,
    REGION_ROLES,
    ApiToken,
    Role,
    RoleAssignment,
    User,
)
from .permissions import is_security_admin, is_system_admin
from .scopes import forget_assignments, primary_role


class LoginFailed(ServiceError):
    code = "login_failed"
    status = 401


def login_check(*, request: HttpRequest | None, identifier: str, password: str) -> User:
    """Authenticate or raise LoginFailed with a message that says what to do."""
    user = authenticate(request, username=identifier, password=password)
    if user is not None:
        with transaction.atomic():
            record(actor=user, action="user.login", obj=user, role=primary_role(user))
        return user
    known = find_user(identifier)
    if known is not None and known.is_locked():
        local = timezone.localtime(known.locked_until)
        raise LoginFailed(
            _("登录失败次数过多，账户已锁定，请于 %(time)s 后再试。")
            % {"time": local.strftime("%H:%M")}
        )
    if known is not None and not known.is_active:
        raise LoginFailed(_("该账户已停用，请联系系统管理员。"))
    raise LoginFailed(_("用户名/手机号或密码错误。"))


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted(_("您没有执行此操作的权限。"))


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field_errors={"password": exc.messages}) from exc


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str | None = None,
    title: str = "",
    email: str = "",
) -> User:
    """Create a user. ``actor`` None means the command line bootstrap (createadmin, demo)."""
    if actor is not None:
        _require(is_system_admin(actor))
    username = username.strip()
    if not username:
        raise ServiceError(_("请填写用户名。"), field_errors={"username": [_("必填。")]})
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名“%(name)s”已存在。") % {"name": username})
    if phone and User.objects.filter(phone=phone).exists():
        raise Conflict(_("手机号已被其他账户使用。"))
    user = User(
        username=username,
        display_name=display_name,
        phone=phone or None,
        title=title,
        email=email,
    )
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={"username": username, "display_name": display_name},
    )
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> None:
    _require(actor.pk == user.pk or is_system_admin(actor))
    _check_password(password, user)
    user.set_password(password)
    user.failed_login_count, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_login_count", "locked_until"])
    record(actor=actor, action="user.set_password", obj=user)


def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    """The actor changes his own password: the old one first, then the password rules.

    Field errors name ``old_password`` (wrong) or ``new_password`` (too weak)."""
    if not actor.check_password(old_password):
        message = _("原密码不正确。")
        raise ServiceError(message, field_errors={"old_password": [message]})
    try:
        user_set_password(actor=actor, user=actor, password=new_password)
    except ServiceError as exc:
        raise ServiceError(
            exc.message, field_errors={"new_password": exc.field_errors.get("password", [])}
        ) from exc


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    _require(is_system_admin(actor))
    if actor.pk == user.pk and not active:
        raise ServiceError(_("不能停用自己的账户。"))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(
        actor=actor,
        action="user.deactivate" if not active else "user.update",
        obj=user,
        changes={"is_active": active},
    )
    return user


def _scope_error(
    role: str, region: Any, department: Any, enterprise: Any, chamber: Any = None
) -> str | None:
    given = {
        "region": region is not None,
        "department": department is not None,
        "enterprise": enterprise is not None,
        "chamber": chamber is not None,
    }
    needed = (
        "region"
        if role in REGION_ROLES
        else "enterprise"
        if role in ENTERPRISE_ROLES
        else "department"
        if role in DEPARTMENT_ROLES
        else "chamber"
        if role in CHAMBER_ROLES
        else None
    )
    if needed is None and any(given.values()):
        return _("管理员角色不限定范围，请勿选择区域、部门或企业。")
    if needed and (not given[needed] or sum(given.values()) != 1):
        labels = {
            "region": _("区域"),
            "department": _("部门"),
            "enterprise": _("企业"),
            "chamber": _("商会"),
        }
        return _("角色“%(role)s”须且只须指定一个%(scope)s。") % {
            "role": Role(role).label,
            "scope": labels[needed],
        }
    return None


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    region: Any = None,
    department: Any = None,
    enterprise: Any = None,
    chamber: Any = None,
) -> RoleAssignment:
    """Grant a role. Only the security admin may; no one holds two admin duties."""
    if actor is not None:
        _require(is_security_admin(actor))
        if actor.pk == user.pk:
            raise NotPermitted(_("不能给自己授予角色。"))
    if role not in Role.values:
        raise ServiceError(_("未知角色：%(role)s。") % {"role": role})
    error = _scope_error(role, region, department, enterprise, chamber)
    if error:
        raise ServiceError(error)
    if role in ADMIN_ROLES:
        other_admin = (
            RoleAssignment.objects.filter(user=user, role__in=[r.value for r in ADMIN_ROLES])
            .exclude(role=role)
            .exists()
        )
        if other_admin:
            raise Conflict(_("三员分立：同一账户不能同时担任两种管理员角色。"))
    duplicate = RoleAssignment.objects.filter(
        user=user,
        role=role,
        region=region,
        department=department,
        enterprise=enterprise,
        chamber=chamber,
    ).exists()
    if duplicate:
        raise Conflict(_("该用户已拥有此角色和范围。"))
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user,
                role=role,
                region=region,
                department=department,
                enterprise=enterprise,
                chamber=chamber,
                granted_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("该用户已拥有此角色和范围。")) from exc
    if role == Role.SYSTEM_ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_assignments(user)
    record(
        actor=actor,
        action="role.grant",
        obj=user,
        changes={"role": role, "scope": str(region or department or enterprise or chamber or "")},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment) -> None:
    _require(is_security_admin(actor))
    user = assignment.user
    changes = {"role": assignment.role, "scope": str(assignment)}
    assignment.delete()
    if assignment.role == Role.SYSTEM_ADMIN:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_assignments(user)
    record(actor=actor, action="role.revoke", obj=user, changes=changes)


@transaction.atomic
def token_issue(*, user: User, name: str = "api") -> tuple[ApiToken, str]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:64],
        digest=ApiToken.hash(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    record(actor=user, action="token.issue", obj=user, changes={"prefix": token.prefix})
    return token, raw
