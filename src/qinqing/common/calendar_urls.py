from django.urls import path

from . import calendar_views

app_name = "calendar"
urlpatterns = [
    path("", calendar_views.calendar_days, name="days"),
    path("delete/", calendar_views.calendar_day_delete, name="delete"),
    path("notices/", calendar_views.calendar_notice_import, name="notice_import"),
    path(
        "notices/<int:notice_id>/confirm/",
        calendar_views.calendar_notice_confirm,
        name="notice_confirm",
    ),
    path(
        "notices/<int:notice_id>/withdraw/",
        calendar_views.calendar_notice_withdraw,
        name="notice_withdraw",
    ),
]
