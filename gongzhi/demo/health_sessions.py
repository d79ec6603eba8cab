"""Demo data for testing and vaccination sessions (see gongzhi/demo/extras.py): in each
community two past sessions (a vaccination and a testing one, closed, most bookings
attended) and two upcoming ones (places partly booked), each with bookings of the
community's persons. The demo resident has an attended booking in the past and an
upcoming one; the parent they act for one booked by proxy.

Rows are written in bulk (a few hundred), with `retain_until` from the sunset policy and
one `demo.health_sessions` audit entry per community. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.accounts.models import ProxyLink, User
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.health import sunset
from gongzhi.health.models import Booking, BookingStatus, SessionKind, TestingSession
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, Person

VACCINE = "新冠病毒灭活疫苗（Vero细胞）"
# (kind, days from today, hour, capacity, booked share of capacity, place)
PLAN = [
    (SessionKind.VACCINATION, -9, 9, 60, 0.8, "社区卫生服务站"),
    (SessionKind.TEST, -2, 8, 120, 0.7, "社区广场采样点"),
    (SessionKind.VACCINATION, 3, 9, 60, 0.5, "社区卫生服务站"),
    (SessionKind.TEST, 1, 8, 120, 0.3, "社区广场采样点"),
]
ATTENDED_SHARE = 0.85


def _session(community: Area, kind: str, days: int, hour: int, capacity: int, place: str):
    today = clock.today()
    tz = clock.now().tzinfo
    starts = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=tz)
    ended = days < 0
    return TestingSession(
        community=community,
        area_path=community.path,
        kind=kind,
        place=f"{community.name}{place}",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=capacity,
        vaccine=VACCINE if kind == SessionKind.VACCINATION else "",
        closed_at=starts + dt.timedelta(hours=3) if ended else None,
    )


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:health_sessions:{loaded.plan.spec.slug}")
        persons = list(
            Person.objects.filter(household__community=community, residency__in=PRESENT_RESIDENCY)
            .order_by("pk")
            .values_list("pk", "area_path")[:3000]
        )
        resident = User.objects.filter(
            username=f"{loaded.plan.spec.slug}-resident", is_demo=True
        ).first()
        own = resident.person_id if resident is not None else None
        parent = (
            ProxyLink.objects.filter(user=resident, is_active=True)
            .values_list("person_id", flat=True)
            .first()
            if resident is not None
            else None
        )
        paths = dict(persons)
        bookings: list[Booking] = []
        for kind, days, hour, capacity, share, place in PLAN:
            session = _session(community, kind, days, hour, capacity, place)
            session.save()
            chosen = rng.sample([p for p, _ in persons], min(len(persons), int(capacity * share)))
            mine = [pid for pid in (own, parent) if pid is not None and pid in paths]
            chosen = (
                mine
                + [p for p in chosen if p not in mine][: max(0, int(capacity * share) - len(mine))]
            )
            for person_id in chosen:
                past = days < 0
                status = (
                    BookingStatus.ATTENDED
                    if past and (person_id == own or rng.random() < ATTENDED_SHARE)
                    else BookingStatus.BOOKED
                )
                if not past and person_id == own and kind == SessionKind.VACCINATION:
                    continue  # the resident books the upcoming vaccination themselves
                bookings.append(
                    Booking(
                        session=session,
                        person_id=person_id,
                        area_path=paths[person_id],
                        status=status,
                        booked_by=resident if person_id in (own, parent) else None,
                        by_proxy=person_id == parent,
                        retain_until=sunset.retain_until("booking", session.ends_at),
                    )
                )
        Booking.objects.bulk_create(bookings, batch_size=1000)
        audit_record(
            actor=None,
            action="demo.health_sessions",
            obj=community,
            area_path=community.path,
            fields=["sessions", "bookings"],
            purpose=f"demo data: {len(PLAN)} sessions, {len(bookings)} bookings",
        )
        say(f"{loaded.plan.spec.name}: {len(PLAN)} sessions, {len(bookings):,} bookings")
    say(f"Sessions: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' sessions (their bookings with them)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    sessions = TestingSession.objects.within(*paths) if paths else TestingSession.objects.none()
    count = sessions.count()
    sessions.delete()
    say(f"Removed the demo's sessions ({count}).")
