import datetime as dt

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from gongzhi.core import clock


@task()
def prune_task_results(days: int = 14) -> int:
    """Periodic: forget finished task results after `days` days."""
    cutoff = clock.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
