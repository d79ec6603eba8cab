"""Contact tracing reads: who was at a venue; who shared a place and hour with a person
(one query), within the tracer's area, masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.health import venues
from gongzhi.health.tests.venue_factories import checkin, venue
from gongzhi.health.venue_selectors import contacts_of, venue_visits
from gongzhi.registry.rows import phone_index


@pytest.fixture
def t0():
    return clock.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)


def _window(t0, days=2):
    return venues.Window(t0 - dt.timedelta(days=1), t0 + dt.timedelta(days=days))


def test_contacts_are_those_at_the_same_venue_within_an_hour(world, t0):
    shop, gate = venue(world.building_a1, "超市"), venue(world.building_a2, "东门")
    index, near, far = world.person_a1, world.person_a2, world.person_b1
    checkin(shop, t0, person_id=index.pk)
    checkin(shop, t0 + dt.timedelta(minutes=50), person_id=near.pk)  # within the hour
    checkin(shop, t0 + dt.timedelta(hours=3), person_id=far.pk)  # hours later: not a contact
    checkin(gate, t0 + dt.timedelta(minutes=5), phone_idx="x" * 8)  # another venue
    stranger = checkin(shop, t0 - dt.timedelta(minutes=30), phone_idx="feed" * 4)
    secretary = world.secretary  # community A: both venues are hers
    access.grants(secretary)  # her roles are read once a request, before the trace
    with CaptureQueriesContext(connection) as ctx:
        rows = contacts_of(user=secretary, person=index, window=_window(t0))
    assert len(ctx.captured_queries) == 1
    assert len(rows) == 2 and rows[0].who == "李*英"
    assert {r.at for r in rows} == {t0 + dt.timedelta(minutes=50), stranger.at}
    assert all(r.venue == "超市" and r.with_at == t0 for r in rows)


def test_the_persons_check_ins_by_phone_count_as_theirs(world, t0):
    shop = venue(world.building_a1)
    index = world.person_a1
    checkin(shop, t0, phone_idx=phone_index(index.phone.reveal()))  # scanned without an account
    checkin(shop, t0 + dt.timedelta(minutes=10), person_id=world.person_a2.pk)
    rows = contacts_of(user=world.secretary, person=index, window=_window(t0))
    assert [r.who for r in rows] == ["李*英"]


def test_contacts_outside_the_tracers_area_are_not_shown(world, t0):
    shop_b = venue(world.building_b1, "乙社区超市")
    checkin(shop_b, t0, person_id=world.person_a1.pk)
    checkin(shop_b, t0 + dt.timedelta(minutes=10), person_id=world.person_b1.pk)
    assert contacts_of(user=world.secretary, person=world.person_a1, window=_window(t0)) == []


def test_check_ins_outside_the_window_are_not_traced(world, t0):
    shop = venue(world.building_a1)
    checkin(shop, t0 - dt.timedelta(days=5), person_id=world.person_a1.pk)
    checkin(shop, t0 - dt.timedelta(days=5), person_id=world.person_a2.pk)
    assert contacts_of(user=world.secretary, person=world.person_a1, window=_window(t0)) == []


def test_who_was_at_a_venue_is_masked_and_in_time_order(world, t0):
    shop = venue(world.building_a1)
    checkin(shop, t0 + dt.timedelta(minutes=20), person_id=world.person_a2.pk)
    checkin(shop, t0, person_id=world.person_a1.pk)
    checkin(shop, t0 + dt.timedelta(days=4), person_id=world.person_a1.pk)  # after the window
    police = world.by_role[Role.POLICE]
    rows = venue_visits(user=police, venue=shop, window=_window(t0))
    assert [r.who for r in rows] == ["张*明", "李*英"]
    assert "张晓明" not in str(rows)
