"""The data sunset: the purge removes every health record that is due (outreach's answers
included) and nothing else; the follow-up of purged declarations is anonymised; one
`Purge` and one audit entry with counts only; what a resident sees held about them."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.health import status, sunset
from gongzhi.health.models import (
    Booking,
    CheckIn,
    Declaration,
    HealthStatus,
    Purge,
    Sample,
    TestingSession,
    Vaccination,
    WatchEntry,
    WatchEvent,
)
from gongzhi.health.tests import status_factories as f
from gongzhi.outreach.models import Attempt, Campaign, Recipient
from gongzhi.registry.models import Household, Person

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 6)
PAST = TODAY - dt.timedelta(days=1)  # due: removed today
DUE_TOMORROW = TODAY  # retain_until today: kept until tomorrow's run


@pytest.fixture(autouse=True)
def frozen():
    with clock.freeze(NOW):
        yield


def _campaign(world):
    return Campaign.objects.create(
        area=world.community_a, area_path=world.community_a.path, name="返乡人员报到",
        channels=["sms"], pace_per_minute=100,
    )  # fmt: skip


def _recipient(campaign, person, *, until, answer="1"):
    recipient = Recipient.objects.create(
        campaign=campaign, person=person, area_path=person.area_path, state="answered",
        answer=answer, answered_at=NOW, retain_until=until,
    )  # fmt: skip
    Attempt.objects.create(
        recipient=recipient, campaign=campaign, channel="sms", reference=f"r{recipient.pk}",
        status="answered", created_at=NOW, retain_until=until,
    )  # fmt: skip
    return recipient


def _session(world):
    return TestingSession.objects.create(
        community=world.community_a, area_path=world.community_a.path, kind="test",
        place="社区广场", starts_at=NOW, ends_at=NOW + dt.timedelta(hours=2), capacity=50,
    )  # fmt: skip


def _everything(world, person, until):
    """One record of every kind about `person`, each kept until `until`."""
    f.declaration(person, community=world.community_a, retain_until=until)
    f.sample(person, retain_until=until)
    f.checkin(f.venue(world.building_a1), person, at=NOW, retain_until=until)
    Booking.objects.create(
        session=_session(world), person=person, area_path=person.area_path, retain_until=until
    )
    status.status_refresh([person.pk])
    HealthStatus.objects.filter(person=person).update(retain_until=until)
    _recipient(_campaign(world), person, until=until)


def test_the_purge_removes_what_is_due_and_keeps_what_is_due_tomorrow(world):
    _everything(world, world.person_a1, PAST)
    _everything(world, world.person_a2, DUE_TOMORROW)
    run = sunset.purge_due()
    assert run.counts == {
        "booking": 1,
        "campaign": 2,
        "checkin": 1,
        "declaration": 1,
        "status": 1,
        "test": 1,
    }  # fmt: skip  (campaign: the answer and its attempt)
    for model in (Declaration, Sample, CheckIn, Booking, HealthStatus, Recipient):
        assert not model.objects.filter(person=world.person_a1).exists(), model
        assert model.objects.filter(person=world.person_a2).count() == 1, model
    assert Attempt.objects.count() == 1


def test_normal_mode_data_survives_a_purge(world):
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.filing import workorder_create
    from gongzhi.workorders.models import Category, WorkOrder

    _everything(world, world.person_a1, PAST)
    Vaccination.objects.create(person=world.person_a1, dose=1, vaccine="科兴", vaccinated_on=PAST)
    ensure_default_categories()
    order = workorder_create(
        actor=world.resident, category=Category.objects.get(code="repair"),
        description="楼道灯坏了", place=world.building_a1,
    )  # fmt: skip
    persons, households = Person.objects.count(), Household.objects.count()
    sunset.purge_due()
    assert (Person.objects.count(), Household.objects.count()) == (persons, households)
    assert Vaccination.objects.filter(person=world.person_a1).count() == 1
    assert WorkOrder.objects.filter(pk=order.pk).exists()


def test_a_declarations_follow_up_is_anonymised_once_closed_and_its_declarations_gone(world):
    entry = f.watch_entry(world.person_a1, status="closed", outcome="home_monitoring",
                          closed_days_ago=20, phone="13900001111", origin="武汉市",
                          review_note="本人电话确认")  # fmt: skip
    WatchEvent.objects.create(entry=entry, at=NOW, action="close", note="已居家监测")
    f.declaration(world.person_a1, community=world.community_a, entry=entry, retain_until=PAST)
    open_entry = f.watch_entry(world.person_a2, status="to_verify", origin="上海市")
    f.declaration(world.person_a2, community=world.community_a, entry=open_entry,
                  retain_until=PAST)  # fmt: skip
    run = sunset.purge_due()
    assert run.counts["watch_entry_anonymised"] == 1
    entry.refresh_from_db()
    assert (entry.name, str(entry.phone), entry.phone_index, entry.origin) == ("", "", "", "")
    assert entry.person is None and entry.review_note == ""
    assert (entry.status, entry.outcome) == ("closed", "home_monitoring")  # the counts stay
    assert WatchEvent.objects.get(entry=entry).note == ""
    open_entry.refresh_from_db()
    assert open_entry.origin == "上海市" and open_entry.person == world.person_a2  # still open
    assert sunset.purge_due().counts.get("watch_entry_anonymised") is None  # done once


def test_an_upstream_lists_entry_is_not_the_sunsets(world):
    from gongzhi.health.tests.factories import entry_for

    listed = entry_for(world.person_a1, world.grid_a1)
    WatchEntry.objects.filter(pk=listed.pk).update(status="closed", outcome="no_action")
    sunset.purge_due()
    listed.refresh_from_db()
    assert listed.person == world.person_a1 and listed.name


def test_one_purge_row_and_one_audit_entry_with_counts_only(world):
    _everything(world, world.person_a1, PAST)
    sunset.purge_due()
    run = Purge.objects.get()
    entry = AuditEntry.objects.get(action="health.purge")
    assert entry.object_id == str(run.pk)
    assert "declaration 1" in entry.purpose
    assert world.person_a1.name not in entry.purpose + entry.object_label
    assert AuditEntry.objects.filter(action="health.purge").count() == 1


def test_a_purge_with_nothing_due_still_records_its_run(world):
    run = sunset.purge_due()
    assert run.counts == {} and Purge.objects.count() == 1


def test_every_model_with_a_retention_is_found_outreach_included():
    names = {m._meta.label for m in sunset.retained_models()}
    assert {"health.Declaration", "health.CheckIn", "health.HealthStatus",
            "outreach.Recipient", "outreach.Attempt"} <= names  # fmt: skip
    assert "health.Vaccination" not in names and "registry.Person" not in names


def test_the_periodic_task_runs_the_purge(world):
    _everything(world, world.person_a1, PAST)
    assert sunset.purge_due_task.call()["declaration"] == 1


# --- what is held about me -------------------------------------------------------------------


def test_held_about_lists_each_kind_with_its_count_and_latest_date(world):
    _everything(world, world.person_a1, TODAY + dt.timedelta(days=3))
    f.sample(world.person_a1, retain_until=TODAY + dt.timedelta(days=9))
    _recipient(_campaign(world), world.person_a1, until=TODAY, answer="")  # no answer: not held
    held = {h.kind: (h.count, h.until) for h in sunset.held_about(world.person_a1.pk)}
    later = TODAY + dt.timedelta(days=3)
    assert held == {
        "booking": (1, later), "campaign": (1, later), "checkin": (1, later),
        "declaration": (1, later), "status": (1, later),
        "test": (2, TODAY + dt.timedelta(days=9)),
    }  # fmt: skip
    assert sunset.held_about(world.person_a2.pk) == []


def test_the_purge_and_the_refresh_are_periodic_jobs():
    from django.utils.module_loading import import_string

    from gongzhi.jobs import PERIODIC_JOBS

    ours = {job.name: job for job in PERIODIC_JOBS if job.name.startswith("health.")}
    assert ours["health.purge"].every == dt.timedelta(days=1)
    assert ours["health.refresh_statuses"].every <= dt.timedelta(hours=1)
    for job in ours.values():
        import_string(job.task)  # a real task
