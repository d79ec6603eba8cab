"""The follow-up of a watch-list entry: online review → offline verification → outcome."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition
from gongzhi.health import selectors, services
from gongzhi.health.states import ALLOWED_TRANSITIONS, EntryStatus, actions_from
from gongzhi.health.tests import factories as f
from gongzhi.registry import services as registry
from gongzhi.testing import PASSWORD, make_id_number

VALID = {
    "review": {"note": "属实，需上门"},
    "dismiss": {"note": "重复推送"},
    "verify": {"method": "visit", "found": True, "note": "在家，无症状"},
    "close": {"outcome": "home_monitoring"},
    "reopen": {"note": "复核"},
}
# The state each action starts from, reached from to_review by these actions.
PATH_TO = {
    EntryStatus.TO_REVIEW: [],
    EntryStatus.TO_VERIFY: ["review"],
    EntryStatus.VERIFIED: ["review", "verify"],
    EntryStatus.CLOSED: ["review", "verify", "close"],
}


@pytest.fixture
def entry(world):
    return f.entry_for(world.person_a1, world.community_a)


def act(entry, action, actor, **data):
    return services.watch_entry_transition(
        actor=actor, entry=entry, action=action, data={**VALID[action], **data}
    )


def bring_to(entry, status, actor):
    for action in PATH_TO[status]:
        entry = act(entry, action, actor)
    return entry


@pytest.mark.parametrize(
    ("action", "source", "target"),
    [
        (action, source, target)
        for action, (sources, target) in ALLOWED_TRANSITIONS.items()
        for source in sources
    ],
)
def test_every_allowed_transition(world, entry, action, source, target):
    entry = bring_to(entry, source, world.secretary)
    moved = act(entry, action, world.secretary)
    assert moved.status == target
    assert AuditEntry.objects.filter(action=f"watchlist.{action}", object_id=str(entry.pk)).exists()
    assert moved.events.filter(action=action, from_status=source, to_status=target).exists()


@pytest.mark.parametrize(
    ("action", "source"),
    [
        (action, source)
        for action, (sources, _target) in ALLOWED_TRANSITIONS.items()
        for source in EntryStatus.values
        if source not in sources
    ],
)
def test_every_refused_transition(world, entry, action, source):
    entry = bring_to(entry, source, world.secretary)
    with pytest.raises(IllegalTransition) as info:
        act(entry, action, world.secretary)
    assert info.value.status == 409
    entry.refresh_from_db()
    assert entry.status == source


def test_an_unknown_action_is_refused(world, entry):
    with pytest.raises(ValidationError) as info:
        services.watch_entry_transition(actor=world.secretary, entry=entry, action="approve")
    assert "action" in info.value.error_dict


def test_actions_from_each_status():
    assert actions_from("to_review") == ["review", "dismiss"]
    assert actions_from("to_verify") == ["verify"]
    assert actions_from("verified") == ["close"]
    assert actions_from("closed") == ["reopen"]


def test_the_matched_entry_is_assigned_to_the_grid_worker_of_the_persons_grid(world, entry):
    assert entry.assignee == world.grid_worker_a
    assert entry.grid == world.grid_a1


def test_a_sub_grid_without_a_grid_worker_falls_to_the_nearest_ancestor_grid(world):
    sub = registry.area_create(
        actor=None, parent=world.grid_a1, kind="grid", name="第一党小组", code="421087001001001001"
    )
    building = registry.area_create(
        actor=None,
        parent=sub,
        kind="building",
        name="9栋",
        code="421087001001C001B09",
        compound=world.building_a1.compound,
    )
    household = registry.household_create(actor=None, building=building, unit="1", room="901")
    person = registry.person_create(
        actor=None, household=household, data={"name": "钱九", "id_number": make_id_number()}
    )
    entry = f.entry_for(person, world.community_a)
    assert entry.grid == sub
    assert entry.assignee == world.grid_worker_a
    # Once the sub-grid has its own grid worker, new entries go to them.
    from gongzhi.testing import _user

    own = _user("sub_worker", sub, Role.GRID_WORKER)
    assert selectors.responsible_grid_worker(sub) == own


def test_review_and_verification_need_their_notes_and_fields(world, entry):
    with pytest.raises(ValidationError) as info:
        services.watch_entry_transition(actor=world.grid_worker_a, entry=entry, action="review")
    assert "note" in info.value.error_dict
    entry = act(entry, "review", world.grid_worker_a)
    with pytest.raises(ValidationError) as info:
        services.watch_entry_transition(
            actor=world.grid_worker_a,
            entry=entry,
            action="verify",
            data={
                "method": "fax",
                "note": "x" * 501,
                "verified_on": clock.today() + dt.timedelta(1),
            },
        )
    assert set(info.value.error_dict) == {"method", "found", "note", "verified_on"}


def test_closing_needs_an_outcome_and_dismissed_is_not_one(world, entry):
    entry = bring_to(entry, EntryStatus.VERIFIED, world.grid_worker_a)
    with pytest.raises(ValidationError) as info:
        act(entry, "close", world.grid_worker_a, outcome="dismissed")
    assert "outcome" in info.value.error_dict


def test_a_full_follow_up_by_the_grid_worker(world, entry):
    worker = world.grid_worker_a
    entry = act(entry, "review", worker)
    entry = act(entry, "verify", worker, found=False, method="phone", note="已返回武汉")
    entry = act(entry, "close", worker, outcome="not_here")
    assert entry.status == "closed" and entry.outcome == "not_here"
    assert entry.found is False and entry.verified_on == clock.today()
    assert [e.action for e in selectors.entry_events(entry)] == ["review", "verify", "close"]


def test_dismiss_closes_with_the_dismissed_outcome(world, entry):
    entry = act(entry, "dismiss", world.grid_worker_a)
    assert entry.status == "closed" and entry.outcome == "dismissed"


def test_reopen_clears_the_follow_up(world, entry):
    entry = bring_to(entry, EntryStatus.CLOSED, world.secretary)
    entry = act(entry, "reopen", world.secretary)
    assert entry.status == "to_review"
    assert entry.outcome == "" and entry.verified_on is None and entry.review_note == ""


@pytest.mark.parametrize("role", [Role.GRID_LEADER, Role.POLICE, Role.DOCTOR, Role.COMMUNITY_STAFF])
def test_the_three_person_team_and_keepers_may_follow_up(world, entry, role):
    assert act(entry, "review", world.by_role[role]).status == "to_verify"


@pytest.mark.parametrize(
    "role", [Role.PARTY_MEMBER, Role.BUILDING_HEAD, Role.STREET_OFFICER, Role.RESIDENT]
)
def test_other_roles_may_not_follow_up(world, entry, role):
    with pytest.raises(Forbidden):
        act(entry, "review", world.by_role[role])


def test_the_grid_worker_of_another_grid_may_not_follow_up(world, entry):
    with pytest.raises(Forbidden):
        act(entry, "review", world.grid_worker_b)


def test_only_upload_holders_may_reopen(world, entry):
    entry = bring_to(entry, EntryStatus.CLOSED, world.grid_worker_a)
    with pytest.raises(Forbidden):
        act(entry, "reopen", world.grid_worker_a)


def test_reviewing_an_ambiguous_entry_picks_one_of_its_candidates(world):
    twin = registry.person_create(
        actor=None,
        household=world.household_a2,
        data={"name": "张晓明", "id_number": make_id_number(birth=world.person_a1.birth_date)},
    )
    row = ["张晓明", "13700000001", world.person_a1.birth_date.isoformat()]
    upstream_list = f.matched(world.community_a, [row], header=["姓名", "手机号", "出生日期"])
    entry = upstream_list.entries.get()
    assert entry.tier == "ambiguous" and entry.grid is None
    with pytest.raises(ValidationError) as info:
        act(entry, "review", world.secretary, person=world.person_b1.pk)
    assert "person" in info.value.error_dict
    entry = act(entry, "review", world.secretary, person=twin.pk)
    assert entry.person == twin and entry.grid == world.grid_a2
    assert entry.assignee == world.grid_worker_b


# --- routing and reassigning ---------------------------------------------------------------


@pytest.fixture
def unrouted(world):
    upstream_list = f.matched(world.community_a, [["陈新", "", "13700000001", "", "", "不详"]])
    return upstream_list.entries.get()


def test_staff_route_an_unrouted_entry_to_a_grid_and_its_worker_takes_it(world, unrouted):
    entry = services.watch_entry_assign(actor=world.secretary, entry=unrouted, grid=world.grid_a2)
    assert entry.grid == world.grid_a2 and entry.assignee == world.grid_worker_b
    assert entry.area_path == world.grid_a2.path
    assert selectors.watch_entry_get_for(user=world.grid_worker_b, entry_id=entry.pk)


def test_a_matched_entry_stays_with_its_persons_grid(world, entry):
    with pytest.raises(ValidationError) as info:
        services.watch_entry_assign(actor=world.secretary, entry=entry, grid=world.grid_a2)
    assert "grid" in info.value.error_dict


def test_the_assignee_must_be_able_to_follow_it_up(world, entry):
    with pytest.raises(ValidationError) as info:
        services.watch_entry_assign(
            actor=world.secretary, entry=entry, assignee=world.grid_worker_b
        )
    assert "assignee" in info.value.error_dict
    moved = services.watch_entry_assign(
        actor=world.secretary, entry=entry, assignee=world.by_role[Role.GRID_LEADER]
    )
    assert moved.assignee == world.by_role[Role.GRID_LEADER]


def test_grid_workers_may_not_reassign(world, entry):
    with pytest.raises(Forbidden):
        services.watch_entry_assign(
            actor=world.grid_worker_a, entry=entry, assignee=world.by_role[Role.GRID_LEADER]
        )


def test_a_new_grid_worker_is_responsible_from_then_on(world):
    from gongzhi.accounts.models import User

    newcomer = User.objects.create_user(username="newcomer", password=PASSWORD)
    membership_grant(user=newcomer, area=world.grid_b1, role=Role.GRID_WORKER)
    assert selectors.responsible_grid_worker(world.grid_b1) == newcomer


def test_assignee_choices_are_the_followers_above_the_entry_top_first(world, entry):
    names = [u.username for u in selectors.assignee_choices_for(entry=entry)]
    assert names == ["staff", "grid_worker_a", "grid_leader"]


def test_assignee_choices_leave_out_deactivated_users(world, entry):
    # The assignment refuses them (they hold nothing), so the form does not offer them.
    leader = world.by_role[Role.GRID_LEADER]
    leader.is_active = False
    leader.save()
    names = [u.username for u in selectors.assignee_choices_for(entry=entry)]
    assert names == ["staff", "grid_worker_a"]


def test_a_grid_worker_above_the_grids_is_not_the_responsible_one(world):
    from gongzhi.testing import _user

    _user("community_grid_worker", world.community_b, Role.GRID_WORKER)
    assert selectors.responsible_grid_worker(world.grid_b1) is None
