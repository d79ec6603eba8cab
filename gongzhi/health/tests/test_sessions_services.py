"""Sessions: staff create, edit, close; residents book and cancel; staff record doses and
attendance. Every refusal names its field and writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.health import sessions, sunset
from gongzhi.health.models import Booking, BookingStatus, TestingSession, Vaccination
from gongzhi.health.tests.session_factories import proxy_of, resident_of, session


def _fields(info) -> set[str]:
    return set(info.value.error_dict)


# --- staff: sessions ---------------------------------------------------------------------------


def test_community_staff_create_a_vaccination_session_for_their_community(world):
    s = session(world.community_a, actor=world.secretary)
    assert (s.community, s.area_path, s.kind) == (
        world.community_a,
        world.community_a.path,
        "vaccination",
    )
    entry = AuditEntry.objects.get(action="testing_session.create")
    assert entry.object_label == f"#{s.pk}"


def test_a_grid_worker_creates_a_session_on_their_grid_for_the_community(world):
    s = session(world.grid_a1, actor=world.grid_worker_a, kind="test")
    assert s.community == world.community_a and s.vaccine == ""


def test_a_grid_worker_may_not_create_a_session_for_the_whole_community(world):
    with pytest.raises(Forbidden):
        session(world.community_a, actor=world.grid_worker_a)


def test_police_may_not_create_a_session(world):
    with pytest.raises(Forbidden):
        session(world.community_a, actor=world.by_role[Role.POLICE])


@pytest.mark.parametrize(
    "change, field",
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": 10**6}, "capacity"),
        ({"hours": -1}, "ends_at"),
        ({"hours": 0}, "ends_at"),
        ({"place": "  "}, "place"),
        ({"place": "楼" * 101}, "place"),
        ({"vaccine": ""}, "vaccine"),
        ({"kind": "party"}, "kind"),
        ({"in_hours": -10}, "ends_at"),  # ended already
    ],
)
def test_a_bad_session_is_refused_naming_the_field_and_nothing_is_written(world, change, field):
    with pytest.raises(ValidationError) as info:
        session(world.community_a, actor=world.secretary, **change)
    assert field in _fields(info)
    assert not TestingSession.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="testing_session").exists()


def test_errors_are_in_chinese_by_default(world):
    with pytest.raises(ValidationError) as info:
        session(world.community_a, actor=world.secretary, capacity=0, hours=-1)
    assert "至少" in info.value.message_dict["capacity"][0]
    assert "结束" in info.value.message_dict["ends_at"][0]


def test_an_edit_keeps_the_capacity_above_the_places_booked(world):
    s = session(world.community_a, capacity=2)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    sessions.booking_create(actor=resident_of(world.person_a2), session=s)
    data = {"place": s.place, "starts_at": s.starts_at, "ends_at": s.ends_at, "vaccine": s.vaccine}
    with pytest.raises(ValidationError) as info:
        sessions.session_update(actor=world.secretary, session=s, capacity=1, **data)
    assert _fields(info) == {"capacity"}
    s = sessions.session_update(actor=world.secretary, session=s, capacity=3, **data)
    assert TestingSession.objects.get(pk=s.pk).capacity == 3
    assert AuditEntry.objects.get(action="testing_session.update").fields == ["capacity"]


def test_closing_a_session_is_audited_and_happens_once(world):
    s = session(world.community_a)
    sessions.session_close(actor=world.secretary, session=s)
    assert TestingSession.objects.get(pk=s.pk).closed_at is not None
    assert AuditEntry.objects.filter(action="testing_session.close").count() == 1
    with pytest.raises(IllegalTransition):
        sessions.session_close(actor=world.secretary, session=s)


# --- residents: bookings -----------------------------------------------------------------------


def test_a_resident_books_a_place_with_a_retention_date(world):
    s = session(world.community_a)
    booking = sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    assert (booking.status, booking.by_proxy) == ("booked", False)
    assert booking.area_path == world.person_a1.area_path
    assert booking.retain_until == sunset.retain_until("booking", s.ends_at)
    assert AuditEntry.objects.get(action="booking.create").object_label == f"#{booking.pk}"


def test_a_proxy_books_for_their_parent_labelled_by_proxy(world):
    child = proxy_of(world.person_a2)
    s = session(world.community_a)
    booking = sessions.booking_create(actor=child, session=s, person=world.person_a2)
    assert booking.by_proxy and booking.booked_by == child and booking.person == world.person_a2


def test_booking_for_someone_one_does_not_act_for_is_refused(world):
    s = session(world.community_a)
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(
            actor=resident_of(world.person_a1), session=s, person=world.person_a2
        )
    assert _fields(info) == {"person"}
    assert not Booking.objects.exists()


def test_an_account_without_a_person_cannot_book(world):
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(actor=world.resident, session=session(world.community_a))
    assert _fields(info) == {"person"}


def test_booking_twice_is_refused(world):
    me = resident_of(world.person_a1)
    s = session(world.community_a)
    sessions.booking_create(actor=me, session=s)
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(actor=me, session=s)
    assert _fields(info) == {"session"}
    assert Booking.objects.count() == 1


def test_a_full_session_is_refused(world):
    s = session(world.community_a, capacity=1)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(actor=resident_of(world.person_a2), session=s)
    assert _fields(info) == {"session"}
    assert Booking.objects.count() == 1


def test_a_closed_session_is_refused(world):
    s = session(world.community_a)
    sessions.session_close(actor=None, session=s)
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    assert _fields(info) == {"session"}


def test_a_past_or_started_session_is_refused(world):
    s = session(world.community_a, in_hours=1)
    me = resident_of(world.person_a1)
    with (
        clock.freeze(s.starts_at + dt.timedelta(minutes=1)),
        pytest.raises(ValidationError) as info,
    ):
        sessions.booking_create(actor=me, session=s)
    assert _fields(info) == {"session"}
    assert not Booking.objects.exists()


def test_another_communitys_session_is_refused(world):
    s = session(world.community_b)
    with pytest.raises(ValidationError) as info:
        sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    assert _fields(info) == {"session"}


def test_a_cancelled_place_is_given_back_and_may_be_booked_again(world):
    me = resident_of(world.person_a1)
    s = session(world.community_a, capacity=1)
    booking = sessions.booking_create(actor=me, session=s)
    sessions.booking_cancel(actor=me, booking=booking)
    other = sessions.booking_create(actor=resident_of(world.person_a2), session=s)
    assert other.status == "booked"
    sessions.booking_cancel(actor=other.booked_by, booking=other)
    again = sessions.booking_create(actor=me, session=s)
    assert again.pk == booking.pk and again.status == "booked"


def test_cancelling_after_the_start_is_refused(world):
    me = resident_of(world.person_a1)
    s = session(world.community_a, in_hours=1)
    booking = sessions.booking_create(actor=me, session=s)
    with clock.freeze(s.starts_at), pytest.raises(ValidationError) as info:
        sessions.booking_cancel(actor=me, booking=booking)
    assert _fields(info) == {"session"}
    assert Booking.objects.get().status == "booked"


def test_someone_else_cannot_cancel_my_booking(world):
    booking = sessions.booking_create(
        actor=resident_of(world.person_a1), session=session(world.community_a)
    )
    with pytest.raises(NotFound):
        sessions.booking_cancel(actor=resident_of(world.person_a2), booking=booking)


# --- staff: doses and attendance ---------------------------------------------------------------


def _running_session(world, area=None, **kw):
    """A session running now: created an hour before its start, booked, then the clock
    moves to its start."""
    return session(area or world.community_a, in_hours=1, hours=4, **kw)


def test_the_doctor_records_a_booked_persons_dose_and_the_booking_is_attended(world):
    s = _running_session(world)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    with clock.freeze(s.starts_at + dt.timedelta(minutes=5)):
        dose = sessions.session_dose_record(
            actor=world.by_role[Role.DOCTOR], session=s, person_id=world.person_a1.pk
        )
    assert (dose.dose, dose.vaccine, dose.site) == (1, s.vaccine, s.place)
    assert Booking.objects.get().status == BookingStatus.ATTENDED
    assert AuditEntry.objects.filter(action="vaccination.record").count() == 1
    assert AuditEntry.objects.get(action="booking.attend").object_label.startswith("#")


def test_the_next_dose_follows_the_given_ones_and_the_rules_are_the_services(world):
    s = _running_session(world)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    with clock.freeze(s.starts_at):
        with pytest.raises(ValidationError) as info:  # dose 2 without dose 1
            sessions.session_dose_record(
                actor=world.secretary, session=s, person_id=world.person_a1.pk, dose=2
            )
        assert _fields(info) == {"dose"}
        assert not Vaccination.objects.exists()
        assert Booking.objects.get().status == "booked"  # nothing half-written
        sessions.session_dose_record(actor=world.secretary, session=s, person_id=world.person_a1.pk)
    assert Vaccination.objects.get().dose == 1


def test_a_dose_for_a_person_not_booked_is_refused(world):
    s = _running_session(world)
    with clock.freeze(s.starts_at), pytest.raises(ValidationError) as info:
        sessions.session_dose_record(actor=world.secretary, session=s, person_id=world.person_a1.pk)
    assert _fields(info) == {"person"}
    assert not Vaccination.objects.exists()


def test_a_dose_for_a_person_outside_ones_area_is_refused(world):
    """A grid worker of grid A2 sees the community's session, and records doses for the
    persons of their own grid only."""
    s = _running_session(world)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)  # grid A1
    with clock.freeze(s.starts_at), pytest.raises(ValidationError) as info:
        sessions.session_dose_record(
            actor=world.grid_worker_b, session=s, person_id=world.person_a1.pk
        )
    assert _fields(info) == {"person"}
    assert not Vaccination.objects.exists()


def test_staff_of_another_community_do_not_see_the_session(world):
    s = _running_session(world, area=world.community_b)
    with pytest.raises(NotFound):
        sessions.session_dose_record(actor=world.secretary, session=s, person_id=world.person_b1.pk)


def test_no_dose_at_a_testing_session_but_attendance(world):
    s = _running_session(world, kind="test")
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    with clock.freeze(s.starts_at):
        with pytest.raises(ValidationError) as info:
            sessions.session_dose_record(
                actor=world.secretary, session=s, person_id=world.person_a1.pk
            )
        assert _fields(info) == {"session"}
        booking = sessions.booking_attend(
            actor=world.grid_worker_a, session=s, person_id=world.person_a1.pk
        )
    assert booking.status == "attended"


def test_no_record_at_a_closed_session(world):
    s = _running_session(world)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    sessions.session_close(actor=None, session=s)
    with pytest.raises(ValidationError) as info:
        sessions.session_dose_record(actor=world.secretary, session=s, person_id=world.person_a1.pk)
    assert _fields(info) == {"session"}
