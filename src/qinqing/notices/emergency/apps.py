from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "qinqing.notices.emergency"
    label = "emergency"
    verbose_name = "协同监测"
