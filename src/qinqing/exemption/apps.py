from django.apps import AppConfig


class ExemptionConfig(AppConfig):
    name = "qinqing.exemption"
    label = "exemption"
    verbose_name = "容错免责"

    def ready(self) -> None:
        from qinqing.common.deadline_recompute import register

        register("exemption", "qinqing.exemption.deadlines.recompute_deadlines")
