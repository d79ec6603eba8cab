from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "gongzhi.reports"
    label = "reports"
