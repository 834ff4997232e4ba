"""协同监测 pages under /emergency/ (URL names ``emergency:<name>``)."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "emergency"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("new/", views.declare, name="declare"),
    path("<int:emergency_id>/", views.detail, name="detail"),
    path("<int:emergency_id>/end/", views.end, name="end"),
    path("<int:emergency_id>/report/", views.report, name="report"),
    path("<int:emergency_id>/missing/", views.missing, name="missing"),
    path("<int:emergency_id>/needs/", views.needs, name="needs"),
    path("<int:emergency_id>/export/", views.export, name="export"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/demand/", views.need_to_demand, name="need_to_demand"),
]
