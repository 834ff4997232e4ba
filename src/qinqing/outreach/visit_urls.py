"""走访 pages under /outreach/visits/ (URL names ``outreach:visits:<name>``)."""

from django.urls import path

from . import visit_views

app_name = "visits"
urlpatterns = [
    path("", visit_views.my_month, name="my_month"),
    path("summary/", visit_views.summary, name="summary"),
    path("new/", visit_views.visit_new, name="new"),
    path("records/", visit_views.visit_list, name="list"),
    path("records/export/", visit_views.visit_export, name="export"),
    path("<int:visit_id>/", visit_views.visit_detail, name="detail"),
    path("files/<int:file_id>/", visit_views.visit_file, name="file"),
    path("coverage/", visit_views.coverage, name="coverage"),
    path("rules/", visit_views.rules, name="rules"),
]
