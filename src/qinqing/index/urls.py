from django.urls import URLPattern, URLResolver

app_name = "index"

urlpatterns: list[URLPattern | URLResolver] = []
