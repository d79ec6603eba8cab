from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gongzhi.notifications"
    label = "notifications"

    def ready(self) -> None:
        from gongzhi.accounts.events import account_link_issued
        from gongzhi.notifications.receivers import send_account_link

        account_link_issued.connect(send_account_link, dispatch_uid="notifications.account_link")
