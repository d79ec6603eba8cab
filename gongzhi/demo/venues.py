"""Demo data for venue codes (场所码), see gongzhi/demo/extras.py: in each community the
community office, a compound's gate, a grid's shop and a market (closed: it moved), and
check-ins of the last three days — residents by their account's record, some visitors by
phone only — so that the trace pages have people who shared a place and hour.

Venues are made by the service (`venue_create(actor=None)`, audited); check-ins in bulk,
each as the lean path writes it, with one `demo.venues` audit entry per community.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.health import sunset, venues
from gongzhi.health.models import CheckIn, Venue
from gongzhi.registry import rows as register_rows
from gongzhi.registry.models import Area, AreaKind, Person

VISITORS = 120  # persons of each community who checked in somewhere
PHONE_ONLY = 15  # visitors without a register record
DAYS = 3


def _places(community: Area) -> list[tuple[Area, str, str]]:
    inside = Area.objects.within(community.path)
    compound = inside.filter(kind=AreaKind.COMPOUND).order_by("path").first()
    grid = inside.filter(kind=AreaKind.GRID).order_by("path").first()
    out = [(community, f"{community.name}党群服务中心", "office")]
    if compound is not None:
        out.append((compound, f"{compound.name}东门", "gate"))
    if grid is not None:
        out.append((grid, f"{grid.name}便民超市", "shop"))
    out.append((community, f"{community.name}农贸市场", "market"))
    return out


def _row(venue: Venue, at: dt.datetime, **who: Any) -> CheckIn:
    """A check-in as the lean path writes it (`venues.checkin_record`), for bulk insert."""
    return CheckIn(
        venue=venue,
        area_path=venue.area_path,
        at=at,
        retain_until=sunset.retain_until(CheckIn.retention, at),
        **who,
    )


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:venues:{loaded.plan.spec.slug}")
        made = [
            venues.venue_create(actor=None, area=area, name=name, kind=kind)
            for area, name, kind in _places(community)
        ]
        open_venues, market = made[:-1], made[-1]
        persons = list(
            Person.objects.within(community.path).order_by("pk").values_list("pk", flat=True)[:2000]
        )
        chosen = rng.sample(persons, min(VISITORS, len(persons)))
        rows: list[CheckIn] = []

        for person_id in chosen:
            for _visit in range(rng.randint(1, 4)):
                at = now - dt.timedelta(minutes=rng.randint(10, DAYS * 24 * 60))
                rows.append(_row(rng.choice(open_venues), at, person_id=person_id))
        for _n in range(PHONE_ONLY):
            phone = f"1370000{rng.randint(0, 9999):04d}"
            at = now - dt.timedelta(minutes=rng.randint(10, DAYS * 24 * 60))
            index = register_rows.phone_index(phone)
            rows.append(_row(rng.choice(open_venues), at, phone_index=index))
        # The market closed a week ago; its last check-ins are older than the demo's days.
        rows.append(
            _row(market, now - dt.timedelta(days=8), person_id=chosen[0] if chosen else None)
        )
        venues.venue_close(actor=None, venue=market)
        CheckIn.objects.bulk_create(rows, batch_size=1000)
        audit_record(
            actor=None,
            action="demo.venues",
            obj=community,
            area_path=community.path,
            fields=["checkins"],
            purpose=f"demo data: {len(made)} venues, {len(rows)} check-ins",
        )
        say(f"{loaded.plan.spec.name}: {len(made)} venues, {len(rows):,} check-ins")
    say(f"Venues: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' venues (their check-ins with them)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    found = Venue.objects.within(*paths) if paths else Venue.objects.none()
    count = found.count()
    CheckIn.objects.filter(venue__in=found).delete()
    found.delete()
    say(f"Removed the demo's venues ({count}).")
