import pytest

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import ROLE_PERMS, Perm
from gongzhi.accounts.services import membership_grant
from gongzhi.audit.models import AuditEntry
from gongzhi.core import scope
from gongzhi.registry.models import Area, AreaKind, Household


def visible_households(user) -> set[int]:
    return set(Household.objects.restrict(user, Perm.REGISTER_VIEW).values_list("pk", flat=True))


def test_every_role_has_a_row_in_the_policy():
    assert set(ROLE_PERMS) == set(Role.values)


def test_grid_worker_sees_only_their_grid(world):
    assert visible_households(world.grid_worker_a) == {world.household_a1.pk}


def test_grid_worker_cannot_see_other_grid(world):
    assert world.household_a2.pk not in visible_households(world.grid_worker_a)
    assert not access.can(world.grid_worker_a, Perm.REGISTER_VIEW, world.household_a2.area_path)


def test_secretary_sees_the_whole_community(world):
    assert visible_households(world.secretary) == {world.household_a1.pk, world.household_a2.pk}


def test_street_officer_sees_every_community_of_the_street(world):
    officer = world.by_role[Role.STREET_OFFICER]
    assert visible_households(officer) == {
        world.household_a1.pk,
        world.household_a2.pk,
        world.household_b1.pk,
    }


def test_street_officer_may_not_edit_or_reveal(world):
    officer = world.by_role[Role.STREET_OFFICER]
    assert not access.can(officer, Perm.REGISTER_EDIT)
    assert not access.can(officer, Perm.REGISTER_REVEAL)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER, Role.AUDITOR, Role.SYSTEM_ADMIN])
def test_roles_without_register_access_see_no_household(world, role):
    assert visible_households(world.by_role[role]) == set()


def test_outsider_without_memberships_sees_nothing(world):
    assert access.grants(world.outsider) == ()
    assert visible_households(world.outsider) == set()


def test_anonymous_user_has_no_grants(db):
    from django.contrib.auth.models import AnonymousUser

    assert access.grants(AnonymousUser()) == ()
    assert not access.can(AnonymousUser(), Perm.REGISTER_VIEW)


def test_inactive_membership_grants_nothing(world):
    Membership.objects.filter(user=world.grid_worker_a).update(is_active=False)
    access.forget(world.grid_worker_a)
    assert visible_households(world.grid_worker_a) == set()


def test_inactive_user_has_no_grants(world):
    world.grid_worker_a.is_active = False
    access.forget(world.grid_worker_a)
    assert access.grants(world.grid_worker_a) == ()


def test_memberships_on_two_nodes_add_up(world):
    membership_grant(user=world.grid_worker_a, area=world.grid_a2, role=Role.GRID_WORKER)
    assert visible_households(world.grid_worker_a) == {world.household_a1.pk, world.household_a2.pk}


def test_api_membership_limits_the_request_to_that_membership(world):
    user = world.grid_worker_a
    membership_grant(user=user, area=world.community_a, role=Role.COMMUNITY_STAFF)
    narrow = Membership.objects.get(user=user, role=Role.GRID_WORKER)
    access.bind_api_membership(user, narrow)
    assert visible_households(user) == {world.household_a1.pk}


def test_auditor_may_read_the_log_only(world):
    auditor = world.by_role[Role.AUDITOR]
    assert access.can(auditor, Perm.AUDIT_VIEW)
    assert ROLE_PERMS[Role.AUDITOR] == {Perm.AUDIT_VIEW}


def test_grants_are_loaded_once_per_request(world, django_assert_num_queries):
    user = world.secretary
    access.forget(user)
    with django_assert_num_queries(1):
        for _ in range(5):
            access.paths(user, Perm.REGISTER_VIEW)


# --- paths of several permissions, paths within a node, overlaps --------------------------------


def test_paths_of_several_permissions_are_their_union(world):
    user = world.grid_worker_a  # follows up the watch list in grid A1, uploads nowhere
    membership_grant(user=user, area=world.community_b, role=Role.COMMUNITY_STAFF)
    assert access.paths(user, Perm.WATCHLIST_UPLOAD) == [world.community_b.path]
    assert access.paths(user, Perm.WATCHLIST_FOLLOW_UP, Perm.WATCHLIST_UPLOAD) == sorted(
        [world.grid_a1.path, world.community_b.path]
    )
    assert access.paths(user) == []


def test_paths_of_several_permissions_keep_only_the_highest_nodes(world):
    both = access.paths(world.secretary, Perm.WATCHLIST_FOLLOW_UP, Perm.WATCHLIST_UPLOAD)
    assert both == [world.community_a.path]


def test_paths_within_a_node_below_the_user_is_the_node_itself(world):
    officer = world.by_role[Role.STREET_OFFICER]
    assert access.paths_within(officer, Perm.REPORT_VIEW, world.community_a.path) == [
        world.community_a.path
    ]
    assert access.paths_within(world.secretary, Perm.REPORT_VIEW, world.community_a.path) == [
        world.community_a.path
    ]


def test_paths_within_a_node_above_the_user_are_the_users_own_nodes(world):
    user = world.grid_worker_a
    membership_grant(user=user, area=world.grid_a2, role=Role.GRID_WORKER)
    assert access.paths_within(user, Perm.REPORT_VIEW, world.community_a.path) == [
        world.grid_a1.path,
        world.grid_a2.path,
    ]


def test_paths_within_another_node_are_none(world):
    assert access.paths_within(world.grid_worker_a, Perm.REPORT_VIEW, world.community_b.path) == []
    assert access.paths_within(world.grid_worker_a, Perm.REPORT_VIEW, world.grid_a2.path) == []


def test_overlaps_holds_above_at_and_inside_the_node(world):
    user = world.grid_worker_a
    assert access.overlaps(user, Perm.REPORT_VIEW, world.street.path)  # their grid is inside
    assert access.overlaps(user, Perm.REPORT_VIEW, world.grid_a1.path)
    assert access.overlaps(user, Perm.REPORT_VIEW, world.building_a1.path)
    assert not access.overlaps(user, Perm.REPORT_VIEW, world.grid_a2.path)
    assert not access.overlaps(user, Perm.REPORT_VIEW, world.community_b.path)
    assert not access.overlaps(user, Perm.WATCHLIST_UPLOAD, world.community_a.path)


# --- Model.objects.restrict / within / overlapping --------------------------------------------


def test_restrict_with_several_permissions_adds_their_areas(world):
    user = world.grid_worker_a
    membership_grant(user=user, area=world.community_b, role=Role.COMMUNITY_STAFF)
    one = Area.objects.filter(kind=AreaKind.GRID).restrict(user, Perm.WATCHLIST_UPLOAD)
    both = Area.objects.filter(kind=AreaKind.GRID).restrict(
        user, Perm.WATCHLIST_FOLLOW_UP, Perm.WATCHLIST_UPLOAD
    )
    assert set(one) == {world.grid_b1}
    assert set(both) == {world.grid_a1, world.grid_b1}


def test_restrict_overlapping_adds_the_nodes_above_the_users(world):
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    user = world.grid_worker_a
    assert set(communities.restrict(user, Perm.IMPORT_RUN)) == set()
    assert set(communities.restrict(user, Perm.IMPORT_RUN, overlapping=True)) == {world.community_a}


def test_restrict_gives_nothing_to_a_user_without_the_permission(world):
    assert not Area.objects.restrict(world.outsider, Perm.AREA_VIEW).exists()
    assert not Area.objects.restrict(world.by_role[Role.AUDITOR], Perm.AREA_VIEW).exists()


def test_within_narrows_to_a_node_and_overlapping_adds_its_ancestors(world):
    grids = Area.objects.filter(kind=AreaKind.GRID)
    assert set(grids.within(world.community_a.path)) == {world.grid_a1, world.grid_a2}
    assert set(grids.within(world.grid_a1.path, world.grid_b1.path)) == {
        world.grid_a1,
        world.grid_b1,
    }
    around = Area.objects.overlapping(world.grid_a1.path)
    assert set(around.values_list("path", flat=True)) == {
        *scope.ancestors(world.grid_a1.path, inclusive=True),
        world.building_a1.path,
    }
    assert not grids.within().exists()


def test_restrict_function_uses_the_models_scope_field(world):
    mine = access.restrict(AuditEntry.objects.all(), world.grid_worker_a, Perm.REGISTER_VIEW)
    paths = set(mine.values_list("area_path", flat=True))
    assert paths and all(p.startswith(world.grid_a1.path) for p in paths)
    assert AuditEntry.objects.exclude(pk__in=mine.values("pk")).exists()


def test_restrict_function_takes_an_explicit_field(world):
    found = access.restrict(
        Household.objects.all(), world.secretary, Perm.REGISTER_VIEW, "area_path"
    )
    assert set(found) == {world.household_a1, world.household_a2}


# --- who may act here --------------------------------------------------------------------------


def _users(memberships) -> list[str]:
    return [m.user.username for m in memberships]


def test_holders_nearest_are_those_on_the_nearest_node_that_has_any(world):
    here = access.holders(Perm.WATCHLIST_FOLLOW_UP, world.building_a1.path)
    assert _users(here) == ["grid_worker_a", "grid_leader"]  # grid A1, oldest first
    assert _users(access.holders(Perm.WATCHLIST_FOLLOW_UP, world.building_a2.path)) == [
        "grid_worker_b"
    ]


def test_holders_nearest_climbs_past_nodes_without_any(world):
    # Community B and its grid have no one who reads the area tree; the street officer does.
    assert _users(access.holders(Perm.AREA_VIEW, world.grid_b1.path)) == ["street_officer"]


def test_holders_all_are_every_holder_above_nearest_first(world):
    found = access.holders(Perm.WATCHLIST_FOLLOW_UP, world.building_a1.path, nearest=False)
    assert _users(found) == [
        "grid_worker_a",
        "grid_leader",
        "staff",
        "secretary",
        "police",
        "doctor",
    ]


def test_holders_can_be_narrowed_to_some_roles(world):
    found = access.holders(
        Perm.WATCHLIST_FOLLOW_UP, world.building_a1.path, nearest=False, roles=[Role.GRID_WORKER]
    )
    assert _users(found) == ["grid_worker_a"]


def test_holders_refuse_a_role_that_does_not_grant_the_permission(world):
    with pytest.raises(ValueError, match="resident"):
        access.holders(Perm.WATCHLIST_FOLLOW_UP, world.grid_a1.path, roles=[Role.RESIDENT])


def test_holders_leave_out_inactive_users_and_memberships(world):
    world.grid_worker_a.is_active = False
    world.grid_worker_a.save()
    Membership.objects.filter(user=world.by_role[Role.GRID_LEADER]).update(is_active=False)
    assert _users(access.holders(Perm.WATCHLIST_FOLLOW_UP, world.building_a1.path)) == [
        "staff",
        "secretary",
        "police",
        "doctor",
    ]


def test_holders_at_several_paths_is_one_query(world, django_assert_num_queries):
    paths = [world.building_a1.path, world.building_a2.path, world.building_b1.path]
    with django_assert_num_queries(1):
        found = access.holders_at(Perm.WATCHLIST_FOLLOW_UP, paths)
    assert {p: _users(m) for p, m in found.items()} == {
        world.building_a1.path: ["grid_worker_a", "grid_leader"],
        world.building_a2.path: ["grid_worker_b"],
        world.building_b1.path: [],
    }
