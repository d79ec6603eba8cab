"""Points expire: what a holder earned in a calendar year and has not spent is gone after
the end of the `GONGZHI_POINTS_EXPIRY_YEARS`-th calendar year after it (default 1: points
earned during 2025 expire when 2026 ends; 0 keeps points for ever). Years are China's
local calendar years (settings.TIME_ZONE). Service hours never expire.

Spending uses the oldest points first: of everything credited up to the end of year Y,
what the holder's debits (redemptions, reversals, negative adjustments, earlier expiries)
have not consumed yet expires, as one entry per holder and year (kind expiry, source
"expiry:<holder id>:<Y>"), never more than the balance. The periodic job `points_expire`
is idempotent: a year already expired is skipped, and nothing is written for nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django_tasks import task

from gongzhi.accounts.models import User
from gongzhi.core import clock
from gongzhi.points import ledger
from gongzhi.points.models import EntryKind, LedgerEntry, PointsAccount


def expiry_years() -> int:
    return int(getattr(settings, "GONGZHI_POINTS_EXPIRY_YEARS", 1))


def _year_end(year: int) -> dt.datetime:
    """The first instant after local calendar year `year`."""
    return timezone.make_aware(dt.datetime(year + 1, 1, 1), timezone.get_default_timezone())


def last_expired_year(today: dt.date | None = None) -> int | None:
    """The latest earning year whose points have expired by `today` (None: never)."""
    years = expiry_years()
    if years <= 0:
        return None
    today = today or timezone.localdate(clock.now())
    return today.year - years - 1


def expiring_amount(holder: User, year: int) -> int:
    """Points earned up to the end of `year` that no debit has consumed, within the balance."""
    entries = LedgerEntry.objects.filter(holder=holder)
    credited = (
        entries.filter(points__gt=0, at__lt=_year_end(year)).aggregate(s=Sum("points"))["s"] or 0
    )
    debited = -(entries.filter(points__lt=0).aggregate(s=Sum("points"))["s"] or 0)
    return max(0, min(credited - debited, ledger.balance_of(holder)))


def holder_expire(*, holder: User, up_to_year: int) -> list[LedgerEntry]:
    """Expire the holder's points of every year up to `up_to_year`, oldest first."""
    first = (
        LedgerEntry.objects.filter(holder=holder, points__gt=0)
        .annotate(y=ExtractYear("at"))
        .aggregate(first=Min("y"))["first"]
    )
    if first is None:
        return []
    written = []
    for year in range(first, up_to_year + 1):
        source = f"expiry:{holder.pk}:{year}"
        with transaction.atomic():
            # The account row, locked: a redemption at the same moment waits, then re-checks.
            PointsAccount.objects.select_for_update().filter(holder=holder).first()
            if LedgerEntry.objects.filter(source=source).exists():
                continue
            amount = expiring_amount(holder, year)
            if amount <= 0:
                continue
            entry, created = ledger.entry_post(
                holder=holder,
                kind=EntryKind.EXPIRY,
                points=-amount,
                source=source,
                reason=f"points earned in {year} expired",
            )
            if created:
                written.append(entry)
    return written


def points_expire(*, today: dt.date | None = None) -> int:
    """Expire every holder's points that are due; the number of entries written."""
    up_to = last_expired_year(today)
    if up_to is None:
        return 0
    holders = (
        PointsAccount.objects.filter(balance__gt=0)
        .filter(holder__in=LedgerEntry.objects.filter(points__gt=0, at__lt=_year_end(up_to))
                .values("holder"))
        .values_list("holder_id", flat=True)
    )  # fmt: skip
    written = 0
    for holder in User.objects.filter(pk__in=list(holders)).order_by("pk"):
        written += len(holder_expire(holder=holder, up_to_year=up_to))
    return written


@task()
def points_expire_task() -> dict[str, int]:
    """Periodic (daily): write the expiries that are due (safe to run twice)."""
    return {"expired": points_expire()}
