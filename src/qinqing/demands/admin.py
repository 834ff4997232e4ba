from __future__ import annotations

from django.contrib import admin

from qinqing.common.admin import SystemAdminOnly

from .models import Category, RoutingRule


@admin.register(Category)
class CategoryAdmin(SystemAdminOnly):
    audit_action = "category"
    list_display = (
        "code",
        "name",
        "parent",
        "acceptance_days",
        "response_days",
        "resolution_days",
        "active",
    )
    list_filter = ("active",)
    search_fields = ("code", "name")


@admin.register(RoutingRule)
class RoutingRuleAdmin(SystemAdminOnly):
    audit_action = "routing"
    list_display = ("region", "category", "department", "updated_at")
    list_select_related = ("region", "category", "department")
    raw_id_fields = ("region", "department")
