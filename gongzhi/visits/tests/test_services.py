import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.registry.models import Tag
from gongzhi.visits.models import Concern, Method, Visit, VisitRule
from gongzhi.visits.services import visit_log, visit_rule_clear, visit_rule_set
from gongzhi.workorders.models import Category, Channel, WorkOrder


def _log(actor, household, **extra):
    data = {"visited_at": clock.now() - dt.timedelta(hours=1), "method": Method.HOME}
    data.update(extra)
    return visit_log(actor=actor, household=household, **data)


def test_grid_worker_logs_a_visit_to_a_household_of_their_grid(world):
    visit = _log(
        world.grid_worker_a,
        world.household_a1,
        notes="身体还好，膝盖疼",
        concerns=[Concern.HEALTH],
        persons=[world.person_a1.pk],
    )
    visit.refresh_from_db()
    assert visit.visitor == world.grid_worker_a
    assert visit.area_path == world.household_a1.area_path
    assert list(visit.persons.all()) == [world.person_a1]
    assert visit.notes.reveal() == "身体还好，膝盖疼"
    assert visit.concerns == ["health"]


def test_notes_are_stored_encrypted_and_shown_with_numbers_masked(world):
    visit = _log(world.grid_worker_a, world.household_a1, notes="女儿电话13912345678")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM visits_visit WHERE id = %s", [visit.pk])
        raw = cursor.fetchone()[0]
    assert "13912345678" not in raw and "女儿" not in raw
    shown = str(Visit.objects.get(pk=visit.pk).notes)
    assert "女儿电话" in shown and "13912345678" not in shown


def test_grid_worker_cannot_log_a_visit_in_another_grid(world):
    with pytest.raises(Forbidden):
        _log(world.grid_worker_a, world.household_a2)
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.POLICE, Role.BUILDING_HEAD, Role.PARTY_MEMBER, Role.RESIDENT, Role.STREET_OFFICER]
)
def test_roles_that_do_not_visit_cannot_log_a_visit(world, role):
    with pytest.raises(Forbidden):
        _log(world.by_role[role], world.household_a1)


@pytest.mark.parametrize("role", [Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY])
def test_leaders_and_community_staff_log_visits_too(world, role):
    assert _log(world.by_role[role], world.household_a1).pk


def test_a_follow_up_order_is_filed_through_the_work_orders(world):
    repair = Category.objects.get(code="repair")
    visit = _log(
        world.grid_worker_a,
        world.household_a1,
        persons=[world.person_a1],
        concerns=[Concern.HOUSING],
        follow_up_category=repair,
        follow_up_description="厨房水管漏水",
    )
    order = WorkOrder.objects.get()
    assert visit.follow_up == order
    assert order.person == world.person_a1 and order.household == world.household_a1
    assert order.channel == Channel.STAFF and order.requester == world.grid_worker_a
    assert order.timeline.filter(action="create").exists()
    assert order.response_due is not None  # the category's deadlines applied


def test_a_follow_up_order_without_a_description_is_a_field_error_and_nothing_is_kept(world):
    repair = Category.objects.get(code="repair")
    with pytest.raises(ValidationError) as exc:
        _log(world.grid_worker_a, world.household_a1, follow_up_category=repair)
    assert "follow_up_description" in exc.value.message_dict
    assert not Visit.objects.exists() and not WorkOrder.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"method": "fax"}, "method"),
        ({"visited_at": None}, "visited_at"),
        ({"visited_at": clock.now() + dt.timedelta(days=1)}, "visited_at"),
        ({"visited_at": clock.now() - dt.timedelta(days=60)}, "visited_at"),
        ({"concerns": ["aliens"]}, "concerns"),
        ({"concerns": [Concern.OTHER]}, "concern_note"),
        ({"notes": "x" * 2001}, "notes"),
        ({"follow_up_description": "修水管"}, "follow_up_category"),
    ],
)
def test_bad_input_names_the_field(world, extra, field):
    with pytest.raises(ValidationError) as exc:
        _log(world.grid_worker_a, world.household_a1, **extra)
    assert field in exc.value.message_dict


def test_persons_met_must_be_members_of_the_household(world):
    with pytest.raises(ValidationError) as exc:
        _log(world.grid_worker_a, world.household_a1, persons=[world.person_b1.pk])
    message = exc.value.message_dict["persons"][0]
    assert str(world.person_b1.pk) in message and world.person_b1.name not in message


def test_the_audit_entry_names_kinds_not_values(world):
    visit = _log(world.grid_worker_a, world.household_a1, notes="王建国身份证421087198005170011")
    entry = AuditEntry.objects.filter(action="visit.log").get()
    assert entry.object_id == str(visit.pk)
    assert "notes" in entry.fields
    text = f"{entry.purpose} {entry.object_label}"
    assert "王建国" not in text and "421087198005170011" not in text
    assert world.household_a1.address not in text


def test_secretary_sets_and_clears_the_communitys_rule(world):
    tag = Tag.objects.get(code="elderly_alone")
    rule = visit_rule_set(actor=world.secretary, area=world.community_a, tag=tag, every_days=5)
    assert (rule.every_days, rule.area_path) == (5, world.community_a.path)
    visit_rule_set(actor=world.secretary, area=world.community_a, tag=tag, every_days="6")
    assert VisitRule.objects.get(pk=rule.pk).every_days == 6
    visit_rule_clear(actor=world.secretary, area=world.community_a, tag=tag)
    assert not VisitRule.objects.filter(area=world.community_a).exists()
    assert AuditEntry.objects.filter(action__startswith="visit_rule.").count() == 3


@pytest.mark.parametrize("who", ["grid_worker_a", "secretary_b"])
def test_only_the_communitys_secretary_sets_its_rules(world, who):
    from gongzhi.accounts.services import membership_grant, user_create

    if who == "secretary_b":
        actor = user_create(username="sec_b", password="x-very-long-9", display_name="b")
        membership_grant(user=actor, area=world.community_b, role=Role.SECRETARY)
    else:
        actor = world.grid_worker_a
    tag = Tag.objects.get(code="elderly_alone")
    with pytest.raises(Forbidden):
        visit_rule_set(actor=actor, area=world.community_a, tag=tag, every_days=3)


def test_a_rule_is_set_on_a_community_not_a_grid(world):
    tag = Tag.objects.get(code="elderly_alone")
    with pytest.raises(Forbidden):
        visit_rule_set(actor=world.secretary, area=world.grid_a1, tag=tag, every_days=3)


@pytest.mark.parametrize("days", [0, 367, "weekly", None])
def test_a_rules_days_are_a_whole_number_in_range(world, days):
    tag = Tag.objects.get(code="elderly_alone")
    with pytest.raises(ValidationError) as exc:
        visit_rule_set(actor=world.secretary, area=world.community_a, tag=tag, every_days=days)
    assert "every_days" in exc.value.message_dict


def test_the_system_logs_no_visit(world):
    with pytest.raises(Forbidden):
        _log(None, world.household_a1)
