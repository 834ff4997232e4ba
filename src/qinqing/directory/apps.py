from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "qinqing.directory"
    label = "directory"
    verbose_name = "名录"
