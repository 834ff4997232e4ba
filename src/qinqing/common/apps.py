from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "qinqing.common"
    label = "common"
    verbose_name = "通用"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from . import checks  # noqa: F401  (registers the deployment checks)

        # Pillow's own guard at the uploads' cap: it warns above it and refuses at twice it,
        # wherever an image is opened (the upload check refuses above the cap itself)
        Image.MAX_IMAGE_PIXELS = int(settings.UPLOAD_MAX_IMAGE_PIXELS)

        from .controlchars import install_form_guard

        install_form_guard()  # every form field refuses control characters
