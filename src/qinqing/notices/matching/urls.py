"""供需对接 pages under /matching/ (URL names ``matching:<name>``)."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "matching"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("new/", views.listing_new, name="new"),
    path("<int:listing_id>/", views.listing_detail, name="listing"),
    path("<int:listing_id>/close/", views.listing_close, name="close"),
    path("<int:listing_id>/propose/", views.propose, name="propose"),
    path("matches/", views.my_matches, name="matches"),
    path("matches/<int:match_id>/", views.match_detail, name="match"),
    path("matches/<int:match_id>/<slug:action>/", views.match_act, name="match_act"),
    path("summary/", views.summary, name="summary"),
    path("export/", views.export, name="export"),
]
