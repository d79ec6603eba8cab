"""Testing and vaccination sessions (核酸检测 / 疫苗接种预约): staff run them, residents book.

- A **session** belongs to a community (whose persons may book it) and sits on an area:
  the community itself or one of its grids (whose staff run it). Staff holding
  `health.record` there create, edit and close it; staff holding it above or below see it
  (a grid worker sees the community's sessions, and the bookings of their own grid).
- A **booking** (预约) is one per person and session. It is made under a row lock on the
  session, so two people never take the last place; it is cancelled by the person (or
  their proxy) before the session starts. Each carries `retain_until` (the data sunset).
- At a vaccination session staff record a booked person's dose through
  `health.services.vaccination_record` (its rules, not copies of them) and the booking
  becomes attended; at a testing session staff mark attendance (the sample itself is the
  samples module's).

Audit entries name sessions and bookings by number only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import persons_user_may_act_for
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import IllegalTransition, NotFound
from gongzhi.core.validation import raise_errors
from gongzhi.health import services as health_services
from gongzhi.health import sunset
from gongzhi.health.models import (
    Booking,
    BookingStatus,
    SessionKind,
    TestingSession,
    Vaccination,
)
from gongzhi.registry.areas import community_of
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

PLACE_MAX = 100
VACCINE_MAX = 60
CAPACITY_MAX = 5000
SESSION_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID)
# Bookings that hold a place.
TAKEN = (BookingStatus.BOOKED, BookingStatus.ATTENDED)

Errors = dict[str, list[str]]


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _check_details(
    errors: Errors,
    *,
    kind: str,
    place: Any,
    starts_at: Any,
    ends_at: Any,
    capacity: Any,
    vaccine: Any,
) -> dict[str, Any]:
    """The session's own fields, checked and cleaned (every problem collected)."""
    place, vaccine = _text(place), _text(vaccine)
    if kind not in SessionKind.values:
        _add(errors, "kind", _("Choose testing or vaccination."))
    if not place:
        _add(errors, "place", _("Enter the place."))
    elif len(place) > PLACE_MAX:
        _add(
            errors,
            "place",
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": PLACE_MAX, "count": len(place)},
        )
    if not isinstance(starts_at, dt.datetime):
        _add(errors, "starts_at", _("Enter a date and time."))
    if not isinstance(ends_at, dt.datetime):
        _add(errors, "ends_at", _("Enter a date and time."))
    elif isinstance(starts_at, dt.datetime) and ends_at <= starts_at:
        _add(errors, "ends_at", _("The end must be after the start."))
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        _add(errors, "capacity", _("The capacity is a whole number of places, at least 1."))
    elif capacity > CAPACITY_MAX:
        _add(errors, "capacity", _("At most %(max)d places.") % {"max": CAPACITY_MAX})
    if kind == SessionKind.VACCINATION:
        if not vaccine:
            _add(errors, "vaccine", _("Enter the vaccine."))
        elif len(vaccine) > VACCINE_MAX:
            _add(
                errors,
                "vaccine",
                _("At most %(max)d characters; this has %(count)d.")
                % {"max": VACCINE_MAX, "count": len(vaccine)},
            )
    else:
        vaccine = ""  # a testing session gives no vaccine
    return {
        "kind": kind,
        "place": place,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
        "vaccine": vaccine,
    }


def _label(obj: Any) -> str:
    return f"#{obj.pk}"


# --- staff: sessions ---------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    actor: Actor,
    area: Area,
    kind: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    vaccine: str = "",
) -> TestingSession:
    """A session of `area`'s community, run by the staff of `area` (the community or a
    grid of it). It may not have ended already."""
    access.require(actor, Perm.HEALTH_RECORD, area.path)
    errors: Errors = {}
    community = None
    if area.kind not in SESSION_AREA_KINDS or area.closed_at is not None:
        _add(errors, "area", _("Choose an open community or grid."))
    else:
        community = community_of(area)
        if community is None:
            _add(errors, "area", _("Choose an open community or grid."))
    data = _check_details(
        errors, kind=kind, place=place, starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, vaccine=vaccine,
    )  # fmt: skip
    if isinstance(ends_at, dt.datetime) and ends_at <= clock.now() and "ends_at" not in errors:
        _add(errors, "ends_at", _("This time has passed: a new session ends in the future."))
    raise_errors(errors)
    assert community is not None  # checked above
    session = TestingSession.objects.create(
        community=community, area_path=area.path, created_by=actor, **data
    )
    audit_record(
        actor=actor,
        action="testing_session.create",
        obj=session,
        object_label=_label(session),
        area_path=session.area_path,
        fields=sorted(data),
    )
    return session


def _locked(session: TestingSession) -> TestingSession:
    return TestingSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def session_update(
    *,
    actor: Actor,
    session: TestingSession,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    vaccine: str = "",
) -> TestingSession:
    """Change an open session's place, times, capacity or vaccine (not its kind). The
    capacity never goes below the places already booked."""
    session = _locked(session)
    access.require(actor, Perm.HEALTH_RECORD, session.area_path)
    if session.closed_at is not None:
        raise IllegalTransition(_("This session is closed."))
    errors: Errors = {}
    data = _check_details(
        errors, kind=session.kind, place=place, starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, vaccine=vaccine,
    )  # fmt: skip
    if "capacity" not in errors:
        taken = session.bookings.filter(status__in=TAKEN).count()
        if capacity < taken:
            _add(
                errors,
                "capacity",
                _("%(taken)d places are already booked: the capacity cannot be lower.")
                % {"taken": taken},
            )
    raise_errors(errors)
    changed = [f for f, v in data.items() if getattr(session, f) != v]
    for field, value in data.items():
        setattr(session, field, value)
    session.save()
    audit_record(
        actor=actor,
        action="testing_session.update",
        obj=session,
        object_label=_label(session),
        area_path=session.area_path,
        fields=changed,
    )
    return session


@transaction.atomic
def session_close(*, actor: Actor, session: TestingSession) -> TestingSession:
    """No more bookings or records; its bookings stay as they are."""
    session = _locked(session)
    access.require(actor, Perm.HEALTH_RECORD, session.area_path)
    if session.closed_at is not None:
        raise IllegalTransition(_("This session is already closed."))
    session.closed_at = clock.now()
    session.save(update_fields=["closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="testing_session.close",
        obj=session,
        object_label=_label(session),
        area_path=session.area_path,
        fields=["closed_at"],
    )
    return session


# --- residents: bookings -----------------------------------------------------------------------


def person_community_id(person: Person) -> int:
    return int(person.household.community_id)


@transaction.atomic
def booking_create(*, actor: Any, session: TestingSession, person: Person | None = None) -> Booking:
    """Book a place for the actor's own person, or (acting for them) for `person`.

    The session's row is locked first, so concurrent bookings take turns: the capacity is
    never overrun. A cancelled booking of the same person is booked again (one row per
    person and session)."""
    if person is None:
        person = actor.person if actor is not None else None
    if person is None:
        raise ValidationError(
            {
                "person": [
                    _(
                        "Your account is not linked to a person of the register yet; "
                        "ask your grid worker."
                    )
                ]
            }
        )
    if person.pk not in persons_user_may_act_for(actor):
        raise ValidationError({"person": [_("You do not act for this person.")]})
    person = Person.objects.select_related("household").get(pk=person.pk)
    session = _locked(session)
    errors: Errors = {}
    if person_community_id(person) != session.community_id:
        _add(errors, "session", _("This session is for another community."))
    elif session.closed_at is not None:
        _add(errors, "session", _("This session is closed for booking."))
    elif session.starts_at <= clock.now():
        _add(errors, "session", _("This session has already started; choose a later one."))
    if person.residency not in PRESENT_RESIDENCY:
        _add(errors, "person", _("This person is no longer registered here."))
    raise_errors(errors)
    existing = Booking.objects.filter(session=session, person=person).first()
    if existing is not None and existing.status in TAKEN:
        raise ValidationError({"session": [_("Already booked for this session.")]})
    if session.bookings.filter(status__in=TAKEN).count() >= session.capacity:
        raise ValidationError({"session": [_("No places are left in this session.")]})
    by_proxy = person.pk != getattr(actor, "person_id", None)
    values = {
        "status": BookingStatus.BOOKED,
        "booked_by": actor,
        "by_proxy": by_proxy,
        "area_path": person.area_path,
        "retain_until": sunset.retain_until("booking", session.ends_at),
    }
    if existing is None:
        booking = Booking.objects.create(session=session, person=person, **values)
    else:
        booking = existing
        for field, value in values.items():
            setattr(booking, field, value)
        booking.save()
    audit_record(
        actor=actor,
        action="booking.create",
        obj=booking,
        object_label=_label(booking),
        area_path=booking.area_path,
        fields=["session", "person"],
        purpose="proxy booking" if by_proxy else "",
    )
    return booking


@transaction.atomic
def booking_cancel(*, actor: Any, booking: Booking) -> Booking:
    """Give the place back, before the session starts (the person or their proxy)."""
    booking = (
        Booking.objects.select_for_update(of=("self",)).select_related("session").get(pk=booking.pk)
    )
    if booking.person_id not in persons_user_may_act_for(actor):
        raise NotFound()
    if booking.status != BookingStatus.BOOKED:
        raise ValidationError({"booking": [_("This booking is not active.")]})
    if booking.session.starts_at <= clock.now():
        raise ValidationError(
            {"session": [_("The session has started: the booking can no longer be cancelled.")]}
        )
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="booking.cancel",
        obj=booking,
        object_label=_label(booking),
        area_path=booking.area_path,
        fields=["status"],
    )
    return booking


# --- staff: attendance and doses at a session --------------------------------------------------


def _booking_for_record(actor: Actor, session: TestingSession, person_id: Any) -> Booking:
    """The live booking of the person at the (locked) session, in the actor's area; a
    ValidationError naming `person` otherwise (not booked, or not the actor's to record)."""
    if not access.overlaps(actor, Perm.HEALTH_RECORD, session.area_path) and actor is not None:
        raise NotFound()
    if session.closed_at is not None:
        raise ValidationError({"session": [_("This session is closed.")]})
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        person_id = 0
    booking = (
        Booking.objects.select_for_update()
        .select_related("person")
        .filter(session=session, person_id=person_id, status__in=TAKEN)
        .first()
    )
    if booking is None:
        raise ValidationError({"person": [_("This person has no booking for this session.")]})
    if actor is not None and not access.can(actor, Perm.HEALTH_RECORD, booking.area_path):
        raise ValidationError({"person": [_("This person is not in your area.")]})
    return booking


def _attended(actor: Actor, booking: Booking) -> None:
    if booking.status == BookingStatus.ATTENDED:
        return
    booking.status = BookingStatus.ATTENDED
    booking.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="booking.attend",
        obj=booking,
        object_label=_label(booking),
        area_path=booking.area_path,
        fields=["status"],
    )


@transaction.atomic
def booking_attend(*, actor: Actor, session: TestingSession, person_id: Any) -> Booking:
    """Mark a booked person as come (at a testing session: the sample is taken apart)."""
    session = _locked(session)
    booking = _booking_for_record(actor, session, person_id)
    _attended(actor, booking)
    return booking


def next_dose(person_id: int) -> int:
    given = Vaccination.objects.filter(person_id=person_id).values_list("dose", flat=True)
    return max(given, default=0) + 1


@transaction.atomic
def session_dose_record(
    *,
    actor: Actor,
    session: TestingSession,
    person_id: Any,
    dose: int | None = None,
    vaccinated_on: dt.date | None = None,
) -> Vaccination:
    """Record the dose a booked person received at this vaccination session (the session's
    vaccine and place; today; the next dose unless told), through
    `health.services.vaccination_record`, and mark the booking attended."""
    session = _locked(session)
    if session.kind != SessionKind.VACCINATION:
        if access.overlaps(actor, Perm.HEALTH_RECORD, session.area_path) or actor is None:
            raise ValidationError(
                {"session": [_("Doses are recorded at vaccination sessions only.")]}
            )
        raise NotFound()
    booking = _booking_for_record(actor, session, person_id)
    vaccination = health_services.vaccination_record(
        actor=actor,
        person=booking.person,
        dose=next_dose(booking.person_id) if dose is None else dose,
        vaccine=session.vaccine,
        vaccinated_on=vaccinated_on or clock.today(),
        site=session.place,
    )
    _attended(actor, booking)
    return vaccination
