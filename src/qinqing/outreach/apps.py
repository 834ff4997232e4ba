from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "qinqing.outreach"
    label = "outreach"
    verbose_name = "走访联系"

    def ready(self) -> None:
        from qinqing.common.deadline_recompute import register

        register("outreach", "qinqing.outreach.deadlines.recompute_deadlines")
