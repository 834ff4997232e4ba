from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "qinqing.demands"
    label = "demands"
    verbose_name = "诉求办理"

    def ready(self) -> None:
        from qinqing.common.deadline_recompute import register

        register("demands", "qinqing.demands.deadlines.recompute_deadlines")
