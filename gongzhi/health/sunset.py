"""The data sunset: every record made for health is kept until a date set by policy.

`retain_until(kind, at)` is what each write path stores in the record's `retain_until`.
The policy is `GONGZHI_HEALTH_RETENTION_DAYS` (days per kind, counted from the record's
day); the purge (the worker) deletes or anonymises what is due.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from gongzhi.core import clock

# Days a record of each kind is kept, counted from the day it was made.
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "declaration": 30,
    "booking": 30,
    "test": 30,
    "checkin": 14,
    "status": 30,
    "campaign": 30,
}


def retention_days(kind: str) -> int:
    policy = {**DEFAULT_RETENTION_DAYS, **getattr(settings, "GONGZHI_HEALTH_RETENTION_DAYS", {})}
    return int(policy[kind])


def retain_until(kind: str, at: dt.datetime | dt.date | None = None) -> dt.date:
    """The day a record of `kind` made at `at` (default: now) is due for the purge."""
    if at is None:
        day = clock.today()
    elif isinstance(at, dt.datetime):
        day = timezone.localdate(at)
    else:
        day = at
    return day + dt.timedelta(days=retention_days(kind))
