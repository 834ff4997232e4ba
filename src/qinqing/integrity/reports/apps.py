from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "qinqing.integrity.reports"
    label = "reports"
    verbose_name = "举报与调查"

    def ready(self) -> None:
        from qinqing.common.deadline_recompute import register

        from . import keyring  # noqa: F401  (connects the login and logout receivers)

        register("reports", "qinqing.integrity.reports.deadlines.recompute_deadlines")
