from django.urls import include, path

from . import views

app_name = "outreach"
urlpatterns = [
    path("", views.index, name="index"),
    path("visits/", include("qinqing.outreach.visit_urls")),
    path("meetings/", include("qinqing.outreach.meeting_urls")),
    path("liaison/", include("qinqing.outreach.liaison_urls")),
]
