from django_tasks import task


@task()
def sweep_slas() -> int:
    """Periodic: remind on and escalate overdue work orders. (Built with work orders.)"""
    return 0
