from django.urls import URLPattern, URLResolver

app_name = "relations"

urlpatterns: list[URLPattern | URLResolver] = []
