from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "qinqing.inbox"
    label = "inbox"
    verbose_name = "站内消息"
