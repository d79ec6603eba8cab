"""Visit tasks: asked once per source and household, assigned to the grid worker, closed
by logging a visit to the household."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.visits.models import VisitTask
from gongzhi.visits.services import visit_log, visit_task_create

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _task(world, source="campaign:1", actor=None):
    return visit_task_create(
        actor=actor,
        household=world.household_a1,
        person=world.person_a1,
        source=source,
        reason="外呼无应答",
        due_on=dt.date(2026, 3, 3),
    )


def test_a_task_goes_to_the_grid_worker_of_the_household(world):
    task = _task(world)
    assert task.assignee == world.grid_worker_a
    assert task.area_path == world.household_a1.area_path


def test_asking_twice_for_the_same_source_gives_the_same_task(world):
    assert _task(world) == _task(world)
    assert VisitTask.objects.count() == 1
    _task(world, source="campaign:2")
    assert VisitTask.objects.count() == 2


def test_someone_who_does_not_visit_there_cannot_ask(world):
    with pytest.raises(Forbidden):
        _task(world, actor=world.grid_worker_b)


def test_logging_a_visit_closes_the_households_open_tasks(world):
    task = _task(world)
    other = visit_task_create(
        actor=None, household=world.household_a2, source="campaign:1", reason="x",
        due_on=dt.date(2026, 3, 3),
    )  # fmt: skip
    with clock.freeze(T0):
        visit = visit_log(
            actor=world.grid_worker_a, household=world.household_a1, visited_at=T0,
            method="home", notes="",
        )  # fmt: skip
    task.refresh_from_db()
    other.refresh_from_db()
    assert task.visit == visit and task.done_at == T0
    assert other.done_at is None
