"""Contact tracing pages: the person chosen through the register's search, a purpose
required and audited, the window checked (end after start, at most 14 days)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.health.tests.venue_factories import checkin, venue


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _fmt(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def scene(world):
    shop = venue(world.building_a1, "幸福超市")
    at = clock.now() - dt.timedelta(hours=5)
    checkin(shop, at, person_id=world.person_a1.pk)
    checkin(shop, at + dt.timedelta(minutes=30), person_id=world.person_a2.pk)
    return shop, at


def _data(start, end, purpose="确诊病例流调"):
    return {"start": _fmt(start), "end": _fmt(end), "purpose": purpose}


def test_the_tracer_finds_the_person_through_the_register_search(world, scene):
    page = _client(world.secretary).get("/health/trace/", {"q": "张晓明"})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/health/trace/persons/{world.person_a1.pk}/" in body
    assert body.count("张晓明") == 1  # only the search box, as typed
    assert "张*明" in body


def test_contacts_need_a_purpose_and_the_opening_is_audited(world, scene):
    _shop, at = scene
    client = _client(world.by_role[Role.DOCTOR])
    url = f"/health/trace/persons/{world.person_a1.pk}/"
    refused = client.post(url, _data(at - dt.timedelta(days=1), at + dt.timedelta(hours=1), ""))
    assert refused.status_code == 200 and "李*英" not in refused.content.decode()
    assert not AuditEntry.objects.filter(action="trace.contacts").exists()
    shown = client.post(url, _data(at - dt.timedelta(days=1), at + dt.timedelta(hours=1)))
    body = shown.content.decode()
    assert "李*英" in body and "李秀英" not in body and "幸福超市" in body
    entry = AuditEntry.objects.get(action="trace.contacts")
    assert entry.purpose == "确诊病例流调"
    assert entry.object_label == "张*明"  # the person, masked
    assert entry.area_path == world.person_a1.area_path


def test_a_window_ending_before_it_starts_is_refused_naming_the_end(world, scene):
    shop, at = scene
    response = _client(world.secretary).post(
        f"/health/trace/venues/{shop.pk}/", _data(at, at - dt.timedelta(hours=1))
    )
    assert response.status_code == 200
    assert "时段结束时间须晚于开始时间" in response.content.decode()
    assert not AuditEntry.objects.filter(action="trace.venue").exists()


def test_a_window_longer_than_14_days_is_refused(world, scene):
    shop, at = scene
    response = _client(world.secretary).post(
        f"/health/trace/venues/{shop.pk}/", _data(at - dt.timedelta(days=15), at)
    )
    assert "最多查看 14 天" in response.content.decode()
    assert not AuditEntry.objects.filter(action="trace.venue").exists()


def test_who_was_at_a_venue_is_shown_masked_and_audited(world, scene):
    shop, at = scene
    response = _client(world.secretary).post(
        f"/health/trace/venues/{shop.pk}/",
        _data(at - dt.timedelta(hours=1), at + dt.timedelta(hours=1)),
    )
    body = response.content.decode()
    assert "张*明" in body and "李*英" in body and "张晓明" not in body
    assert AuditEntry.objects.get(action="trace.venue").object_id == str(shop.pk)


def test_a_venue_of_another_community_is_404(world):
    other = venue(world.building_b1, "乙社区超市")
    assert _client(world.secretary).get(f"/health/trace/venues/{other.pk}/").status_code == 404


def test_a_grid_worker_does_not_trace(world, scene):
    shop, _at = scene
    client = _client(world.grid_worker_a)
    assert client.get("/health/trace/").status_code == 404
    assert client.get(f"/health/trace/venues/{shop.pk}/").status_code == 404
