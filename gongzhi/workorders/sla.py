"""Deadlines: how long a level has to respond and to resolve, by category and priority.

Calendar time by default. With `working_hours`, only 08:30–12:00 and 13:30–17:30 on
Monday to Friday (the community office's hours, in settings.TIME_ZONE) count; public
holidays are not known to the platform.

A reminder goes out when 80 % of the time to the next deadline has passed.

`FACTORS` lets an app above this one tighten the deadlines of a place (emergency mode: a
community's `sla_factor`) without work orders knowing about it: each callable takes the
order's area path and returns a share of the minutes (1.0 = unchanged); the smallest wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from gongzhi.workorders.models import Category, Priority, Sla

WORKING_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
REMIND_AT_SHARE = 0.8
# Filled by apps above work orders (emergency's `EmergencyConfig.ready`): (area_path) -> share.
FACTORS: list[Callable[[str], float]] = []
MIN_FACTOR = 0.1


@dataclass(frozen=True)
class Deadlines:
    response_minutes: int
    resolution_minutes: int
    working_hours: bool


def factor_for(area_path: str) -> float:
    """The share of its SLA's minutes an order filed at `area_path` gets (1.0 = all)."""
    shares = [float(f(area_path)) for f in FACTORS] if area_path else []
    return min([1.0, *shares]) if shares else 1.0


def deadlines_for(category: Category, priority: str, area_path: str = "") -> Deadlines | None:
    """The category's SLA at this priority, else at normal priority, else none; at
    `area_path`, shortened by the place's factor (`FACTORS`)."""
    rules = {s.priority: s for s in Sla.objects.filter(category=category)}
    rule = rules.get(priority) or rules.get(Priority.NORMAL)
    if rule is None:
        return None
    share = max(MIN_FACTOR, factor_for(area_path))
    if share >= 1.0:
        return Deadlines(rule.response_minutes, rule.resolution_minutes, rule.working_hours)
    return Deadlines(
        max(1, round(rule.response_minutes * share)),
        max(1, round(rule.resolution_minutes * share)),
        rule.working_hours,
    )


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
