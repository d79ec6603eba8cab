from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gongzhi.notifications"
    label = "notifications"
