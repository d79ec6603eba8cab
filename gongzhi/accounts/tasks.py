import datetime as dt

from django.contrib.sessions.models import Session
from django_tasks import task

from gongzhi.accounts.models import SmsCode
from gongzhi.accounts.services import prune_sign_in_failures
from gongzhi.core import clock


@task()
def clear_expired_sessions() -> int:
    """Periodic: delete sessions past their expiry (idle timeout) from the database."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted


@task()
def prune_sms_codes(hours: int = 24) -> int:
    """Periodic: forget SMS sign-in codes older than `hours` (they live 5 minutes; the
    rate limits look back one hour), and failed sign-ins past GONGZHI_SIGN_IN_FORGET_SECONDS."""
    cutoff = clock.now() - dt.timedelta(hours=hours)
    deleted, _ = SmsCode.objects.filter(created_at__lt=cutoff).delete()
    return deleted + prune_sign_in_failures()
