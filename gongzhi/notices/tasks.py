from django_tasks import task

from gongzhi.notices import services


@task()
def send_urgent_reminders() -> int:
    """Text the elders who have not read an urgent notice in time (safe to run twice)."""
    return services.urgent_reminders_send()
