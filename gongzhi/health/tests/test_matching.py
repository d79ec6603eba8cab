import datetime as dt

import polars as pl
import pytest

from gongzhi.core import crypto
from gongzhi.health import matching
from gongzhi.health.models import WatchEntry
from gongzhi.health.tests import factories as f
from gongzhi.registry import services as registry
from gongzhi.testing import make_id_number, make_phone

# --- the Polars tiers on their own ---------------------------------------------------------


def frames():
    upstream = pl.DataFrame(
        {
            "row": [2, 3, 4, 5, 6],
            "name": ["张三", "李四", "王五", "赵六", None],
            "id_index": ["i-a", "i-x", None, None, None],
            "phone_index": [None, "p-b", "p-c", None, "p-z"],
            "birth": [None, None, None, dt.date(1950, 1, 1), None],
        },
        schema=matching.UPSTREAM_SCHEMA,
    )
    register = pl.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5, 6],
            "area_path": ["p"] * 6,
            "name": ["张三", "李四", "王五", "王五", "赵六", "赵六"],
            "birth": [dt.date(1990, 1, 1)] * 4 + [dt.date(1950, 1, 1)] * 2,
            "id_index": ["i-a", "i-b", "i-c", "i-d", "i-e", ""],
            "phone_index": ["p-a", "p-b", "p-c", "p-c", "", ""],
        },
        schema=matching.REGISTER_SCHEMA,
    )
    return upstream, register


def by_row(result):
    return {r["row"]: r for r in result.to_dicts()}


def test_each_upstream_row_gets_one_result_in_row_order():
    upstream, register = frames()
    result = matching.match(upstream, register)
    assert result.get_column("row").to_list() == [2, 3, 4, 5, 6]


def test_tier_one_is_the_id_numbers_blind_index():
    rows = by_row(matching.match(*frames()))
    assert rows[2]["tier"] == "id_number" and rows[2]["person_id"] == 1


def test_tier_two_is_name_and_phone_and_flags_a_different_id():
    rows = by_row(matching.match(*frames()))
    assert rows[3]["tier"] == "name_phone" and rows[3]["person_id"] == 2
    assert rows[3]["id_conflict"] is True


def test_two_persons_with_the_same_name_and_phone_are_ambiguous():
    rows = by_row(matching.match(*frames()))
    assert rows[4]["tier"] == "ambiguous" and rows[4]["person_id"] is None
    assert rows[4]["candidates"] == [3, 4]


def test_tier_three_name_and_birth_date_may_be_ambiguous_too():
    rows = by_row(matching.match(*frames()))
    assert rows[5]["tier"] == "ambiguous" and rows[5]["candidates"] == [5, 6]


def test_a_row_matching_nobody_is_not_in_the_register():
    rows = by_row(matching.match(*frames()))
    assert rows[6]["tier"] == "none" and rows[6]["candidates"] == []


def test_the_bare_join_finds_the_id_matches_only():
    joined = matching.bare_join(*frames())
    assert joined.filter(pl.col("person_id").is_not_null()).get_column("row").to_list() == [2]


# --- through the service, on the test world --------------------------------------------------


def add_person(household, name, **extra):
    data = {"name": name, "id_number": make_id_number(), "phone": make_phone()}
    data.update(extra)
    return registry.person_create(actor=None, household=household, data=data)


def entries_of(upstream_list):
    return {e.row_number: e for e in WatchEntry.objects.filter(upstream_list=upstream_list)}


def test_a_registered_persons_id_number_finds_them_and_their_grid_worker(world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a2)])
    entry = entries_of(upstream_list)[2]
    assert entry.tier == "id_number"
    assert entry.person == world.person_a2
    assert entry.grid == world.grid_a2
    assert entry.assignee == world.grid_worker_b
    assert entry.area_path == world.person_a2.area_path
    assert entry.status == "to_review"


def test_name_and_phone_match_when_the_list_has_another_id(world):
    person = world.person_a1
    row = [
        person.name,
        make_id_number(birth=dt.date(1990, 1, 1)),
        person.phone.reveal(),
        "",
        "",
        "",
    ]
    entry = entries_of(f.matched(world.community_a, [row]))[2]
    assert entry.tier == "name_phone" and entry.person == person
    assert entry.id_conflict is True


def test_name_and_birth_date_match_without_id_or_known_phone(world):
    person = world.person_a1
    header = ["姓名", "手机号", "出生日期"]
    row = [person.name, "13700000001", person.birth_date.isoformat()]
    entry = entries_of(f.matched(world.community_a, [row], header=header))[2]
    assert entry.tier == "name_birth" and entry.person == person


def test_two_namesakes_born_the_same_day_make_an_ambiguous_entry(world):
    twin = add_person(
        world.household_a2, "张晓明", id_number=make_id_number(birth=dt.date(1980, 5, 17))
    )
    header = ["姓名", "手机号", "出生日期"]
    row = ["张晓明", "13700000001", "1980-05-17"]
    entry = entries_of(f.matched(world.community_a, [row], header=header))[2]
    assert entry.tier == "ambiguous" and entry.person is None
    assert sorted(entry.candidates) == sorted([world.person_a1.pk, twin.pk])


def test_a_row_not_in_the_register_goes_to_the_grid_of_its_stated_address(world):
    rows = [
        ["陈新", "", "13700000001", "", "", "松滋市新江口街道玉岭花园2栋1单元201"],
        ["刘新", "", "13700000002", "", "", "玉岭花园 二栋"],
        ["周新", "", "13700000003", "", "", "玉岭花园"],  # compound only: its grids' parent
        ["吴新", "", "13700000004", "", "", "不知道哪里"],
    ]
    entries = entries_of(f.matched(world.community_a, rows))
    assert entries[2].tier == "none"
    assert entries[2].grid == world.grid_a2 and entries[2].assignee == world.grid_worker_b
    assert entries[2].area_path == world.building_a2.path
    assert entries[3].grid == world.grid_a2
    # 玉岭花园 spans grids A1 and A2: no single grid, so the community's staff route it.
    assert entries[4].grid is None and entries[4].area_path == world.community_a.path
    assert entries[5].grid is None and entries[5].assignee is None
    assert entries[5].area_path == world.community_a.path


def test_a_person_of_another_community_is_not_matched_nor_revealed(world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_b1)])
    entry = entries_of(upstream_list)[2]
    assert entry.tier == "none" and entry.person is None
    assert entry.area_path == world.community_a.path


def test_a_list_for_a_grid_matches_that_grids_register_only(world):
    rows = [f.person_row(world.person_a1), f.person_row(world.person_a2)]
    entries = entries_of(f.matched(world.grid_a1, rows))
    assert entries[2].person == world.person_a1
    assert entries[3].person is None


def test_a_person_who_moved_out_is_not_matched(world):
    registry.person_move_out(actor=None, person=world.person_a1)
    entry = entries_of(f.matched(world.community_a, [f.person_row(world.person_a1)]))[2]
    assert entry.tier == "none"


def test_matching_never_decrypts_the_register(world, monkeypatch):
    upstream_list = f.upload(world.community_a, [f.person_row(world.person_a1)])

    def refuse(*args, **kwargs):
        raise AssertionError("matching decrypted a value")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    from gongzhi.health import services

    matched = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert matched.status == "matched", matched.errors
    assert matched.counts["id_number"] == 1


def test_the_lists_id_numbers_and_phones_are_stored_encrypted(world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    raw = WatchEntry.objects.filter(upstream_list=upstream_list).values_list("id_number", "phone")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM health_watchentry")
        stored = cursor.fetchall()
    plain = world.person_a1.id_number.reveal()
    assert stored and all(plain not in token for token, _phone in stored)
    assert str(raw[0][0]) == str(world.person_a1.id_number)  # masked text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_counts_per_tier_are_kept_on_the_list(world, fmt):
    rows = [f.person_row(world.person_a1), ["无名", "", "13700000009", "", "", ""]]
    upstream_list = f.matched(world.community_a, rows, fmt=fmt)
    assert upstream_list.counts["rows"] == 2
    assert upstream_list.counts["id_number"] == 1
    assert upstream_list.counts["none"] == 1
    assert upstream_list.counts["unrouted"] == 1
