from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "gongzhi.emergency"
    label = "emergency"
    verbose_name = "Emergency mode"
