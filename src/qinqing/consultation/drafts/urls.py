from django.urls import URLPattern, URLResolver

app_name = "drafts"

urlpatterns: list[URLPattern | URLResolver] = []
