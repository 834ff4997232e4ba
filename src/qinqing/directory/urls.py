from django.urls import path

from . import views, views_io

app_name = "directory"
urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/export/", views_io.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_detail, name="enterprise_detail"),
    path("regions/", views.region_tree, name="region_tree"),
    path("homes/", views.home_list, name="home_list"),
    path("import/", views_io.import_view, name="import"),
    path("import/template/<slug:kind>/", views_io.import_template, name="import_template"),
    path("people/export/", views_io.people_export, name="people_export"),
]
