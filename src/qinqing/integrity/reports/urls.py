from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("new/", views.report_new, name="new"),
    path("receipt/", views.receipt_check, name="receipt"),
    path("receipt/follow-up/", views.receipt_follow_up, name="follow_up"),
    path("receipt/files/<int:file_id>/", views.receipt_file, name="receipt_file"),
    path("export/", views.export, name="export"),
    path("unlock/", views.unlock, name="unlock"),
    path("watch/", views.watch, name="watch"),
    path("notes/", views.notes, name="notes"),
    path("notes/new/", views.note_new, name="note_new"),
    path("<int:report_id>/", views.detail, name="detail"),
    path("<int:report_id>/act/", views.act, name="act"),
    path("<int:report_id>/assign/", views.assign, name="assign"),
    path("<int:report_id>/unassign/<int:user_id>/", views.unassign, name="unassign"),
    path("<int:report_id>/reply/", views.reply, name="reply"),
    path("<int:report_id>/identity/", views.identity, name="identity"),
    path("<int:report_id>/files/<int:file_id>/", views.file, name="file"),
]
