from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "integrity"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("lists/", views.lists, name="lists"),
    path("lists/<str:code>/", views.item_detail, name="item"),
    path("lists/<str:code>/edit/", views.item_edit, name="item_edit"),
    path("filings/", views.filing_list, name="filing_list"),
    path("filings/new/", views.filing_new, name="filing_new"),
    path("filings/export/", views.filing_export, name="filing_export"),
    path("filings/<int:filing_id>/", views.filing_detail, name="filing"),
    path("gifts/<int:gift_id>/hand-in/", views.gift_hand_in, name="gift_hand_in"),
    path("approvals/", views.approvals, name="approvals"),
    path("registers/gifts/", views.gift_register, name="gift_register"),
    path("registers/missing/", views.missing_register, name="missing_register"),
    path("clean/", views.clean_public, name="clean_public"),
    path("clean/self/", views.clean_self, name="clean_self"),
    path("clean/reviews/", views.clean_reviews, name="clean_reviews"),
    path("clean/reviews/<int:assessment_id>/", views.clean_review, name="clean_review"),
    path("clean/files/<int:file_id>/", views.clean_file, name="clean_file"),
]
