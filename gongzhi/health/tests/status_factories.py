"""Rows of the health services, written directly (other helpers build their services in
parallel): a declaration, a sample, a watch entry, a venue and check-ins."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from gongzhi.core import clock
from gongzhi.health import sunset
from gongzhi.health.models import (
    CheckIn,
    Declaration,
    Sample,
    Venue,
    WatchEntry,
)
from gongzhi.registry.models import Area

_n = itertools.count(1)


def declaration(person, *, community: Area, arrived_on: dt.date | None = None, origin="武汉市",
                symptoms=(), **extra: Any) -> Declaration:  # fmt: skip
    return Declaration.objects.create(
        community=community,
        area_path=person.area_path,
        name=person.name,
        origin=origin,
        arrived_on=arrived_on or clock.today(),
        travel_mode="train",
        symptoms=list(symptoms),
        person=person,
        status="matched",
        retain_until=extra.pop("retain_until", sunset.retain_until("declaration")),
        **extra,
    )


def sample(person, *, hours_ago: float = 1, result: str = "pending", **extra: Any) -> Sample:
    at = clock.now() - dt.timedelta(hours=hours_ago)
    return Sample.objects.create(
        person=person,
        area_path=person.area_path,
        kind="pcr",
        sampled_at=at,
        result=result,
        result_at=None if result == "pending" else at + dt.timedelta(hours=6),
        retain_until=extra.pop("retain_until", sunset.retain_until("test", at)),
        **extra,
    )


def watch_entry(person, *, status: str = "to_review", outcome: str = "", closed_days_ago=None,
                **extra: Any) -> WatchEntry:  # fmt: skip
    closed_at = None
    if closed_days_ago is not None:
        closed_at = clock.now() - dt.timedelta(days=closed_days_ago)
    return WatchEntry.objects.create(
        upstream_list=None,
        row_number=None,
        name=person.name,
        tier="id_number",
        person=person,
        area_path=person.area_path,
        status=status,
        outcome=outcome,
        closed_at=closed_at,
        **extra,
    )


def venue(area: Area, name: str = "玉岭超市") -> Venue:
    return Venue.objects.create(area=area, area_path=area.path, name=name, code=f"v{next(_n)}")


def checkin(place: Venue, person, *, at: dt.datetime, **extra: Any) -> CheckIn:
    return CheckIn.objects.create(
        venue=place,
        area_path=place.area_path,
        at=at,
        person=person,
        retain_until=extra.pop("retain_until", sunset.retain_until("checkin", at)),
        **extra,
    )
