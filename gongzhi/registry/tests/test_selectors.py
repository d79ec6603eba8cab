import pytest

from gongzhi.accounts.models import Role
from gongzhi.core.errors import NotFound
from gongzhi.registry import selectors, services
from gongzhi.registry.selectors import HouseholdFilters, letters_successor


def names(qs) -> set[str]:
    return {p.name for p in qs}


def test_letters_successor_bounds_prefixes():
    assert letters_successor("zhang") == "zhanh"
    assert letters_successor("az") == "b"
    assert letters_successor("zz") is None


@pytest.mark.parametrize("query", ["zxm", "zhangxiao", "ZhangXiaoMing", "张晓", "张晓明"])
def test_person_search_by_name_pinyin_or_initials(world, query):
    assert names(selectors.person_search_for(user=world.secretary, q=query)) == {"张晓明"}


def test_person_search_by_full_id_number(world):
    number = world.person_a1.id_number.reveal()
    assert names(selectors.person_search_for(user=world.secretary, q=number.lower())) == {"张晓明"}


def test_person_search_by_partial_id_number_finds_nothing(world):
    number = world.person_a1.id_number.reveal()
    assert not selectors.person_search_for(user=world.secretary, q=number[:10]).exists()


def test_person_search_by_full_phone(world):
    phone = world.person_a1.phone.reveal()
    spaced = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    assert names(selectors.person_search_for(user=world.secretary, q=spaced)) == {"张晓明"}


def test_search_never_reaches_outside_the_users_area(world):
    number = world.person_a1.id_number.reveal()
    assert not selectors.person_search_for(user=world.grid_worker_b, q=number).exists()
    assert not selectors.person_search_for(user=world.grid_worker_b, q="zxm").exists()


def test_household_search_by_address(world):
    found = selectors.household_list_for(
        user=world.secretary, filters=HouseholdFilters(q="玉岭花园 101")
    )
    assert list(found) == [world.household_a1]


def test_household_filter_by_tag(world):
    services.person_tag_set(actor=None, person=world.person_a2, tag_codes=["elderly_alone"])
    found = selectors.household_list_for(
        user=world.secretary, filters=HouseholdFilters(tag="elderly_alone")
    )
    assert list(found) == [world.household_a2]


def test_household_filter_by_grid(world):
    found = selectors.household_list_for(
        user=world.secretary, filters=HouseholdFilters(area_id=world.grid_a2.pk)
    )
    assert list(found) == [world.household_a2]


def test_filtering_by_an_out_of_scope_grid_is_not_found(world):
    with pytest.raises(NotFound):
        list(
            selectors.household_list_for(
                user=world.grid_worker_a, filters=HouseholdFilters(area_id=world.grid_a2.pk)
            )
        )


def test_out_of_scope_person_is_not_found_like_a_missing_one(world):
    with pytest.raises(NotFound):
        selectors.person_get_for(user=world.grid_worker_a, person_id=world.person_b1.pk)
    with pytest.raises(NotFound):
        selectors.person_get_for(user=world.grid_worker_a, person_id=999_999)
    with pytest.raises(NotFound):
        selectors.person_get_for(user=world.grid_worker_a, person_id="abc")


def test_out_of_scope_household_is_not_found(world):
    with pytest.raises(NotFound):
        selectors.household_get_for(user=world.grid_worker_a, household_id=world.household_a2.pk)


def test_area_roots_are_the_users_membership_nodes(world):
    assert selectors.area_roots_for(user=world.grid_worker_a) == [world.grid_a1]
    assert selectors.area_roots_for(user=world.by_role[Role.STREET_OFFICER]) == [world.street]


def test_scope_summary_counts_only_the_users_area(world):
    summary = selectors.scope_summary_for(user=world.grid_worker_a)
    assert (summary.households, summary.persons) == (1, 1)


def _add_people(world, names):
    from gongzhi.testing import make_id_number

    for name in names:
        services.person_create(
            actor=None,
            household=world.household_a1,
            data={"name": name, "id_number": make_id_number(), "relation": "child"},
        )


def test_name_search_comes_in_pinyin_order(world):
    _add_people(world, ["张子豪", "张安", "张明"])
    found = [p.name for p in selectors.person_search_for(user=world.secretary, q="zhang")]
    assert found == ["张安", "张明", "张晓明", "张子豪"]


def test_name_search_takes_the_first_matches_of_each_probe(world, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CAP", 2)
    _add_people(world, ["张子豪", "张安", "张明"])
    found = [p.name for p in selectors.person_search_for(user=world.secretary, q="zhang")]
    assert found == ["张安", "张明"]


def test_member_counts_count_present_members_only(world):
    _add_people(world, ["张安", "张明"])
    leaver = world.household_a1.persons.get(name="张明")
    services.person_move_out(actor=None, person=leaver)
    page = selectors.with_member_counts(
        selectors.household_list_for(user=world.secretary).filter(
            pk__in=[world.household_a1.pk, world.household_a2.pk]
        )
    )
    assert {h.pk: h.member_count for h in page} == {
        world.household_a1.pk: 2,
        world.household_a2.pk: 1,
    }
