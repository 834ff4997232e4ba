from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.index, name="index"),
    path("archive/", views.archive, name="archive"),
    path("new/", views.create, name="new"),
    path("<int:notice_id>/", views.detail, name="detail"),
    path("<int:notice_id>/edit/", views.edit, name="edit"),
    path("<int:notice_id>/publish/", views.publish, name="publish"),
    path("<int:notice_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:notice_id>/pin/", views.pin, name="pin"),
    path("<int:notice_id>/attachments/", views.attach, name="attach"),
    path("<int:notice_id>/receipts/", views.receipts, name="receipts"),
    path("<int:notice_id>/receipts.xlsx", views.export, name="export"),
    path(
        "<int:notice_id>/receipts/<int:enterprise_id>/explain/",
        views.explain,
        name="explain",
    ),
    path("files/<int:file_id>/", views.download, name="file"),
]
