"""Django admin for back-office staff: only the system admin, and every save is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from qinqing.accounts.permissions import is_system_admin
from qinqing.audit.actions import ACTIONS
from qinqing.audit.services import record


class SystemAdminOnly(admin.ModelAdmin):
    audit_action = ""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_system_admin(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(is_system_admin(request.user))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(is_system_admin(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(is_system_admin(request.user))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records are deactivated by services, never deleted by hand

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = f"{self.audit_action}.{'update' if change else 'create'}"
            if action in ACTIONS:
                record(
                    actor=request.user,
                    action=action,
                    obj=obj,
                    changes={"fields": list(form.changed_data)},
                )
