from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "gongzhi.points"
    label = "points"
    verbose_name = "Points square"

    def ready(self) -> None:
        # Work orders rated 4–5 award points, resolved ones credit service hours
        # (gongzhi/workorders/events.py); the catch-up job replays what is missed.
        from gongzhi.points import awards

        awards.connect()
