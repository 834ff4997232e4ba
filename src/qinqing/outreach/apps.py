from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "qinqing.outreach"
    label = "outreach"
    verbose_name = "走访联系"
