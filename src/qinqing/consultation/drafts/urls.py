from django.urls import path

from . import views

app_name = "drafts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="new"),
    path("public/", views.public_list, name="public_list"),
    path("public/<int:draft_id>/", views.public_detail, name="public"),
    path("<int:draft_id>/", views.detail, name="detail"),
    path("<int:draft_id>/edit/", views.edit, name="edit"),
    path("<int:draft_id>/open/", views.open_draft, name="open"),
    path("<int:draft_id>/comments/", views.comment, name="comment"),
    path("<int:draft_id>/comments/<int:comment_id>/answer/", views.answer, name="answer"),
    path("<int:draft_id>/close/", views.close, name="close"),
    path("<int:draft_id>/final/", views.finalize, name="final"),
]
