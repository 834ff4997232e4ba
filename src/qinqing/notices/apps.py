from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "qinqing.notices"
    label = "notices"
    verbose_name = "信息发布"
