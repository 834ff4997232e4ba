from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "qinqing.integrity.relations"
    label = "relations"
    verbose_name = "关系图谱"
