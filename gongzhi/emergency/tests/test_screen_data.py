"""The big screen's figures: exact on a known world, per grid and per community."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.core import clock
from gongzhi.emergency import screen
from gongzhi.emergency.models import Mode, ModeState
from gongzhi.emergency.tests.screen_world import NOW, populate
from gongzhi.registry import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def expected(world):
    return populate(world)


def _row(data, name):
    return next(r for r in data["rows"] if r["name"] == name)


def _figures(row):
    return {k: row[k] for k in screen.FIGURES}


def test_community_figures_per_grid_are_exact(world, expected):
    data = screen.screen_data(world.community_a, now=NOW)
    assert data["level"] == "grid"
    assert [r["name"] for r in data["rows"]] == ["第一网格", "第二网格"]
    assert _figures(_row(data, "第一网格")) == expected["grid_a1"]
    assert _figures(_row(data, "第二网格")) == expected["grid_a2"]
    assert data["other"] == expected["other_a"]
    assert data["totals"] == expected["community_a"]


def test_street_rows_are_its_communities_and_sum_to_the_street(world, expected):
    street = screen.screen_data(world.street, now=NOW)
    assert street["level"] == "community"
    assert _figures(_row(street, "玉岭社区")) == expected["community_a"]
    assert _figures(_row(street, "江边社区")) == expected["community_b"]
    assert street["other"] is None
    for name, community in (("玉岭社区", world.community_a), ("江边社区", world.community_b)):
        assert _figures(_row(street, name)) == screen.screen_data(community, now=NOW)["totals"]
    assert street["totals"] == {
        k: expected["community_a"][k] + expected["community_b"][k] for k in screen.FIGURES
    }


def test_trends_count_per_local_day_over_fourteen_days(world, expected):
    data = screen.screen_data(world.community_a, now=NOW)
    trends = data["trends"]
    assert len(trends["days"]) == 14
    assert trends["days"][-1] == "2026-12-06"
    assert trends["days"][0] == "2026-11-23"
    # Orders in A: 6, all filed yesterday (B's 20-day-old one is neither here nor in range).
    assert trends["orders"][-2] == 6 and sum(trends["orders"]) == 6
    # Check-ins in A: 3 today, 1 at 23:50 yesterday (local time, not UTC).
    assert trends["checkins"][-1] == 3 and trends["checkins"][-2] == 1
    assert sum(trends["checkins"]) == 4
    # Watch entries are created now (the real clock): outside a frozen December 2026 only
    # if the test runs then; count them over the days that exist.
    assert sum(trends["watch"]) in (0, 5)


def test_map_outlines_are_the_grids_with_a_shape(world):
    square = {
        "type": "Polygon",
        "coordinates": [[[111.0, 30.0], [111.01, 30.0], [111.01, 30.01], [111.0, 30.0]]],
    }
    world.grid_a1.geometry = square
    world.grid_a1.save(update_fields=["geometry"])
    data = screen.screen_data(world.community_a, now=NOW)
    assert data["map"]["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["map"]["features"]] == ["第一网格"]
    assert data["map"]["features"][0]["geometry"] == square


def test_normal_mode_shows_the_calm_panels(world):
    data = screen.screen_data(world.community_a, now=NOW)
    assert data["mode"]["mode"] == Mode.NORMAL and not data["mode"]["emergency"]
    assert data["panels"] == ["households", "elderly_alone", "orders", "trends", "map"]


def test_emergency_mode_shows_every_panel_and_the_street_marks_the_community(world):
    ModeState.objects.create(
        area=world.community_a, area_path=world.community_a.path, mode=Mode.EMERGENCY,
        kind="epidemic", since=NOW,
    )  # fmt: skip
    community = screen.screen_data(world.community_a, now=NOW)
    assert community["mode"]["emergency"] and community["mode"]["kind"] == "epidemic"
    assert "isolation" in community["panels"] and "deliveries" in community["panels"]
    street = screen.screen_data(world.street, now=NOW)
    assert street["mode"]["emergency"] and street["mode"]["communities_in_emergency"] == 1
    assert _row(street, "玉岭社区")["emergency"] and not _row(street, "江边社区")["emergency"]


def test_a_grid_or_building_has_no_screen(world):
    with pytest.raises(ValueError):
        screen.screen_data(world.grid_a1)


def test_queries_are_bounded_and_do_not_grow_with_the_grids(world, expected):
    with CaptureQueriesContext(connection) as few:
        screen.screen_data(world.community_a, now=NOW)
    for n in range(12):
        services.area_create(
            actor=None, parent=world.community_a, kind="grid", name=f"新网格{n}",
            code=f"421087001001{100 + n}",
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        data = screen.screen_data(world.community_a, now=NOW)
    assert len(data["rows"]) == 14
    assert len(many) == len(few) <= 20


def test_a_second_call_within_the_ttl_makes_no_queries(world, expected, django_assert_num_queries):
    with clock.freeze(NOW):
        first = screen.screen_data(world.community_a)
        with django_assert_num_queries(0):
            again = screen.screen_data(world.community_a)
    assert again == first


def test_the_cache_expires_and_fresh_recomputes(world, expected):
    with clock.freeze(NOW):
        before = screen.screen_data(world.community_a)
        services.household_create(actor=None, building=world.building_a2, unit="2", room="1")
        assert screen.screen_data(world.community_a) == before  # cached
        assert screen.screen_data(world.community_a, fresh=True)["totals"]["households"] == (
            before["totals"]["households"] + 1
        )
    cache.delete(screen._cache_key(world.community_a))
    with clock.freeze(NOW + dt.timedelta(seconds=screen.CACHE_SECONDS + 1)):
        assert screen.screen_data(world.community_a)["totals"]["households"] == (
            before["totals"]["households"] + 1
        )


def test_the_data_holds_no_person_names(world, expected):
    import json

    text = json.dumps(screen.screen_data(world.street, now=NOW), ensure_ascii=False)
    for name in ("张晓明", "李秀英", "王建国", "赵一", "钱一", "孙一"):
        assert name not in text
