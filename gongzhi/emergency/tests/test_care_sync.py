"""The periodic sync: open, matched watch-list entries onto the board, only in emergency."""

from __future__ import annotations

import pytest

from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, Mode, ModeState
from gongzhi.emergency.tests.care_factories import emergency
from gongzhi.health import services as health
from gongzhi.health.tests.factories import entry_for, matched
from gongzhi.jobs import PERIODIC_JOBS

pytestmark = pytest.mark.django_db


def test_nothing_is_opened_in_normal_mode(world):
    entry_for(world.person_a1, world.community_a)
    assert care.cases_sync() == 0
    assert not CareCase.objects.exists()


def test_a_community_switched_back_to_normal_is_not_synced(world):
    entry_for(world.person_a1, world.community_a)
    state = emergency(world.community_a)
    state.mode = Mode.NORMAL
    state.save()
    assert care.cases_sync() == 0


def test_open_matched_entries_of_a_community_in_emergency_get_a_case_once(world):
    a1 = entry_for(world.person_a1, world.community_a)
    a2 = entry_for(world.person_a2, world.community_a)
    entry_for(world.person_b1, world.community_b)  # community B stays normal
    emergency(world.community_a)
    assert care.cases_sync() == 2
    assert set(CareCase.objects.values_list("watch_entry_id", flat=True)) == {a1.pk, a2.pk}
    assert care.cases_sync() == 0  # idempotent
    assert CareCase.objects.count() == 2


def test_closed_unmatched_and_merged_entries_are_left_out(world):
    dismissed = entry_for(world.person_a1, world.community_a)
    health.watch_entry_transition(
        actor=None, entry=dismissed, action="dismiss", data={"note": "误报，不需跟进"}
    )
    matched(world.community_a, [["路人甲", "", "", "武汉市", "2022-03-14", ""]])
    first = entry_for(world.person_a2, world.community_a)
    entry_for(world.person_a2, world.community_a)  # joins `first`
    emergency(world.community_a)
    assert care.cases_sync() == 1
    assert CareCase.objects.get().watch_entry_id == first.pk


def test_the_sync_is_one_periodic_job():
    jobs = [j for j in PERIODIC_JOBS if j.task == "gongzhi.emergency.care.cases_sync_task"]
    assert len(jobs) == 1


def test_the_task_reports_how_many_it_opened(world):
    entry_for(world.person_a1, world.community_a)
    emergency(world.community_a)
    assert care.cases_sync_task.call() == {"opened": 1}
    assert ModeState.objects.get().mode == Mode.EMERGENCY
