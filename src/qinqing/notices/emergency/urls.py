from django.urls import URLPattern, URLResolver

app_name = "emergency"

urlpatterns: list[URLPattern | URLResolver] = []
