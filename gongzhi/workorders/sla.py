"""Deadlines: how long a level has to respond and to resolve, by category and priority.

Calendar time by default. With `working_hours`, only 08:30–12:00 and 13:30–17:30 on
Monday to Friday (the community office's hours, in settings.TIME_ZONE) count; public
holidays are not known to the platform.

A reminder goes out when 80 % of the time to the next deadline has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from gongzhi.workorders.models import Category, Priority, Sla

WORKING_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
REMIND_AT_SHARE = 0.8


@dataclass(frozen=True)
class Deadlines:
    response_minutes: int
    resolution_minutes: int
    working_hours: bool


def deadlines_for(category: Category, priority: str) -> Deadlines | None:
    """The category's SLA at this priority, else at normal priority, else none."""
    rules = {s.priority: s for s in Sla.objects.filter(category=category)}
    rule = rules.get(priority) or rules.get(Priority.NORMAL)
    if rule is None:
        return None
    return Deadlines(rule.response_minutes, rule.resolution_minutes, rule.working_hours)


def add_time(start: dt.datetime, minutes: int, *, working_hours: bool) -> dt.datetime:
    """`start` plus `minutes`, counting only working time when asked."""
    if not working_hours:
        return start + dt.timedelta(minutes=minutes)
    tz = timezone.get_current_timezone()
    at = start.astimezone(tz)
    left = dt.timedelta(minutes=minutes)
    for _day in range(3660):  # ten years of days: more than any SLA
        if at.weekday() < 5:
            for begin, end in WORKING_PERIODS:
                period_start = at.replace(
                    hour=begin.hour, minute=begin.minute, second=0, microsecond=0
                )
                period_end = at.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
                if at >= period_end:
                    continue
                from_ = max(at, period_start)
                room = period_end - from_
                if left <= room:
                    return from_ + left
                left -= room
                at = period_end
        next_day = (at + dt.timedelta(days=1)).date()
        at = dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=tz)
    raise ValueError("deadline too far away")


def remind_time(start: dt.datetime, due: dt.datetime | None) -> dt.datetime | None:
    if due is None or due <= start:
        return None
    return start + (due - start) * REMIND_AT_SHARE
