from django_tasks import task

from gongzhi.workorders import sweep


@task()
def sweep_slas() -> dict[str, int]:
    """Periodic (every 5 minutes): escalate overdue work orders a level, remind before
    deadlines. Safe to run twice: each order is re-checked under its row lock."""
    report = sweep.sla_sweep()
    return {
        "escalated": report.escalated,
        "breached": report.breached,
        "reminded": report.reminded,
        "errors": report.errors,
    }
