from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "qinqing.consultation"
    label = "consultation"
    verbose_name = "意见征询"
