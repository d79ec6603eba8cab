"""Recording samples: one person, or a scan at a sampling point; what is refused, and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health import codes, samples, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import (
    Booking,
    BookingStatus,
    Sample,
    SampleResult,
    TestingSession,
    WatchEntry,
    WatchEvent,
)
from gongzhi.health.states import EntryStatus
from gongzhi.registry.models import Residency

pytestmark = pytest.mark.django_db


def session_for(world, *, kind="test", closed=False, area=None):
    now = clock.now()
    area = area or world.community_a
    return TestingSession.objects.create(
        community=area,
        area_path=area.path,
        kind=kind,
        place="社区广场",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3),
        capacity=100,
        closed_at=now if closed else None,
    )


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_grid_worker_records_a_pcr_sample_with_retention_and_audit(world):
    sample = samples.sample_record(
        actor=world.grid_worker_a, person=world.person_a1, kind="pcr", tube_code=" ab-1234 "
    )
    assert sample.tube_code == "AB-1234"
    assert sample.result == SampleResult.PENDING
    assert sample.area_path == world.person_a1.area_path
    assert sample.retain_until == sunset.retain_until("test", sample.sampled_at)
    entry = AuditEntry.objects.get(action="sample.record")
    assert entry.object_label == f"#{sample.pk}"
    assert world.person_a1.name not in entry.object_label + entry.purpose


def test_an_antigen_result_may_be_entered_directly(world):
    sample = samples.sample_record(
        actor=world.by_role[Role.DOCTOR], person=world.person_a1, kind="antigen", result="negative"
    )
    assert sample.result == SampleResult.NEGATIVE and sample.result_at is not None


def test_a_pcr_result_is_not_entered_at_the_point(world):
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(
            actor=world.grid_worker_a, person=world.person_a1, kind="pcr",
            tube_code="T0001", result="negative",
        )  # fmt: skip
    assert "result" in errors_of(excinfo)
    assert not Sample.objects.exists()


def test_every_field_problem_is_named_at_once(world):
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(
            actor=world.grid_worker_a, person=world.person_a1, kind="blood",
            tube_code="试管!", sampled_at=clock.now() + dt.timedelta(hours=2),
        )  # fmt: skip
    errors = errors_of(excinfo)
    assert {"kind", "tube_code", "sampled_at"} <= set(errors)
    assert not Sample.objects.exists()


def test_pcr_needs_a_tube_code_and_a_tube_is_used_once(world):
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(actor=world.grid_worker_a, person=world.person_a1, kind="pcr")
    assert "tube_code" in errors_of(excinfo)
    samples.sample_record(
        actor=world.grid_worker_a, person=world.person_a1, kind="pcr", tube_code="T0001"
    )
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(
            actor=world.grid_worker_a, person=world.household_a1.persons.first(), kind="antigen",
            tube_code="t0001",
        )  # fmt: skip
    assert "tube_code" in errors_of(excinfo)


def test_a_sample_older_than_a_week_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(
            actor=world.grid_worker_a, person=world.person_a1, kind="antigen",
            sampled_at=clock.now() - dt.timedelta(days=8),
        )  # fmt: skip
    assert "sampled_at" in errors_of(excinfo)


def test_grid_worker_cannot_record_for_another_grid(world):
    with pytest.raises(Forbidden):
        samples.sample_record(
            actor=world.grid_worker_a, person=world.person_a2, kind="pcr", tube_code="T0002"
        )


def test_police_cannot_record_tests(world):
    with pytest.raises(Forbidden):
        samples.sample_record(
            actor=world.by_role[Role.POLICE], person=world.person_a1, kind="antigen"
        )


def test_a_person_who_moved_away_is_refused(world):
    person = world.person_a1
    person.residency = Residency.MOVED_OUT
    person.save(update_fields=["residency"])
    with pytest.raises(ValidationError) as excinfo:
        samples.sample_record(actor=world.grid_worker_a, person=person, kind="antigen")
    assert "person" in errors_of(excinfo)


def test_the_same_person_twice_within_minutes_is_said_not_doubled(world):
    session = session_for(world)
    first = samples.sample_record(
        actor=world.grid_worker_a, person=world.person_a1, kind="pcr", tube_code="T0001",
        session=session,
    )  # fmt: skip
    later = clock.now() + dt.timedelta(minutes=3)
    with clock.freeze(later), pytest.raises(ValidationError) as excinfo:
        samples.sample_record(
            actor=world.grid_worker_a, person=world.person_a1, kind="pcr",
            tube_code="T0002", session=session,
        )  # fmt: skip
    (message,) = errors_of(excinfo)["person"]
    assert f"#{first.pk}" in message
    assert excinfo.value.error_dict["person"][0].code == "duplicate"
    assert Sample.objects.count() == 1


def test_the_same_person_later_in_the_day_is_a_new_sample(world):
    samples.sample_record(
        actor=world.grid_worker_a, person=world.person_a1, kind="antigen", result="negative"
    )
    with clock.freeze(clock.now() + dt.timedelta(minutes=30)):
        samples.sample_record(actor=world.grid_worker_a, person=world.person_a1, kind="antigen")
    assert Sample.objects.count() == 2


def test_a_booking_for_the_session_is_marked_attended(world):
    session = session_for(world)
    booking = Booking.objects.create(
        session=session, person=world.person_a1, area_path=world.person_a1.area_path
    )
    samples.sample_record(
        actor=world.grid_worker_a, person=world.person_a1, kind="pcr", tube_code="T0001",
        session=session,
    )  # fmt: skip
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED


def test_a_closed_or_vaccination_session_is_refused(world):
    for session in (session_for(world, closed=True), session_for(world, kind="vaccination")):
        with pytest.raises(ValidationError) as excinfo:
            samples.sample_record(
                actor=world.grid_worker_a, person=world.person_a1, kind="antigen",
                session=session,
            )  # fmt: skip
        assert "session" in errors_of(excinfo)
    assert not Sample.objects.exists()


def test_health_inputs_changed_is_sent_on_commit(world, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, person_ids, **kwargs):
        seen.append(person_ids)

    health_inputs_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            samples.sample_record(actor=world.grid_worker_a, person=world.person_a1, kind="antigen")
        assert seen == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        health_inputs_changed.disconnect(receiver)
    assert seen == [[world.person_a1.pk]]


def test_a_positive_antigen_opens_a_watch_entry_for_the_grid_worker(world):
    sample = samples.sample_record(
        actor=world.by_role[Role.DOCTOR], person=world.person_a1, kind="antigen", result="positive"
    )
    entry = WatchEntry.objects.get(person=world.person_a1)
    assert entry.upstream_list is None
    assert entry.status == EntryStatus.TO_REVIEW
    assert entry.assignee == world.grid_worker_a
    assert entry.grid == world.grid_a1
    event = WatchEvent.objects.get(entry=entry)
    assert event.data["sample"] == sample.pk


def test_a_second_positive_joins_the_open_entry(world):
    doctor = world.by_role[Role.DOCTOR]
    samples.sample_record(actor=doctor, person=world.person_a1, kind="antigen", result="positive")
    with clock.freeze(clock.now() + dt.timedelta(hours=1)):
        samples.sample_record(
            actor=doctor, person=world.person_a1, kind="antigen", result="positive"
        )
    entry = WatchEntry.objects.get(person=world.person_a1)
    assert entry.events.count() == 2


# --- scanning a resident's code ------------------------------------------------------------


def test_a_scanned_code_names_the_person(world):
    code = codes.person_code(world.person_a1.pk)
    assert samples.person_from_code(actor=world.grid_worker_a, code=code) == world.person_a1


def test_a_forged_code_is_refused_on_code(world):
    with pytest.raises(ValidationError) as excinfo:
        samples.person_from_code(actor=world.grid_worker_a, code=f"p{world.person_a1.pk}:forged")
    assert "code" in errors_of(excinfo)


def test_a_stale_code_is_refused_on_code(world):
    signer = signing.TimestampSigner(salt=codes.SALT)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    # A code signed two days ago: the signer's own format, with an old timestamp.
    stamp = signing.b62_encode(int(old.timestamp()))
    person_part = f"p{world.person_a1.pk}:{stamp}"
    stale = f"{person_part}:{signer.signature(person_part)}"
    with pytest.raises(ValidationError) as excinfo:
        samples.person_from_code(actor=world.grid_worker_a, code=stale)
    assert "day old" in " ".join(errors_of(excinfo)["code"])


def test_a_code_of_a_person_outside_the_scope_is_refused_on_person(world):
    code = codes.person_code(world.person_b1.pk)
    with pytest.raises(ValidationError) as excinfo:
        samples.person_from_code(actor=world.grid_worker_a, code=code)
    (message,) = errors_of(excinfo)["person"]
    assert world.person_b1.name not in message
