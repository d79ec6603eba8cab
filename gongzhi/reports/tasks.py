from django_tasks import task


@task()
def fill_due_reports() -> int:
    """Periodic: fill every report whose schedule is due. (Built with the reports module.)"""
    return 0
