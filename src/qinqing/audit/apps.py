from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qinqing.audit"
    label = "audit"
    verbose_name = "审计"
