from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "gongzhi.health"
    label = "health"

    def ready(self) -> None:
        # Statuses follow their inputs (gongzhi/health/events.py); the periodic job
        # `health.refresh_statuses` catches what time alone changes.
        from gongzhi.health import status

        status.connect()
