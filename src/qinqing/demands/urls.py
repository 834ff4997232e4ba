from django.urls import path

from . import views

app_name = "demands"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/", views.demand_list, name="list"),
    path("cases/export/", views.demand_export, name="export"),
    path("inbox/", views.inbox, name="inbox"),
    path("board/", views.board, name="board"),
    path("overview/", views.overview, name="overview"),
    path("routing/", views.routing, name="routing"),
    path("routing/remove/", views.routing_remove, name="routing_remove"),
    path("new/", views.submit, name="submit"),
    path("new/steward/", views.submit_steward, name="submit_steward"),
    path("new/phone/", views.submit_phone, name="submit_phone"),
    path("new/chamber/", views.submit_chamber, name="submit_chamber"),
    path("<int:demand_id>/", views.detail, name="detail"),
    path("<int:demand_id>/submitted/", views.submitted, name="submitted"),
    path("<int:demand_id>/act/", views.act, name="act"),
    path("<int:demand_id>/note/", views.note, name="note"),
    path("<int:demand_id>/supervise/", views.supervise, name="supervise"),
    path("<int:demand_id>/assist/", views.assist, name="assist"),
    path(
        "<int:demand_id>/assists/<int:assist_id>/reply/",
        views.assist_reply,
        name="assist_reply",
    ),
    path("<int:demand_id>/extension/", views.extension, name="extension"),
    path(
        "<int:demand_id>/extensions/<int:extension_id>/decide/",
        views.extension_decide,
        name="extension_decide",
    ),
    path("<int:demand_id>/merge/", views.merge, name="merge"),
    path("<int:demand_id>/attachments/", views.attach, name="attach"),
    path(
        "<int:demand_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
