from django.urls import path

from . import stats_views

app_name = "stats"

urlpatterns = [
    path("", stats_views.public_stats, name="public"),
    path("export.xlsx", stats_views.export_xlsx, name="export"),
    path("dashboard/", stats_views.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", stats_views.dashboard_export, name="dashboard_export"),
]
