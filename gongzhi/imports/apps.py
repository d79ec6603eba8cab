from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "gongzhi.imports"
    label = "imports"
