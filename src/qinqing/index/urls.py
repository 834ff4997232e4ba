from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "index"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.ranking, name="ranking"),
    path("methodology/", views.methodology, name="methodology"),
    path("staff/", views.staff, name="staff"),
    path("staff/runs/<int:run_id>/", views.run_detail, name="run"),
    path("<str:period>/<str:level>/", views.ranking, name="ranking_period"),
    path("<str:period>/<str:level>/report/", views.report, name="report"),
    path("<str:period>/<str:level>/regions/<str:code>/", views.region, name="region"),
    path("<str:period>/<str:level>/<str:name>", views.download, name="download"),
]
