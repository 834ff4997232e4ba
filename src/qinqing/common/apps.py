from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "qinqing.common"
    label = "common"
    verbose_name = "通用"
