from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qinqing.common.admin import SystemAdminOnly as AuditedAdmin

from .models import Chamber, ChamberMembership, Department, Enterprise, Pairing, Region, ServiceHome


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # moving a region rewrites paths; done by a service, not by hand


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    audit_action = "enterprise"
    list_display = (
        "name",
        "uscc",
        "legal_representative",
        "industry_section",
        "above_scale",
        "grid",
    )
    list_filter = ("industry_section", "above_scale")
    search_fields = ("name", "uscc", "legal_representative")
    raw_id_fields = ("grid",)
    list_select_related = ("grid",)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    audit_action = "department"
    list_display = ("name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("name",)
    list_select_related = ("region",)


@admin.register(ServiceHome)
class ServiceHomeAdmin(AuditedAdmin):
    audit_action = "home"
    list_display = ("name", "level", "region", "operator", "floor_area")


class MembershipInline(admin.TabularInline):
    model = ChamberMembership
    raw_id_fields = ("enterprise",)
    extra = 0


@admin.register(Chamber)
class ChamberAdmin(AuditedAdmin):
    audit_action = "chamber"
    list_display = ("name", "region")
    inlines = [MembershipInline]


@admin.register(Pairing)
class PairingAdmin(AuditedAdmin):
    audit_action = "pairing"
    list_display = ("official", "enterprise", "started_on", "contacts_per_quarter")
    raw_id_fields = ("official", "enterprise")
