"""The ranking rule: what counts, shared places, who comes first within a place, lists kept
apart, month and year, grid and community, and who may read which node."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gongzhi.accounts.services import user_create
from gongzhi.core.errors import NotFound
from gongzhi.points import ledger, rankings
from gongzhi.points.models import EntryKind, HolderKind
from gongzhi.points.rankings import Period

_sources = itertools.count(1)
MARCH = Period(2026, 3)


def at(day: int, month: int = 3, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


def holder(name: str):
    return user_create(username=name, display_name=name, password=None)


def post(user, points, *, area, when, kind=EntryKind.AWARD, as_=HolderKind.VOLUNTEER, hours=0):
    entry, _ = ledger.entry_post(
        holder=user, kind=kind, points=points, hours=hours, source=f"test:{next(_sources)}",
        area_path=area.path, holder_kind=as_, at=when,
    )  # fmt: skip
    return entry


def ranked(world, area=None, period=MARCH, top=10):
    ranking = rankings.ranking_for(
        user=world.secretary, area=area or world.community_a, period=period, top=top
    )
    return {
        kind: [(p.name, p.place, p.points) for p in places]
        for kind, places in ranking.lists.items()
    }


def test_equal_scores_share_a_place_and_the_next_place_skips(world):
    a, b, c, d = (holder(n) for n in ("甲", "乙", "丙", "丁"))
    post(a, 30, area=world.building_a1, when=at(1))
    post(b, 20, area=world.building_a1, when=at(2))
    post(c, 20, area=world.building_a1, when=at(3))
    post(d, 10, area=world.building_a1, when=at(4))
    assert ranked(world)[HolderKind.VOLUNTEER] == [
        ("甲", 1, 30), ("乙", 2, 20), ("丙", 2, 20), ("丁", 4, 10)
    ]  # fmt: skip


def test_within_a_shared_place_who_reached_the_score_first_comes_first(world):
    early, late = holder("早"), holder("晚")
    post(late, 10, area=world.building_a1, when=at(1))
    post(late, 10, area=world.building_a1, when=at(20))  # reaches 20 on the 20th
    post(early, 20, area=world.building_a1, when=at(5))  # reaches 20 on the 5th
    assert ranked(world)[HolderKind.VOLUNTEER] == [("早", 1, 20), ("晚", 1, 20)]


def test_a_tie_reached_at_the_same_moment_goes_by_account_id(world):
    first, second = holder("一"), holder("二")
    post(second, 10, area=world.building_a1, when=at(3))
    post(first, 10, area=world.building_a1, when=at(3))
    assert [name for name, *_ in ranked(world)[HolderKind.VOLUNTEER]] == ["一", "二"]


def test_volunteers_party_members_and_residents_are_ranked_apart(world):
    v, p, r = holder("志愿"), holder("党员"), holder("居民")
    post(v, 5, area=world.building_a1, when=at(1), as_=HolderKind.VOLUNTEER)
    post(p, 50, area=world.building_a1, when=at(1), as_=HolderKind.PARTY_MEMBER)
    post(r, 7, area=world.building_a1, when=at(1), as_=HolderKind.RESIDENT)
    lists = ranked(world)
    assert lists[HolderKind.VOLUNTEER] == [("志愿", 1, 5)]
    assert lists[HolderKind.PARTY_MEMBER] == [("党员", 1, 50)]
    assert lists[HolderKind.RESIDENT] == [("居民", 1, 7)]


def test_redemptions_and_expiry_do_not_lower_a_ranking_but_reversed_awards_do(world):
    spender, reversed_ = holder("花"), holder("撤")
    post(spender, 40, area=world.building_a1, when=at(1))
    post(spender, -30, area=world.building_a1, when=at(2), kind=EntryKind.REDEMPTION)
    post(spender, -5, area=world.building_a1, when=at(3), kind=EntryKind.EXPIRY)
    award = post(reversed_, 40, area=world.building_a1, when=at(1))
    post(reversed_, 10, area=world.building_a1, when=at(2))
    ledger.entry_reverse(entry=award, reason="重复", actor=None)  # posted now: not in March
    adjusted = post(reversed_, -5, area=world.building_a1, when=at(4), kind=EntryKind.ADJUSTMENT)
    assert adjusted.points == -5
    assert ranked(world)[HolderKind.VOLUNTEER] == [("撤", 1, 45), ("花", 2, 40)]
    this_month = Period(*timezone.localdate().timetuple()[:2])
    # The reversal counts in the month it was posted: the award's owner has nothing there.
    assert HolderKind.VOLUNTEER not in ranked(world, period=this_month)


def test_a_refunded_redemption_does_not_raise_a_ranking(world):
    user = holder("退")
    post(user, 20, area=world.building_a1, when=at(1))
    spent = post(user, -20, area=world.building_a1, when=at(2), kind=EntryKind.REDEMPTION)
    refund, _ = ledger.entry_reverse(entry=spent, reason="取消", actor=None)
    assert refund.points == 20
    this_month = Period(*timezone.localdate().timetuple()[:2])
    assert ranked(world)[HolderKind.VOLUNTEER] == [("退", 1, 20)]
    assert ranked(world, period=this_month) == {}


def test_a_month_counts_its_own_entries_and_a_year_all_of_them(world):
    user = holder("月")
    post(user, 10, area=world.building_a1, when=at(31, month=3, hour=23))  # Beijing time
    post(user, 20, area=world.building_a1, when=at(1, month=4, hour=0))
    post(user, 5, area=world.building_a1, when=at(1, month=1, hour=0))
    assert ranked(world)[HolderKind.VOLUNTEER] == [("月", 1, 10)]
    assert ranked(world, period=Period(2026, 4))[HolderKind.VOLUNTEER] == [("月", 1, 20)]
    assert ranked(world, period=Period(2026))[HolderKind.VOLUNTEER] == [("月", 1, 35)]


def test_a_grid_counts_only_what_was_earned_inside_it(world):
    here, there = holder("一格"), holder("二格")
    post(here, 10, area=world.building_a1, when=at(1))
    post(there, 30, area=world.building_a2, when=at(1))
    assert ranked(world, area=world.grid_a1)[HolderKind.VOLUNTEER] == [("一格", 1, 10)]
    assert ranked(world)[HolderKind.VOLUNTEER] == [("二格", 1, 30), ("一格", 2, 10)]


def test_hours_are_summed_with_the_points(world):
    user = holder("时")
    post(user, 10, hours=2, area=world.building_a1, when=at(1))
    post(user, 10, hours="1.5", area=world.building_a1, when=at(2))
    ranking = rankings.ranking_for(user=world.secretary, area=world.community_a, period=MARCH)
    assert str(ranking.lists[HolderKind.VOLUNTEER][0].hours) == "3.5"


def test_top_n_keeps_everyone_who_shares_the_last_place(world):
    for n, points in enumerate((30, 20, 20, 10)):
        post(holder(f"名{n}"), points, area=world.building_a1, when=at(n + 1))
    assert [p for _, p, _ in ranked(world, top=2)[HolderKind.VOLUNTEER]] == [1, 2, 2]
    assert [p for _, p, _ in ranked(world, top=1)[HolderKind.VOLUNTEER]] == [1]


def test_a_score_of_zero_or_less_is_not_ranked(world):
    user = holder("零")
    post(user, 10, area=world.building_a1, when=at(1))
    post(user, -10, area=world.building_a1, when=at(2), kind=EntryKind.ADJUSTMENT)
    assert ranked(world) == {}


# --- scope ----------------------------------------------------------------------------------


def test_a_grid_worker_reads_their_grid_and_not_the_community_or_another_grid(world):
    nodes = rankings.ranking_nodes_for(user=world.grid_worker_a)
    assert [n.pk for n in nodes] == [world.grid_a1.pk]
    for area in (world.community_a, world.grid_a2, world.grid_b1):
        with pytest.raises(NotFound):
            rankings.ranking_node_get_for(user=world.grid_worker_a, area_id=area.pk)
        with pytest.raises(NotFound):
            rankings.ranking_for(user=world.grid_worker_a, area=area, period=MARCH)


def test_roles_without_points_view_have_no_rankings(world):
    for user in (world.resident, world.outsider, world.by_role["police"]):
        assert rankings.ranking_nodes_for(user=user) == []
        with pytest.raises(NotFound):
            rankings.ranking_node_get_for(user=user, area_id=world.grid_a1.pk)


def test_a_building_is_not_a_ranked_node(world):
    with pytest.raises(NotFound):
        rankings.ranking_node_get_for(user=world.secretary, area_id=world.building_a1.pk)


def test_staff_see_full_names_and_the_public_ranking_masks_them(world):
    post(world.resident, 10, area=world.building_a1, when=at(1), as_=HolderKind.RESIDENT)
    world.resident.person = world.person_a1  # 张晓明
    world.resident.save(update_fields=["person"])
    staff = rankings.ranking_for(user=world.secretary, area=world.community_a, period=MARCH)
    assert staff.lists[HolderKind.RESIDENT][0].name == "张晓明"
    public = rankings.ranking_public(user=world.resident, which="community", period=MARCH)
    assert public is not None and public.area.pk == world.community_a.pk
    place = public.lists[HolderKind.RESIDENT][0]
    assert (place.name, place.me) == ("张*明", True)
    grid = rankings.ranking_public(user=world.resident, which="grid", period=MARCH)
    assert grid is not None and grid.area.pk == world.grid_a1.pk


def test_the_viewer_s_own_place_is_given_even_below_the_top(world):
    world.resident.person = world.person_a1
    world.resident.save(update_fields=["person"])
    for n in range(3):
        post(holder(f"前{n}"), 50 - n, area=world.building_a1, when=at(1), as_="resident")
    post(world.resident, 5, area=world.building_a1, when=at(1), as_=HolderKind.RESIDENT)
    public = rankings.ranking_public(user=world.resident, which="community", period=MARCH, top=2)
    assert public is not None
    assert [p.place for p in public.lists[HolderKind.RESIDENT]] == [1, 2]
    (_kind, _label, _places, below) = public.sections[2]
    assert below is not None and below.place == 4 and below.name == "张*明"


def test_someone_without_a_place_has_no_public_ranking(world):
    assert rankings.ranking_public(user=world.outsider, which="community", period=MARCH) is None


@pytest.mark.parametrize("raw", ["2026-13", "26", "2026-3-1", "abc", "1999", "2026-00"])
def test_a_bad_period_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationError) as refused:
        rankings.period_parse(raw)
    assert "period" in refused.value.message_dict


def test_periods_are_read_as_months_or_years():
    assert rankings.period_parse("2026-03") == Period(2026, 3)
    assert rankings.period_parse("2026-3").key == "2026-03"
    assert rankings.period_parse("2025") == Period(2025)
    assert rankings.period_parse("year").kind == "year"
    assert rankings.period_parse("").kind == "month"
