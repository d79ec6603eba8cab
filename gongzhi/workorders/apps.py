from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "gongzhi.workorders"
    label = "workorders"
