from django.urls import path

from . import meeting_views as views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("export/", views.meeting_export, name="export"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar.ics", views.my_ical, name="my_ical"),
    path("feed/<int:user_id>/<str:token>.ics", views.feed, name="feed"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>.ics", views.meeting_ical, name="ical"),
    path("<int:meeting_id>/edit/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:meeting_id>/invite/", views.meeting_invite, name="invite"),
    path("<int:meeting_id>/minutes/", views.meeting_minutes, name="minutes"),
    path("<int:meeting_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path(
        "invitations/<int:invitation_id>/register/",
        views.invitation_register,
        name="register",
    ),
    path(
        "invitations/<int:invitation_id>/decline/",
        views.invitation_decline,
        name="decline",
    ),
    path(
        "invitations/<int:invitation_id>/check-in/",
        views.invitation_check_in,
        name="check_in",
    ),
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path(
        "follow-ups/<int:follow_up_id>/demand/",
        views.follow_up_demand,
        name="follow_up_demand",
    ),
    path("pairings/", views.pairing_list, name="pairings"),
    path("pairings/export/", views.pairing_export, name="pairing_export"),
    path("pairings/<int:pairing_id>/", views.pairing_detail, name="pairing_detail"),
]
