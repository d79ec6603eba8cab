from django_tasks import task

from gongzhi.reports import services


@task()
def fill_due_reports() -> int:
    """Periodic: fill every report whose schedule is due."""
    return services.reports_fill_due()


@task()
def fill_report(report_id: int) -> str:
    """Fill one requested report (safe to run twice)."""
    return services.report_fill(report_id=report_id).status
