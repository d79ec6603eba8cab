from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "gongzhi.health"
    label = "health"
