"""Reads of testing and vaccination sessions, bookings and a resident's own health record.

- Staff: the sessions where they hold `health.record` on the session's area, above it or
  below it (`restrict(..., overlapping=True)`: a grid worker sees the community's
  sessions); the bookings of a session that lie in their area, names masked.
- Residents: the open, future sessions of their person's community with places left;
  their own (or, acting, the parent's) bookings, doses and tests. No scope is involved:
  the person is the one the user is, or acts for (`accounts.acting`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import persons_user_may_act_for
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.masking import mask_name
from gongzhi.health.models import (
    Booking,
    BookingStatus,
    Sample,
    SessionKind,
    TestingSession,
    Vaccination,
)
from gongzhi.health.sessions import SESSION_AREA_KINDS, TAKEN
from gongzhi.registry.models import Area, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

RECORD_LIMIT = 50  # tests and bookings shown on "my record" (doses: all, at most 5)

_TAKEN = Count("bookings", filter=Q(bookings__status__in=TAKEN))
_ATTENDED = Count("bookings", filter=Q(bookings__status=BookingStatus.ATTENDED))


# --- staff -------------------------------------------------------------------------------------


def session_list_for(*, user: Viewer, when: str = "") -> QuerySet[TestingSession]:
    """Sessions the user sees, with `taken` and `attended` counts. `when`: "upcoming"
    (not closed, not ended), "past" (ended or closed), or "" (all)."""
    qs = (
        TestingSession.objects.restrict(user, Perm.HEALTH_RECORD, overlapping=True)
        .select_related("community")
        .annotate(taken=_TAKEN, attended=_ATTENDED)
    )
    now = clock.now()
    if when == "upcoming":
        qs = qs.filter(closed_at=None, ends_at__gt=now).order_by("starts_at", "pk")
    elif when == "past":
        qs = qs.filter(Q(closed_at__isnull=False) | Q(ends_at__lte=now))
    return qs


def session_get_for(*, user: Viewer, session_id: Any) -> TestingSession:
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = session_list_for(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def may_manage(user: Viewer, session: TestingSession) -> bool:
    """Edit and close: staff of the session's own area (or above it)."""
    return access.can(user, Perm.HEALTH_RECORD, session.area_path)


def area_choices_for(*, user: Viewer) -> list[Area]:
    """Where the user may create a session: open communities and grids in their area."""
    return list(
        Area.objects.restrict(user, Perm.HEALTH_RECORD)
        .filter(kind__in=SESSION_AREA_KINDS, closed_at=None)
        .order_by("path")
    )


@dataclass
class BookingRow:
    booking: Booking
    name: str  # masked
    next_dose: int = 0  # at a vaccination session: the dose a record would add


def session_bookings_for(*, user: Viewer, session: TestingSession) -> list[BookingRow]:
    """The session's bookings in the user's area, names masked the register's way (张*明),
    booked first, then attended, then cancelled."""
    bookings = list(
        Booking.objects.restrict(user, Perm.HEALTH_RECORD)
        .filter(session=session)
        .select_related("person")
        .order_by("status", "created_at", "pk")
    )
    doses: dict[int, int] = {}
    if session.kind == SessionKind.VACCINATION and bookings:
        rows = (
            Vaccination.objects.filter(person_id__in=[b.person_id for b in bookings])
            .values("person_id")
            .annotate(n=Count("id"))
        )
        doses = {r["person_id"]: r["n"] for r in rows}
    order: dict[str, int] = {
        BookingStatus.BOOKED: 0,
        BookingStatus.ATTENDED: 1,
        BookingStatus.CANCELLED: 2,
    }
    bookings.sort(key=lambda b: (order.get(b.status, 3), b.created_at, b.pk))
    return [
        BookingRow(b, mask_name(b.person.name), doses.get(b.person_id, 0) + 1) for b in bookings
    ]


# --- residents ---------------------------------------------------------------------------------


def acting_person(person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return Person.objects.select_related("household").filter(pk=person_id).first()


def open_sessions_for(*, person: Person) -> QuerySet[TestingSession]:
    """Open future sessions of the person's community with places left, soonest first."""
    return (
        TestingSession.objects.filter(
            community_id=person.household.community_id, closed_at=None, starts_at__gt=clock.now()
        )
        .annotate(taken=_TAKEN)
        .filter(taken__lt=F("capacity"))
        .order_by("starts_at", "pk")
    )


def session_for_person(*, person: Person, session_id: Any) -> TestingSession:
    """A session of the person's community (any state: the page says why it cannot be
    booked); NotFound for another community's."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        TestingSession.objects.filter(pk=pk, community_id=person.household.community_id)
        .annotate(taken=_TAKEN)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def booking_get_for_resident(*, user: Viewer, booking_id: Any) -> Booking:
    """A booking of the user's own person or of someone they act for; NotFound else."""
    try:
        pk = int(booking_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = Booking.objects.select_related("session").filter(pk=pk).first()
    if found is None or found.person_id not in persons_user_may_act_for(user):
        raise NotFound()
    return found


@dataclass
class HealthRecord:
    """What "my record" shows: every dose, the latest tests with results, the bookings."""

    doses: list[Vaccination] = field(default_factory=list)
    tests: list[Sample] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    booked_session_ids: set[int] = field(default_factory=set)


def health_record_for(*, person_id: int, limit: int = RECORD_LIMIT) -> HealthRecord:
    """Three indexed look-ups by person: doses (unique person+dose), tests (person,
    sampled_at desc), bookings (person)."""
    doses = list(Vaccination.objects.filter(person_id=person_id).order_by("dose"))
    tests = list(Sample.objects.filter(person_id=person_id).order_by("-sampled_at", "-pk")[:limit])
    bookings = list(
        Booking.objects.filter(person_id=person_id)
        .select_related("session")
        .order_by("-session__starts_at", "-pk")[:limit]
    )
    live = {b.session_id for b in bookings if b.status in TAKEN}
    return HealthRecord(doses=doses, tests=tests, bookings=bookings, booked_session_ids=live)


def upcoming_bookings(record: HealthRecord, now: dt.datetime | None = None) -> list[Booking]:
    now = now or clock.now()
    return [
        b for b in record.bookings if b.status == BookingStatus.BOOKED and b.session.ends_at > now
    ]
