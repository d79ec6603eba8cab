"""Check-ins are audited in aggregate: one entry per venue and hour, with the count only."""

from __future__ import annotations

import datetime as dt

from gongzhi.audit.models import AuditEntry
from gongzhi.audit.services import audit_chain_check
from gongzhi.core import clock
from gongzhi.health import venues
from gongzhi.health.tests.venue_factories import checkin, venue
from gongzhi.jobs import PERIODIC_JOBS


def _entries():
    return list(AuditEntry.objects.filter(action="venue.checkins").order_by("seq"))


def test_each_venue_and_hour_gets_one_entry_with_the_count(world):
    shop, gate = venue(world.building_a1, "超市"), venue(world.building_a2, "东门")
    hour = clock.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    for minute in (1, 20, 59):
        checkin(shop, hour + dt.timedelta(minutes=minute), person_id=world.person_a1.pk)
    checkin(gate, hour + dt.timedelta(minutes=5), phone_idx="abcd")
    checkin(shop, hour + dt.timedelta(hours=1, minutes=5), person_id=world.person_a2.pk)
    checkin(shop, clock.now(), person_id=world.person_a2.pk)  # this hour: not finished yet

    assert venues.checkins_audit_hours() == 3
    entries = _entries()
    counts = sorted((e.object_id, e.purpose) for e in entries)
    assert [e.object_label for e in entries].count("超市") == 2
    assert any('"count":3' in purpose for _id, purpose in counts)
    assert all(e.fields == ["checkins"] and e.actor_id is None for e in entries)
    assert all(str(world.person_a1.pk) not in e.purpose.split('"count"')[0] for e in entries)
    assert audit_chain_check().ok


def test_running_twice_counts_each_hour_once(world):
    shop = venue(world.building_a1)
    checkin(shop, clock.now() - dt.timedelta(hours=2), person_id=world.person_a1.pk)
    assert venues.checkins_audit_hours() == 1
    assert venues.checkins_audit_hours() == 0
    assert len(_entries()) == 1


def test_a_check_in_writes_no_audit_entry_of_its_own(world):
    shop = venue(world.building_a1)
    before = AuditEntry.objects.count()
    checkin(shop, clock.now(), person_id=world.person_a1.pk)
    assert AuditEntry.objects.count() == before


def test_the_count_is_one_hourly_periodic_job(world):
    jobs = [j for j in PERIODIC_JOBS if j.task == "gongzhi.health.venue_tasks.audit_checkins"]
    assert len(jobs) == 1 and jobs[0].every == dt.timedelta(hours=1)
