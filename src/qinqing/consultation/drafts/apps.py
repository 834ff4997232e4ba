from django.apps import AppConfig


class DraftsConfig(AppConfig):
    name = "qinqing.consultation.drafts"
    label = "drafts"
    verbose_name = "政策草案征求意见"
