from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qinqing.api"
    label = "api"
    verbose_name = "API"
