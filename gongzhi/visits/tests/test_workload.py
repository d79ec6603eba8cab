"""Workload per worker and ISO week, on a small world built step by step."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.health.services import watch_entry_transition
from gongzhi.health.tests.factories import entry_for
from gongzhi.imports.models import ImportBatch
from gongzhi.visits.models import Method, Visit
from gongzhi.visits.workload import workload_for
from gongzhi.workorders.filing import workorder_create
from gongzhi.workorders.models import Category
from gongzhi.workorders.services import workorder_transition
from gongzhi.workorders.sweep import sla_sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday, ISO week 48


def at(month, day, hour=10):
    return clock.freeze(dt.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI))


def visit(household, by, when):
    return Visit.objects.create(
        household=household, visitor=by, visited_at=when, method=Method.PHONE,
        area_path=household.area_path,
    )  # fmt: skip


@pytest.fixture
def built(world):
    gw, resident, volunteer = world.grid_worker_a, world.resident, world.by_role[Role.VOLUNTEER]
    repair = Category.objects.get(code="repair")
    with at(11, 10):  # week 46: filed (not a step) and dispatched
        late_order = workorder_create(
            actor=resident, category=repair, description="路灯坏了", place=world.building_a1
        )
        workorder_transition(actor=gw, order=late_order, action="dispatch", handlers=[volunteer])
        workorder_transition(actor=volunteer, order=late_order, action="accept")
    with at(11, 20):  # the deadline passed: the sweep escalates it to the community
        assert sla_sweep().escalated == 1
    with at(11, 17):  # week 47: a dispatch in time
        order = workorder_create(
            actor=resident, category=repair, description="水管", place=world.building_a1
        )
        workorder_transition(actor=gw, order=order, action="dispatch", handlers=[volunteer])
        workorder_transition(actor=volunteer, order=order, action="accept")  # not staff
    with at(11, 18):  # week 47: a follow-up
        entry = entry_for(world.person_a1, world.community_a)
        watch_entry_transition(actor=gw, entry=entry, action="review", data={"note": "已核"})
    ImportBatch.objects.create(
        created_by=gw,
        committed_by=gw,
        community=world.community_a,
        area_path=world.grid_a1.path,
        filename="名册.xlsx",
        stored_name="w1",
        sha256="0" * 64,
        size=1,
        format="xlsx",
        status="committed",
        committed_at=NOW - dt.timedelta(days=6),
    )  # fmt: skip  (week 47)
    with at(11, 24):  # week 48: the secretary's step on the overdue order
        workorder_transition(
            actor=world.secretary, order=late_order, action="dispatch", handlers=[volunteer]
        )
    visit(world.household_a1, gw, NOW - dt.timedelta(hours=2))  # week 48
    visit(world.household_a1, gw, NOW - dt.timedelta(days=1))  # week 48
    visit(world.household_a1, gw, NOW - dt.timedelta(weeks=10))  # before the table
    visit(world.household_a2, world.grid_worker_b, NOW - dt.timedelta(days=1))  # grid A2
    return world


def table(user):
    with clock.freeze(NOW):
        return workload_for(user=user)


def cells(row):
    return [
        (i, c.orders, c.late, c.visits, c.follow_ups, c.imports)
        for i, c in enumerate(row.weeks)
        if not c.empty
    ]


def test_the_grid_leader_sees_the_workers_of_their_grid_week_by_week(built):
    workload = table(built.by_role[Role.GRID_LEADER])
    assert workload.weeks[0] == dt.date(2026, 10, 5) and workload.weeks[-1] == dt.date(2026, 11, 23)
    assert workload.week_labels[-1] == "W48"
    rows = {r.user.username: r for r in workload.rows}
    assert set(rows) == {"grid_worker_a", "grid_leader"}  # not grid A2's worker
    # week 46 (index 5): a dispatch; week 47: a dispatch, a follow-up, an import;
    # week 48: two visits
    assert cells(rows["grid_worker_a"]) == [
        (5, 1, 0, 0, 0, 0), (6, 1, 0, 0, 1, 1), (7, 0, 0, 2, 0, 0),
    ]  # fmt: skip
    total = rows["grid_worker_a"].total
    assert (total.orders, total.late, total.visits, total.follow_ups, total.imports) == (
        2, 0, 2, 1, 1,
    )  # fmt: skip
    assert workload.total.visits == 2 and workload.totals[6].orders == 1
    assert workload.total.late == 0  # the late step was the secretary's, above the grid


def test_the_secretary_sees_every_worker_of_the_community(built):
    workload = table(built.secretary)
    rows = {r.user.username: r for r in workload.rows}
    assert {"grid_worker_a", "grid_worker_b", "grid_leader", "staff", "secretary"} <= set(rows)
    assert cells(rows["grid_worker_b"]) == [(7, 0, 0, 1, 0, 0)]
    # the dispatch of an order the sweep had escalated for its missed deadline is late
    assert cells(rows["secretary"]) == [(7, 1, 1, 0, 0, 0)]
    assert workload.total.visits == 3 and workload.total.orders == 3
    assert workload.total.late == 1


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_OFFICER])
def test_other_roles_see_no_workload(built, role):
    assert table(built.by_role[role]).rows == []


def test_the_table_takes_a_fixed_number_of_queries(built, django_assert_max_num_queries):
    user = built.secretary
    user.refresh_from_db()
    with django_assert_max_num_queries(6):  # grants, workers, and one per kind of work
        table(user)
