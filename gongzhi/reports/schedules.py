"""When a scheduled report is filled next: daily, weekly (a weekday) or monthly (a day
1–28), at a whole hour of the deployment's time zone (Asia/Shanghai by default)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def next_run(
    schedule: str, *, hour: int, weekday: int, day: int, after: dt.datetime
) -> dt.datetime | None:
    """The first run strictly after `after` (None: no schedule)."""
    if not schedule:
        return None
    local = timezone.localtime(after)
    tz = local.tzinfo

    def at(date: dt.date) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(hour), tzinfo=tz)

    today = local.date()
    if schedule == "daily":
        candidate = at(today)
        return candidate if candidate > local else at(today + dt.timedelta(days=1))
    if schedule == "weekly":
        ahead = (weekday - today.weekday()) % 7
        candidate = at(today + dt.timedelta(days=ahead))
        return candidate if candidate > local else candidate + dt.timedelta(days=7)
    if schedule == "monthly":
        candidate = at(today.replace(day=day))
        if candidate > local:
            return candidate
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return at(dt.date(year, month, day))
    raise ValueError(f"unknown schedule {schedule!r}")
