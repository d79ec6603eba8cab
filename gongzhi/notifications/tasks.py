from django_tasks import task

from gongzhi.notifications import services


@task()
def send_sms(message_id: int) -> str:
    """Send one SMS from the outbox (retries schedule themselves with backoff)."""
    message = services.sms_deliver(message_id)
    return message.status if message is not None else "skipped"
