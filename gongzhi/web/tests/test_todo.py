"""The home page's to-do sections: per role, scoped to the user, most urgent first."""

import datetime as dt

import pytest
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.health.tests.factories import entry_for
from gongzhi.registry.models import PersonTag, Tag
from gongzhi.registry.transfers import transfer_request_create
from gongzhi.web.todo import todo_for
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.workorders.filing import workorder_create
from gongzhi.workorders.models import Category


@pytest.fixture
def busy(world):
    """Something waiting in grid A1 and the same in grid A2, of every kind."""
    import importlib

    from django.apps import apps as django_apps

    from gongzhi.visits.models import VisitRule

    ensure_default_categories()
    if not VisitRule.objects.exists():
        importlib.import_module("gongzhi.visits.migrations.0002_default_visit_rules").forwards(
            django_apps, None
        )
    repair = Category.objects.get(code="repair")
    elderly = Tag.objects.get(code="elderly_alone")
    for building, person in (
        (world.building_a1, world.person_a1),
        (world.building_a2, world.person_a2),
    ):
        with clock.freeze(clock.now() - dt.timedelta(days=5)):  # past its deadline by now
            workorder_create(actor=None, category=repair, description="旧单", place=building)
        workorder_create(actor=None, category=repair, description="新单", place=building)
        PersonTag.objects.create(person=person, tag=elderly)
    entry = entry_for(world.person_a1, world.community_a)
    entry.assignee = world.grid_worker_a
    entry.save(update_fields=["assignee"])
    # A transfer request for grid A1's person, asked from the other community.
    from gongzhi.accounts.services import membership_grant, user_create

    keeper = user_create(username="keeper_b", password="x-very-long-9", display_name="b")
    membership_grant(user=keeper, area=world.community_b, role=Role.SECRETARY)
    transfer_request_create(
        actor=keeper,
        household=world.household_b1,
        id_number=world.person_a1.id_number.reveal(),
        reason="投靠子女",
    )
    return world


def sections(user):
    return {s.key: s for s in todo_for(user=user)}


def test_a_grid_worker_sees_their_grids_work_not_another_grids(busy):
    found = sections(busy.grid_worker_a)
    assert set(found) == {
        "orders_overdue", "orders_waiting", "tasks", "visits", "watchlist", "transfers", "imports",
    }  # fmt: skip
    assert found["orders_overdue"].count == 1  # grid A1's only
    assert found["orders_waiting"].count == 2
    assert found["visits"].count == 1
    assert found["visits"].items[0].label == busy.household_a1.address
    assert found["watchlist"].count == 1
    assert found["transfers"].count == 1
    other = sections(busy.grid_worker_b)
    assert other["orders_waiting"].count == 2 and other["visits"].count == 1
    assert other["visits"].items[0].label == busy.household_a2.address
    assert other["watchlist"].count == 0 and other["transfers"].count == 0


def test_waiting_orders_come_by_deadline(busy):
    items = sections(busy.grid_worker_a)["orders_waiting"].items
    assert [i.late for i in items] == [True, False]  # the overdue one first


def test_the_secretary_sees_the_whole_community(busy):
    found = sections(busy.secretary)
    assert found["orders_overdue"].count == 2 and found["visits"].count == 2


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        (Role.POLICE, {"watchlist"}),
        (Role.VOLUNTEER, {"tasks"}),
        (Role.STREET_OFFICER, {"orders_overdue", "orders_waiting"}),
        (Role.BUILDING_HEAD, set()),
        (Role.AUDITOR, set()),
    ],
)
def test_only_sections_the_role_can_act_on(busy, role, keys):
    assert set(sections(busy.by_role[role])) == keys


def test_the_home_page_shows_the_sections(client, busy):
    client.force_login(busy.grid_worker_a)
    body = client.get(reverse("web:home")).content.decode()
    assert 'id="todo-visits"' in body and busy.household_a1.address in body
    assert busy.household_a2.address not in body
    assert reverse("visits:due") in body


def test_the_to_do_list_takes_a_fixed_number_of_queries(busy, django_assert_max_num_queries):
    from gongzhi.registry.services import household_create, person_create
    from gongzhi.testing import make_id_number

    elderly = Tag.objects.get(code="elderly_alone")
    for n in range(20):  # more households due: no more queries
        household = household_create(actor=None, building=busy.building_a1, unit="5", room=f"{n}")
        person = person_create(
            actor=None, household=household, data={"name": "测试", "id_number": make_id_number()}
        )
        PersonTag.objects.create(person=person, tag=elderly)
    user = busy.grid_worker_a
    user.refresh_from_db()
    # grants; per section a count and its first items (the visits: communities, rules, due,
    # households; the tasks: offers, orders in hand)
    with django_assert_max_num_queries(18):
        found = sections(user)
    assert found["visits"].count == 21
