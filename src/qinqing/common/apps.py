from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "qinqing.common"
    label = "common"
    verbose_name = "通用"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
        from .controlchars import install_form_guard

        install_form_guard()  # every form field refuses control characters
