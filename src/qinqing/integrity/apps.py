from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "qinqing.integrity"
    label = "integrity"
    verbose_name = "廉情监督"
