import pytest

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import ROLE_PERMS, Perm
from gongzhi.accounts.services import membership_grant
from gongzhi.registry.models import Household


def visible_households(user) -> set[int]:
    return set(
        access.restrict(Household.objects.all(), user, Perm.REGISTER_VIEW, "area_path").values_list(
            "pk", flat=True
        )
    )


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
