from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "exemption"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("new/", views.apply, name="apply"),
    path("applications/", views.application_list, name="list"),
    path("applications/export/", views.application_export, name="export"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<int:application_id>/case/", views.case_draft, name="case_draft"),
    path("<int:application_id>/<slug:action>/", views.act, name="act"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("cases/", views.library, name="library"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/edit/", views.case_edit, name="case_edit"),
    path("stats/", views.stats, name="stats"),
    path("stats/export/", views.stats_export, name="stats_export"),
]
