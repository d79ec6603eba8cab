from django_tasks import task

from gongzhi.health import venues


@task()
def audit_checkins() -> int:
    """Count the finished hours' check-ins into the audit log, per venue (safe to run twice)."""
    return venues.checkins_audit_hours()
