from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "qinqing.notices.matching"
    label = "matching"
    verbose_name = "供需对接"
