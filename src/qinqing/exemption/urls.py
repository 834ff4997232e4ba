from django.urls import URLPattern, URLResolver

app_name = "exemption"

urlpatterns: list[URLPattern | URLResolver] = []
