"""A community's profile for its plans: exact counts per building and grid, counts only."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import Role
from gongzhi.emergency.models import Space, SupplyItem
from gongzhi.emergency.plan_profile import community_profile
from gongzhi.emergency.tests.plan_factories import SECRET_NAME, TODAY, build_register

pytestmark = pytest.mark.django_db


def _buildings(profile):
    return {(g["name"], b["name"]): b for g in profile["grids"] for b in g["buildings"]}


def test_counts_per_building_are_exact(world):
    build_register(world)
    profile = community_profile(world.community_a, today=TODAY)
    b = _buildings(profile)
    assert set(b) == {
        ("第一网格", "玉岭花园1栋"),
        ("第一网格", "玉岭花园3栋"),
        ("第二网格", "玉岭花园2栋"),
    }
    one = b[("第一网格", "玉岭花园1栋")]
    assert {k: one[k] for k in profile["figures"]} == {
        "households": 3, "persons": 4, "elderly_alone": 1, "aged_65": 1, "disabled": 1,
        "chronic_illness": 1, "children": 1, "tenants": 1, "party_members": 0, "volunteers": 0,
    }  # fmt: skip
    three = b[("第一网格", "玉岭花园3栋")]
    assert {k: three[k] for k in profile["figures"]} == {
        "households": 1, "persons": 1, "elderly_alone": 1, "aged_65": 1, "disabled": 1,
        "chronic_illness": 0, "children": 0, "tenants": 0, "party_members": 0, "volunteers": 0,
    }  # fmt: skip
    two = b[("第二网格", "玉岭花园2栋")]
    assert (two["households"], two["persons"], two["party_members"], two["aged_65"]) == (1, 1, 1, 0)


def test_grid_and_community_totals_add_up(world):
    build_register(world)
    profile = community_profile(world.community_a, today=TODAY)
    grids = {g["name"]: g["totals"] for g in profile["grids"]}
    assert grids["第一网格"]["persons"] == 5
    assert grids["第一网格"]["elderly_alone"] == 2
    assert grids["第二网格"]["persons"] == 1
    # The other community's elderly person living alone is not counted.
    assert profile["totals"]["elderly_alone"] == 2
    assert profile["totals"]["households"] == 5
    assert profile["building_count"] == 3


def test_helpers_per_grid_with_skills(world):
    build_register(world)
    profile = community_profile(world.community_a, today=TODAY)
    helpers = {h["grid"]: h for h in profile["helpers"]}
    assert helpers["第一网格"]["party_members"] == 1
    skills = helpers["第一网格"]["skills"]
    assert len(skills) == 2 and skills["维修"] == 1  # labels in Chinese, counted
    assert helpers[""]["skills"] == {"跑腿代购": 1}
    assert helpers[""]["volunteers"] == 1  # the volunteer holds the whole community


def test_contacts_are_staff_by_role_with_display_names(world):
    profile = community_profile(world.community_a, today=TODAY)
    roles = {c["role"]: [p["name"] for p in c["people"]] for c in profile["contacts"]}
    assert roles[Role.SECRETARY] == [world.secretary.display_name]
    assert roles[Role.POLICE] == ["police"]
    assert Role.RESIDENT not in roles and Role.VOLUNTEER not in roles


def test_spaces_and_supplies_of_the_community_only(world):
    Space.objects.create(
        area=world.community_a, area_path=world.community_a.path, name="社区广场",
        kind="assembly", capacity=300,
    )  # fmt: skip
    Space.objects.create(
        area=world.community_b, area_path=world.community_b.path, name="江边广场",
        kind="assembly", capacity=100,
    )  # fmt: skip
    SupplyItem.objects.create(
        area=world.community_a, area_path=world.community_a.path, name="口罩", unit="个",
        quantity=5, minimum=100,
    )  # fmt: skip
    profile = community_profile(world.community_a, today=TODAY)
    assert [s["name"] for s in profile["spaces"]] == ["社区广场"]
    assert profile["supplies"][0]["below_minimum"] is True


def test_no_personal_value_in_the_profile(world):
    register = build_register(world)
    text = json.dumps(community_profile(world.community_a, today=TODAY), ensure_ascii=False)
    assert SECRET_NAME not in text
    assert register.elderly.id_number.reveal() not in text
    assert register.elderly.phone.reveal() not in text
    assert "102" not in text  # no room number


def test_a_handful_of_queries_whatever_the_number_of_buildings(world):
    build_register(world)
    with CaptureQueriesContext(connection) as few:
        community_profile(world.community_a, today=TODAY)
    from gongzhi.registry import services

    for n in range(4, 10):
        services.area_create(
            actor=None, parent=world.grid_a2, kind="building", name=f"{n}栋",
            code=f"421087001001C001B{n:02d}", compound=world.building_a1.compound,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as more:
        community_profile(world.community_a, today=TODAY)
    assert len(more) == len(few) <= 10
