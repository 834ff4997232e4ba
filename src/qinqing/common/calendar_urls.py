from django.urls import path

from . import calendar_views

app_name = "calendar"
urlpatterns = [
    path("", calendar_views.calendar_days, name="days"),
    path("delete/", calendar_views.calendar_day_delete, name="delete"),
]
