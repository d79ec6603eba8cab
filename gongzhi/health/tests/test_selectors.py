import pytest
from django.contrib.auth.models import AnonymousUser

from gongzhi.accounts.models import Role
from gongzhi.core.errors import NotFound
from gongzhi.health import selectors
from gongzhi.health.tests import factories as f


@pytest.fixture
def lists(world):
    rows = [f.person_row(world.person_a1), f.person_row(world.person_a2)]
    return f.matched(world.community_a, rows), f.matched(
        world.community_b, [f.person_row(world.person_b1)]
    )


def names(user):
    return sorted(e.name for e in selectors.watch_entry_list_for(user=user))


def test_a_grid_worker_sees_their_grids_entries_only(world, lists):
    assert names(world.grid_worker_a) == ["张晓明"]
    assert names(world.grid_worker_b) == ["李秀英"]


def test_the_secretary_sees_the_whole_community(world, lists):
    assert names(world.secretary) == ["张晓明", "李秀英"]


@pytest.mark.parametrize(
    "role", [Role.STREET_OFFICER, Role.PARTY_MEMBER, Role.RESIDENT, Role.AUDITOR, Role.SYSTEM_ADMIN]
)
def test_roles_without_follow_up_see_no_entry(world, lists, role):
    assert names(world.by_role[role]) == []


def test_an_entry_out_of_scope_is_not_found(world, lists):
    entry = lists[1].entries.get()
    with pytest.raises(NotFound):
        selectors.watch_entry_get_for(user=world.secretary, entry_id=entry.pk)
    with pytest.raises(NotFound):
        selectors.watch_entry_get_for(user=world.secretary, entry_id="nope")


def test_upstream_lists_are_seen_by_upload_holders_of_their_area(world, lists):
    assert list(selectors.upstream_list_list_for(user=world.secretary)) == [lists[0]]
    assert not selectors.upstream_list_list_for(user=world.grid_worker_a).exists()
    with pytest.raises(NotFound):
        selectors.upstream_list_get_for(user=world.grid_worker_a, list_id=lists[0].pk)


def test_filters(world, lists):
    secretary = world.secretary
    by_grid = selectors.watch_entry_list_for(
        user=secretary, filters=selectors.EntryFilters(area_id=world.grid_a2.pk)
    )
    assert [e.name for e in by_grid] == ["李秀英"]
    mine = selectors.watch_entry_list_for(
        user=world.grid_worker_a, filters=selectors.EntryFilters(mine=True, status="open")
    )
    assert [e.name for e in mine] == ["张晓明"]
    outside = selectors.watch_entry_list_for(
        user=secretary, filters=selectors.EntryFilters(area_id=world.grid_b1.pk)
    )
    assert not outside.exists()


def test_mine_for_an_anonymous_viewer_is_nothing_not_an_error(world, lists):
    # Found by mypy: filtering by assignee=AnonymousUser raised TypeError.
    mine = selectors.watch_entry_list_for(
        user=AnonymousUser(), filters=selectors.EntryFilters(mine=True)
    )
    assert not mine.exists()


def test_summary_counts(world, lists):
    summary = selectors.watch_summary_for(user=world.grid_worker_a)
    assert (summary.total, summary.open, summary.to_review, summary.mine_open) == (1, 1, 1, 1)
