from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qinqing.common.admin import SystemAdminOnly

from .models import RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ("role", "region", "department", "enterprise", "granted_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # roles are granted by the security admin on the roles page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(SystemAdminOnly):
    audit_action = "user"
    list_display = ("username", "display_name", "phone", "is_active", "locked_until")
    search_fields = ("username", "display_name", "phone")
    list_filter = ("is_active",)
    fields = ("username", "display_name", "phone", "title", "email", "is_active", "locked_until")
    readonly_fields = ("username",)
    inlines = [RoleInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # users are created through the user service (import or createadmin)
