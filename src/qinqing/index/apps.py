from django.apps import AppConfig


class IndexConfig(AppConfig):
    name = "qinqing.index"
    label = "index"
    verbose_name = "亲清指数"
