from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "relations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/relatives/", views.relative_add, name="relative_add"),
    path("people/<int:person_id>/firms/", views.firm_add, name="firm_add"),
    path(
        "people/<int:person_id>/<str:kind>/<int:relation_id>/end/",
        views.relation_end,
        name="relation_end",
    ),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("candidates/", views.candidate_list, name="candidate_list"),
    path("candidates/<int:candidate_id>/", views.candidate_decide, name="candidate_decide"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
]
