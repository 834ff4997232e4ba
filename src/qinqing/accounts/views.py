from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.common.errors import ServiceError
from qinqing.common.pagination import paginate
from qinqing.directory.models import Chamber, Department, Enterprise, Region

from . import selectors, services
from .forms import GrantForm, LoginForm, PasswordChangeForm
from .models import Role, RoleAssignment, User
from .permissions import is_security_admin, is_system_admin


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_check(
                request=request,
                identifier=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.LoginFailed as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="qinqing.accounts.backends.PhoneOrUsernameBackend")
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = ""
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("accounts:login")


@login_required
def password_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ServiceError as exc:
            field = "old_password" if "old_password" in exc.field_errors else "new_password"
            form.add_error(field, exc.message)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("home")
    return render(request, "accounts/password.html", {"form": form})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    if not (is_system_admin(request.user) or is_security_admin(request.user)):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    page = paginate(selectors.users_for_admin(query=query, role=role), request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": query, "role": role, "roles": Role.choices},
    )


def _scope_objects(form: GrantForm) -> dict[str, Any]:
    data = form.cleaned_data
    scope: dict[str, Any] = {}
    if data.get("region_code"):
        region = Region.objects.filter(code=data["region_code"].strip()).first()
        if region is None:
            form.add_error("region_code", _("找不到该区域编码。"))
        scope["region"] = region
    if data.get("department_id"):
        department = Department.objects.filter(pk=data["department_id"]).first()
        if department is None:
            form.add_error("department_id", _("找不到该部门。"))
        scope["department"] = department
    if data.get("enterprise_uscc"):
        enterprise = Enterprise.objects.filter(uscc=data["enterprise_uscc"].strip().upper()).first()
        if enterprise is None:
            form.add_error("enterprise_uscc", _("找不到该企业。"))
        scope["enterprise"] = enterprise
    if data.get("chamber_id"):
        chamber = Chamber.objects.filter(pk=data["chamber_id"]).first()
        if chamber is None:
            form.add_error("chamber_id", _("找不到该商会。"))
        scope["chamber"] = chamber
    return scope


@login_required
def user_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    if not (is_system_admin(request.user) or is_security_admin(request.user)):
        raise PermissionDenied
    target = get_object_or_404(selectors.users_for_admin(), pk=user_id)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scope = _scope_objects(form)
        if not form.errors:
            try:
                services.role_grant(
                    actor=request.user,  # type: ignore[arg-type]
                    user=target,
                    role=form.cleaned_data["role"],
                    **scope,
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已授予角色。"))
                return redirect("accounts:user_roles", user_id=target.pk)
    return render(
        request,
        "accounts/user_roles.html",
        {
            "target": target,
            "form": form,
            "assignments": target.role_assignments.all(),
            "can_grant": is_security_admin(request.user),
        },
    )


@login_required
@require_POST
def role_revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user"), pk=assignment_id)
    try:
        services.role_revoke(actor=request.user, assignment=assignment)  # type: ignore[arg-type]
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销角色。"))
    return redirect("accounts:user_roles", user_id=assignment.user_id)
