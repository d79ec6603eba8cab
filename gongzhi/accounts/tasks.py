from django.contrib.sessions.models import Session
from django_tasks import task

from gongzhi.core import clock


@task()
def clear_expired_sessions() -> int:
    """Periodic: delete sessions past their expiry (idle timeout) from the database."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted
