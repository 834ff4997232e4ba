from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qinqing.integrity.reports"
    label = "reports"
    verbose_name = "举报与调查"

    def ready(self) -> None:
        from . import keyring  # noqa: F401  (connects the login and logout receivers)
