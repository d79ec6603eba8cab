"""Venues and check-ins for the venue, check-in and trace tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gongzhi.health import venues
from gongzhi.health.models import CheckIn, Venue


def venue(area: Any, name: str = "社区超市", **extra: Any) -> Venue:
    return venues.venue_create(actor=None, area=area, name=name, kind="shop", **extra)


def checkin(venue: Venue, at: dt.datetime, **who: Any) -> CheckIn:
    return venues.checkin_record(venue=venue, at=at, **who)
