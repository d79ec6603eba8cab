"""Computing and storing statuses: in bulk, a few queries a batch; after a signal; for
what time alone changes; with a community's own rules, saved as versions."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health import status, status_rules, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import HealthStatus, StatusRuleSet
from gongzhi.health.tests import status_factories as f
from gongzhi.registry import services as registry_services
from gongzhi.testing import make_id_number

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.freeze(NOW):
        yield


NAMES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥春夏秋冬东南西北"


ROOMS = itertools.count(300)


def _persons(world, n):
    out = []
    for i in range(n):
        household = registry_services.household_create(
            actor=None, building=world.building_a1, unit="2", room=str(next(ROOMS))
        )
        out.append(registry_services.person_create(
            actor=None, household=household, data={"name": f"测试{NAMES[i]}", "id_number": make_id_number()}
        ))  # fmt: skip
    return out


def test_a_refresh_writes_one_row_per_person_with_its_retention(world):
    assert status.status_refresh([world.person_a1.pk, world.person_a2.pk]) == 2
    status.status_refresh([world.person_a1.pk])  # again: updated, not doubled
    rows = HealthStatus.objects.filter(person__in=[world.person_a1, world.person_a2])
    assert rows.count() == 2
    row = rows.get(person=world.person_a1)
    assert row.computed_at == NOW
    assert row.retain_until == sunset.retain_until("status", NOW)
    assert row.area_path == world.person_a1.area_path


def test_the_queries_do_not_grow_with_the_batch(world):
    few = _persons(world, 2)
    many = _persons(world, 30)
    for p in few + many:
        f.declaration(p, community=world.community_a)
        f.sample(p, hours_ago=2, result="negative")
        f.checkin(f.venue(world.building_a1), p, at=NOW - dt.timedelta(hours=3))
    with CaptureQueriesContext(connection) as small:
        status.status_refresh([p.pk for p in few])
    with CaptureQueriesContext(connection) as large:
        status.status_refresh([p.pk for p in many])
    assert len(large) == len(small) <= 12, [q["sql"][:80] for q in large]


def test_a_signal_after_an_input_changes_refreshes_the_person(world):
    f.sample(world.person_a1, hours_ago=1, result="positive")
    health_inputs_changed.send(sender=None, person_ids=[world.person_a1.pk])
    assert HealthStatus.objects.get(person=world.person_a1).color == "red"


def test_a_signal_for_many_persons_goes_to_the_worker(world, monkeypatch):
    queued = []
    monkeypatch.setattr(status, "status_refresh_task", SimpleNamespace(enqueue=queued.append))
    ids = list(range(1, status.SYNC_LIMIT + 2))
    health_inputs_changed.send(sender=None, person_ids=ids)
    assert queued == [ids]


def test_time_alone_brings_an_arrival_back_to_green(world):
    f.declaration(world.person_a1, community=world.community_a, arrived_on=clock.today())
    status.status_refresh([world.person_a1.pk])
    assert HealthStatus.objects.get(person=world.person_a1).color == "amber"
    with clock.freeze(NOW + dt.timedelta(days=8)):
        assert world.person_a1.pk in status.due_for_refresh()
        status.status_refresh_due_task.call()
    assert HealthStatus.objects.get(person=world.person_a1).color == "green"


def test_a_later_check_in_beside_a_red_person_is_found_by_the_periodic_refresh(world):
    place = f.venue(world.building_a1, "玉岭菜市场")
    at = NOW - dt.timedelta(hours=2)
    f.checkin(place, world.person_a2, at=at)
    f.sample(world.person_a2, hours_ago=3, result="positive")
    status.status_refresh([world.person_a2.pk])  # red; nobody else there yet
    # A scan tells nobody (it is one INSERT): the periodic refresh finds the contact.
    f.checkin(place, world.person_a1, at=at + dt.timedelta(minutes=30))
    assert world.person_a1.pk in status.due_for_refresh()
    status.status_refresh_due_task.call()
    assert HealthStatus.objects.get(person=world.person_a1).color == "amber"


def test_green_persons_without_recent_inputs_are_not_due(world):
    status.status_refresh([world.person_a2.pk])
    assert status.due_for_refresh() == []


# --- a community's own rules, as versions --------------------------------------------------


def _strict_rules():
    rules = copy.deepcopy(status_rules.DEFAULT_RULES)
    rules.insert(0, {"id": "any_arrival", "color": "red", "reason": "红码：{days} 天内自 {origin} 返回",
                     "when": {"condition": "arrived_within_days", "days": 30}})  # fmt: skip
    return rules


def test_a_communitys_version_overrides_the_default_for_its_persons_only(world):
    f.declaration(world.person_a1, community=world.community_a, arrived_on=clock.today())
    f.sample(world.person_a1, hours_ago=2, result="negative")
    f.declaration(world.person_b1, community=world.community_b, arrived_on=clock.today())
    f.sample(world.person_b1, hours_ago=2, result="negative")
    saved = status.rule_set_save(
        actor=world.secretary, community=world.community_a, rules=_strict_rules(), reason="从严"
    )
    status.status_refresh([world.person_a1.pk, world.person_b1.pk])
    a1 = HealthStatus.objects.get(person=world.person_a1)
    assert (a1.color, a1.rule_set, a1.reasons[0]["rule"]) == ("red", saved, "any_arrival")
    b1 = HealthStatus.objects.get(person=world.person_b1)
    assert (b1.color, b1.rule_set) == ("green", None)


def test_each_save_is_a_new_version_and_the_latest_applies(world):
    first = status.rule_set_save(
        actor=world.secretary, community=world.community_a, rules=_strict_rules(), reason="从严"
    )
    second = status.rule_set_save(
        actor=world.secretary, community=world.community_a,
        rules=status_rules.DEFAULT_RULES, reason="恢复默认",
    )  # fmt: skip
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.rules[0]["id"] == "any_arrival"  # never edited in place
    assert second.reason == "恢复默认" and second.created_by == world.secretary
    assert status.rules_for_area(world.building_a1).rule_set == second


def test_saving_recomputes_the_communitys_stored_statuses(
    world, django_capture_on_commit_callbacks
):
    f.declaration(world.person_a1, community=world.community_a, arrived_on=clock.today())
    f.sample(world.person_a1, hours_ago=2, result="negative")
    status.status_refresh([world.person_a1.pk])
    assert HealthStatus.objects.get(person=world.person_a1).color == "green"
    with django_capture_on_commit_callbacks(execute=True):
        status.rule_set_save(
            actor=world.secretary, community=world.community_a, rules=_strict_rules(), reason="从严"
        )
    assert HealthStatus.objects.get(person=world.person_a1).color == "red"


def test_a_save_is_audited_by_version_only(world):
    rules = _strict_rules()
    saved = status.rule_set_save(
        actor=world.secretary, community=world.community_a, rules=rules, reason="因张三返乡从严"
    )
    entry = AuditEntry.objects.get(action="health.rules_save")
    assert entry.object_id == str(saved.pk)
    assert "张三" not in entry.purpose + entry.object_label
    assert "version" in entry.purpose


def test_a_save_needs_a_reason_and_valid_rules_and_names_both(world):
    with pytest.raises(ValidationError) as caught:
        status.rule_set_save(
            actor=world.secretary, community=world.community_a,
            rules=status_rules.DEFAULT_RULES[:-1], reason=" ",
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"rules", "reason"}
    assert not StatusRuleSet.objects.exists()


def test_only_the_communitys_staff_may_save(world):
    for actor in (world.grid_worker_a, world.by_role["police"]):
        with pytest.raises(Forbidden):
            status.rule_set_save(
                actor=actor, community=world.community_a,
                rules=status_rules.DEFAULT_RULES, reason="试",
            )  # fmt: skip
    with pytest.raises(Forbidden):  # another community's secretary
        status.rule_set_save(
            actor=world.secretary, community=world.community_b,
            rules=status_rules.DEFAULT_RULES, reason="试",
        )  # fmt: skip
