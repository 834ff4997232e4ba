"""Liaison pages under /outreach/liaison/: activities, service groups, chambers, judicial
safeguards and observers (names ``outreach:liaison:<name>``)."""

from django.urls import path

from . import liaison_views as views

app_name = "liaison"
urlpatterns = [
    # 活动参与
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity_detail"),
    path(
        "activities/<int:activity_id>/register/", views.activity_register, name="activity_register"
    ),
    path("activities/<int:activity_id>/export/", views.activity_export, name="activity_export"),
    path(
        "registrations/<int:registration_id>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "registrations/<int:registration_id>/check-in/",
        views.registration_check_in,
        name="registration_check_in",
    ),
    path(
        "registrations/<int:registration_id>/feedback/",
        views.registration_feedback,
        name="registration_feedback",
    ),
    # 靶向服务团
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/ask/", views.group_ask, name="group_ask"),
    path("group-requests/", views.group_request_list, name="group_request_list"),
    path(
        "group-requests/<int:request_id>/",
        views.group_request_detail,
        name="group_request_detail",
    ),
    # 商会对接
    path("chambers/", views.chamber_list, name="chamber_list"),
    path("chambers/<int:chamber_id>/", views.chamber_detail, name="chamber_detail"),
    path("chambers/<int:chamber_id>/consent/", views.consent_grant, name="consent_grant"),
    path("consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent_revoke"),
    # 司法保障
    path("legal/", views.legal_list, name="legal_list"),
    path("legal/new/", views.legal_create, name="legal_create"),
    path("legal/statistics/", views.legal_stats, name="legal_stats"),
    path("legal/<int:request_id>/", views.legal_detail, name="legal_detail"),
    # 亲清观察员
    path("observer/", views.observer_home, name="observer_home"),
    path("observer/<int:enterprise_id>/", views.observer_firm, name="observer_firm"),
    path("feedback/", views.feedback_list, name="feedback_list"),
]
