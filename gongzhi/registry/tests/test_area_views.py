"""The area pages: the tree with counts and actions, add / rename / move / close forms
with field errors, map shapes, the structure import upload; and the area API."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.registry import services
from gongzhi.registry.models import Area, Person

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[111.76, 30.17], [111.77, 30.17], [111.77, 30.18], [111.76, 30.18], [111.76, 30.17]]
    ],
}


def _url(name, *args):
    return reverse(f"registry:{name}", args=args)


@pytest.fixture
def as_secretary(client, world):
    client.force_login(world.secretary)
    client.cookies["django_language"] = "en"  # messages asserted in English
    return client


def test_the_community_page_shows_grids_with_counts_and_manage_actions(as_secretary, world):
    body = as_secretary.get(_url("area_children", world.community_a.pk)).content.decode()
    assert world.grid_a1.name in body and "玉岭花园" in body  # grids, and the compounds card
    assert _url("area_move", world.grid_a1.pk) in body
    assert _url("area_create", world.community_a.pk) in body


def test_the_tree_counts_cost_the_same_for_many_grids(as_secretary, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            as_secretary.get(_url("area_children", world.community_a.pk))
        return len(captured)

    before = queries()
    for n in range(3, 13):
        grid = services.area_create(
            actor=None, parent=world.community_a, kind="grid", name=f"网格{n}",
            code=f"{world.community_a.code}{n:03d}",
        )  # fmt: skip
        services.area_create(
            actor=None, parent=grid, kind="building", name=f"{n}栋", code="",
            compound=world.building_a1.compound,
        )  # fmt: skip
    assert queries() == before


def test_a_grid_worker_sees_no_manage_actions_and_gets_403_on_them(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(_url("area_children", world.grid_a1.pk)).content.decode()
    assert _url("area_move", world.building_a1.pk) not in body
    for name in ("area_create", "area_edit", "area_move", "area_close", "area_shapes"):
        assert client.get(_url(name, world.grid_a1.pk)).status_code == 403
    assert client.get(_url("area_import")).status_code == 404


def test_a_secretary_gets_404_for_another_communitys_areas(as_secretary, world):
    for name in ("area_children", "area_edit", "area_move", "area_close"):
        assert as_secretary.get(_url(name, world.grid_b1.pk)).status_code == 404


def test_adding_a_grid_numbers_it_and_shows_it(as_secretary, world):
    response = as_secretary.post(
        _url("area_create", world.community_a.pk), {"kind": "grid", "name": "第三网格"}
    )
    assert response.status_code == 302
    grid = Area.objects.get(name="第三网格")
    assert grid.code == world.community_a.code + "003" and grid.grid_level == 1


def test_adding_a_building_without_a_compound_shows_the_field_error(as_secretary, world):
    response = as_secretary.post(
        _url("area_create", world.grid_a1.pk), {"kind": "building", "name": "9栋", "floors": 6}
    )
    assert response.status_code == 200
    assert "Choose the compound of this building." in response.content.decode()


def test_a_building_is_added_with_its_floors(as_secretary, world):
    compound = world.building_a1.compound
    as_secretary.post(
        _url("area_create", world.grid_a1.pk),
        {"kind": "building", "name": "9栋", "compound": compound.pk, "units": 2, "floors": 6},
    )
    building = Area.objects.get(name="9栋")
    assert (building.units, building.floors, building.compound_id) == (2, 6, compound.pk)


def test_moving_a_building_through_the_page(as_secretary, world):
    response = as_secretary.post(
        _url("area_move", world.building_a1.pk), {"parent": world.grid_a2.pk}
    )
    assert response.status_code == 302
    building = Area.objects.get(pk=world.building_a1.pk)
    assert building.parent_id == world.grid_a2.pk
    assert Person.objects.get(pk=world.person_a1.pk).area_path == building.path


def test_the_move_form_offers_only_places_in_the_community(as_secretary, world):
    body = as_secretary.get(_url("area_move", world.building_a1.pk)).content.decode()
    assert world.grid_a2.name in body and world.grid_b1.name not in body


def test_closing_a_building_with_households_shows_why_not(as_secretary, world):
    response = as_secretary.post(_url("area_close", world.building_a1.pk), {"note": "拆迁"})
    assert response.status_code == 200
    assert "1 households are still registered here" in response.content.decode()
    assert not Area.objects.get(pk=world.building_a1.pk).is_closed


def test_close_and_reopen_an_empty_grid(as_secretary, world):
    grid = services.area_create(
        actor=None, parent=world.community_a, kind="grid", name="空网格", code=""
    )
    assert as_secretary.post(_url("area_close", grid.pk), {"note": "合并"}).status_code == 302
    assert Area.objects.get(pk=grid.pk).is_closed
    body = as_secretary.get(_url("area_children", grid.pk)).content.decode()
    assert "合并" in body  # the history keeps the note
    as_secretary.post(_url("area_reopen", grid.pk))
    assert not Area.objects.get(pk=grid.pk).is_closed


def test_uploading_geojson_draws_the_outline_on_the_area_page(as_secretary, world):
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "第一网格"}, "geometry": SQUARE},
            {
                "type": "Feature",
                "properties": {"code": world.building_a1.code},
                "geometry": {"type": "Point", "coordinates": [111.765, 30.175]},
            },
        ],
    }
    upload = SimpleUploadedFile("grids.geojson", json.dumps(data).encode())
    response = as_secretary.post(
        _url("area_shapes", world.community_a.pk), {"form": "file", "file": upload}
    )
    assert response.status_code == 302
    body = as_secretary.get(_url("area_children", world.community_a.pk)).content.decode()
    assert "<svg" in body and "<path" in body and "<circle" in body


def test_a_bad_geojson_upload_names_the_feature_and_rule(as_secretary, world):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "第一网格"},
         "geometry": {"type": "Point", "coordinates": [111.7, 30.1]}},
    ]}  # fmt: skip
    upload = SimpleUploadedFile("grids.geojson", json.dumps(data).encode())
    response = as_secretary.post(
        _url("area_shapes", world.community_a.pk), {"form": "file", "file": upload}
    )
    assert response.status_code == 200
    assert "Feature 1 (第一网格)" in response.content.decode()


def test_placing_a_building_by_longitude_and_latitude(as_secretary, world):
    services.area_geometry_set(actor=None, area=world.grid_a1, geometry=SQUARE)
    page = as_secretary.get(_url("area_shapes", world.building_a1.pk)).content.decode()
    assert "area-map-pick" in page
    as_secretary.post(
        _url("area_shapes", world.building_a1.pk), {"form": "point", "lon": 111.765, "lat": 30.175}
    )
    assert Area.objects.get(pk=world.building_a1.pk).geometry["coordinates"] == [111.765, 30.175]


def test_the_import_page_shows_the_plan_then_writes_it(as_secretary, world):
    text = "小区,楼栋,网格\n桂花苑,1栋,第三网格\n".encode("gbk")
    response = as_secretary.post(
        _url("area_import"),
        {"community": world.community_a.pk, "file": SimpleUploadedFile("s.csv", text)},
    )
    assert response.status_code == 200 and "桂花苑 1栋 (第三网格)" in response.content.decode()
    assert not Area.objects.filter(name="桂花苑").exists()
    response = as_secretary.post(
        _url("area_import"),
        {
            "community": world.community_a.pk,
            "file": SimpleUploadedFile("s.csv", text),
            "commit": "on",
        },
    )
    assert response.status_code == 302
    assert Area.objects.filter(name="桂花苑").exists()


def test_the_import_page_lists_row_problems(as_secretary, world):
    text = "小区,楼栋,网格\n,1栋,第三网格\n".encode()
    response = as_secretary.post(
        _url("area_import"),
        {"community": world.community_a.pk, "file": SimpleUploadedFile("s.csv", text)},
    )
    assert "Row 2, column 小区" in response.content.decode()


def test_the_import_page_offers_only_the_secretarys_community(as_secretary, world):
    response = as_secretary.post(
        _url("area_import"),
        {"community": world.community_b.pk, "file": SimpleUploadedFile("s.csv", b"x")},
    )
    assert response.status_code == 200 and not Area.objects.filter(name="x").exists()
    assert world.community_b.name not in response.content.decode()


# --- API -----------------------------------------------------------------------------------


def api(client, method, path, body=None):
    return client.generic(
        method, f"/api/v1{path}", json.dumps(body) if body is not None else "",
        content_type="application/json",
    )  # fmt: skip


def test_api_moves_closes_and_reopens(as_secretary, world):
    grid = services.area_create(
        actor=None, parent=world.community_a, kind="grid", name="新", code=""
    )
    moved = api(as_secretary, "POST", f"/areas/{grid.pk}/move", {"parent": world.grid_a2.pk})
    assert moved.status_code == 200 and moved.json()["grid_level"] == 2
    closed = api(as_secretary, "POST", f"/areas/{grid.pk}/close", {"note": "合并"})
    assert closed.status_code == 200 and closed.json()["closed"] is True
    assert api(as_secretary, "POST", f"/areas/{grid.pk}/reopen").json()["closed"] is False


def test_api_refusals_name_the_field(as_secretary, world):
    response = api(as_secretary, "POST", f"/areas/{world.building_a1.pk}/close", {})
    assert response.status_code == 400 and "area" in response.json()["fields"]
    response = api(
        as_secretary, "POST", f"/areas/{world.building_a1.pk}/move", {"parent": world.grid_b1.pk}
    )
    assert response.status_code == 400 and "parent" in response.json()["fields"]


def test_api_geometry_put_and_get(as_secretary, world):
    response = api(as_secretary, "PUT", f"/areas/{world.grid_a1.pk}/geometry", SQUARE)
    assert response.status_code == 200
    feature = api(as_secretary, "GET", f"/areas/{world.grid_a1.pk}/geometry").json()
    assert feature["type"] == "Feature" and feature["geometry"] == SQUARE
    collection = api(as_secretary, "GET", f"/areas/{world.community_a.pk}/map").json()
    assert [f["properties"]["code"] for f in collection["features"]] == [world.grid_a1.code]


def test_api_geometry_put_refuses_a_polygon_on_a_building(as_secretary, world):
    response = api(as_secretary, "PUT", f"/areas/{world.building_a1.pk}/geometry", SQUARE)
    assert response.status_code == 400 and "geometry" in response.json()["fields"]


def test_api_updates_a_buildings_dimensions(as_secretary, world):
    response = api(as_secretary, "PATCH", f"/areas/{world.building_a1.pk}", {"floors": 11})
    assert response.status_code == 200 and response.json()["floors"] == 11
    assert response.json()["name"] == world.building_a1.name


def test_api_create_numbers_a_building_when_the_code_is_empty(as_secretary, world):
    body = {
        "parent": world.grid_a1.pk,
        "kind": "building",
        "name": "8栋",
        "compound": world.building_a1.compound_id,
        "floors": 6,
    }
    response = api(as_secretary, "POST", "/areas", body)
    assert response.status_code == 201
    assert response.json()["code"] == world.building_a1.compound.code + "B03"
