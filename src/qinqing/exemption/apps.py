from django.apps import AppConfig


class ExemptionConfig(AppConfig):
    name = "qinqing.exemption"
    label = "exemption"
    verbose_name = "容错免责"
