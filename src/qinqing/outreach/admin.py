from django.contrib import admin

from qinqing.common.admin import SystemAdminOnly

from .models import ServiceGroup


@admin.register(ServiceGroup)
class ServiceGroupAdmin(SystemAdminOnly):
    list_display = ("name", "region")
    filter_horizontal = ("departments",)
