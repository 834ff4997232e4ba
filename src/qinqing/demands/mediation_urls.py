from django.urls import path

from . import mediation_views as views

app_name = "mediation"
urlpatterns = [
    path("", views.mediation_list, name="list"),
    path("new/", views.mediation_open_view, name="open"),
    path("<int:case_id>/", views.mediation_detail_view, name="detail"),
    path("<int:case_id>/agreement/", views.mediation_agreement, name="agreement"),
]
