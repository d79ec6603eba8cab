"""Which households are due a visit: by tag, every N days, since the last visit."""

import datetime as dt

import pytest

from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.core import clock
from gongzhi.registry.models import PersonTag, Tag
from gongzhi.registry.services import person_create
from gongzhi.testing import make_id_number
from gongzhi.visits.models import Method, Visit
from gongzhi.visits.selectors import due_summary, due_visits_for, household_due
from gongzhi.visits.services import visit_rule_set


def tag(person, code):
    PersonTag.objects.create(person=person, tag=Tag.objects.get(code=code))


def visited(household, days_ago, by):
    return Visit.objects.create(
        household=household,
        visitor=by,
        visited_at=clock.now() - dt.timedelta(days=days_ago),
        method=Method.HOME,
        area_path=household.area_path,
    )


def due_ids(user, **kw):
    return [d.household_id for d in due_visits_for(user=user, **kw)]


def test_a_tagged_household_never_visited_is_due(world):
    tag(world.person_a1, "elderly_alone")
    rows = due_visits_for(user=world.grid_worker_a)
    assert [r.household_id for r in rows] == [world.household_a1.pk]
    assert rows[0].due_on is None and rows[0].overdue and rows[0].every_days == 7


def test_a_household_without_a_tag_with_a_rule_is_never_due(world):
    tag(world.person_a1, "party_member")  # no rule for party members
    assert due_ids(world.grid_worker_a) == []


@pytest.mark.parametrize(
    ("days_ago", "horizon", "due"),
    [(3, 0, False), (3, 3, False), (5, 0, False), (5, 3, True), (8, 0, True), (8, 3, True)],
)
def test_due_after_n_days_since_the_last_visit(world, days_ago, horizon, due):
    tag(world.person_a1, "elderly_alone")  # every 7 days
    visited(world.household_a1, days_ago, world.grid_worker_a)
    assert due_ids(world.grid_worker_a, horizon_days=horizon) == (
        [world.household_a1.pk] if due else []
    )


@pytest.mark.parametrize("visit_hour", [1, 12, 23])
@pytest.mark.parametrize("now_hour", [0, 9, 23])
def test_due_today_is_due_by_the_day_whatever_the_hours(world, visit_hour, now_hour):
    """Listed on the day it falls due, before or after the hour of the last visit (a cut at
    `now - 7 days` listed it only once the hour had passed); never the day before."""
    shanghai = dt.timezone(dt.timedelta(hours=8))
    tag(world.person_a1, "elderly_alone")  # every 7 days
    Visit.objects.create(
        household=world.household_a1,
        visitor=world.grid_worker_a,
        visited_at=dt.datetime(2026, 3, 2, visit_hour, 30, tzinfo=shanghai),
        method=Method.HOME,
        area_path=world.household_a1.area_path,
    )
    with clock.freeze(dt.datetime(2026, 3, 9, now_hour, 10, tzinfo=shanghai)):
        rows = due_visits_for(user=world.grid_worker_a, horizon_days=0)
        assert [(r.household_id, r.due_on) for r in rows] == [
            (world.household_a1.pk, dt.date(2026, 3, 9))
        ]
        assert due_summary(rows).overdue == 0  # due today, not yet late
    with clock.freeze(dt.datetime(2026, 3, 8, now_hour, 10, tzinfo=shanghai)):
        assert due_ids(world.grid_worker_a, horizon_days=0) == []


def test_only_the_last_visit_counts(world):
    tag(world.person_a1, "elderly_alone")
    visited(world.household_a1, 20, world.grid_worker_a)
    visited(world.household_a1, 2, world.secretary)  # anyone's visit counts
    assert due_ids(world.grid_worker_a) == []


def test_overdue_and_due_soon_are_told_apart(world):
    tag(world.person_a1, "elderly_alone")
    visited(world.household_a1, 5, world.grid_worker_a)  # due in 2 days
    summary = due_summary(due_visits_for(user=world.secretary))
    assert (summary.overdue, summary.soon) == (0, 1)
    tag(world.person_a2, "key_person")  # never visited: overdue
    summary = due_summary(due_visits_for(user=world.secretary))
    assert (summary.overdue, summary.soon) == (1, 1)


def test_the_most_frequent_rule_of_the_members_applies(world):
    tag(world.person_a1, "disabled")  # 30 days
    visited(world.household_a1, 10, world.grid_worker_a)
    assert due_ids(world.grid_worker_a, horizon_days=0) == []
    person_create(
        actor=None,
        household=world.household_a1,
        data={"name": "张大爷", "id_number": make_id_number(), "relation": "parent"},
    )
    tag(world.household_a1.persons.get(name="张大爷"), "elderly_alone")  # 7 days
    rows = due_visits_for(user=world.grid_worker_a, horizon_days=0)
    assert [(r.household_id, r.every_days) for r in rows] == [(world.household_a1.pk, 7)]


def test_a_member_who_moved_out_no_longer_makes_the_household_due(world):
    tag(world.person_a1, "elderly_alone")
    world.person_a1.residency = "moved_out"
    world.person_a1.save(update_fields=["residency"])
    assert due_ids(world.grid_worker_a) == []


def test_a_communitys_own_rule_wins_over_the_default(world):
    for person in (world.person_a1, world.person_b1):
        tag(person, "elderly_alone")
    for household in (world.household_a1, world.household_b1):
        visited(household, 4, world.grid_worker_a)
    elderly = Tag.objects.get(code="elderly_alone")
    visit_rule_set(actor=world.secretary, area=world.community_a, tag=elderly, every_days=3)
    both = user_create(username="both", password="x-very-long-9", display_name="both")
    for community in (world.community_a, world.community_b):
        membership_grant(user=both, area=community, role="community_staff")
    rows = due_visits_for(user=both, horizon_days=0)
    assert [(r.household_id, r.every_days) for r in rows] == [(world.household_a1.pk, 3)]
    rows = due_visits_for(user=both, horizon_days=3)  # B's: due in 3 days
    assert {r.household_id for r in rows} == {world.household_a1.pk, world.household_b1.pk}


def test_a_grid_worker_sees_their_grid_only(world):
    tag(world.person_a1, "elderly_alone")
    tag(world.person_a2, "elderly_alone")
    tag(world.person_b1, "elderly_alone")
    assert due_ids(world.grid_worker_a) == [world.household_a1.pk]
    assert due_ids(world.grid_worker_b) == [world.household_a2.pk]
    assert set(due_ids(world.secretary)) == {world.household_a1.pk, world.household_a2.pk}
    assert due_ids(world.by_role["police"]) == []  # does not visit


def test_a_closed_household_is_not_due(world):
    tag(world.person_a1, "elderly_alone")
    world.household_a1.status = "closed"
    world.household_a1.save(update_fields=["status"])
    assert due_ids(world.grid_worker_a) == []


def test_the_due_list_is_one_query_for_many_households(world, django_assert_max_num_queries):
    from gongzhi.registry.services import household_create

    for n in range(30):
        household = household_create(actor=None, building=world.building_a1, unit="2", room=f"{n}")
        person = person_create(
            actor=None, household=household, data={"name": "测试", "id_number": make_id_number()}
        )
        tag(person, "elderly_alone" if n % 2 else "key_person")
        if n % 3 == 0:
            visited(household, n, world.grid_worker_a)
    world.grid_worker_a.refresh_from_db()  # no cached grants
    # grants, the communities of the scope, their rules, the households due
    with django_assert_max_num_queries(4):
        rows = due_visits_for(user=world.grid_worker_a, horizon_days=0)
    expected = 0
    for n in range(30):
        every = 7 if n % 2 else 14
        expected += n % 3 != 0 or n > every
    assert len(rows) == expected


def test_a_households_own_state(world):
    assert household_due(household=world.household_a1) is None
    tag(world.person_a1, "elderly_alone")
    visited(world.household_a1, 1, world.grid_worker_a)
    state = household_due(household=world.household_a1)
    assert state.due_on == clock.today() + dt.timedelta(days=6) and not state.overdue
