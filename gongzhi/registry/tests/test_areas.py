"""The area tree's writes (registry.areas): move, close, reopen, building dimensions,
map shapes; and who may make them."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.registry import areas, geo, services
from gongzhi.registry.models import Area, AreaChange, Household, Person, RegisterChange

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[111.76, 30.17], [111.77, 30.17], [111.77, 30.18], [111.76, 30.18], [111.76, 30.17]]
    ],
}


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (the catalogue may translate them)."""
    with translation.override("en"):
        yield


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def grid(parent, name, suffix):
    return services.area_create(
        actor=None, parent=parent, kind="grid", name=name, code=parent.code + suffix
    )


def building(world, parent, number, compound=None):
    compound = compound or world.building_a1.compound
    return services.area_create(
        actor=None,
        parent=parent,
        kind="building",
        name=f"{number}栋",
        code=f"{compound.code}B{number:02d}",
        compound=compound,
    )


# --- move ----------------------------------------------------------------------------------


def test_moving_a_grid_rewrites_the_paths_of_its_subtree_households_and_persons(world):
    # Given grid A1 (with building A1, its household and person) moved under grid A2
    a1, a2 = world.grid_a1, world.grid_a2
    old_path = a1.path
    result = services.area_move(actor=world.secretary, area=a1, parent=a2)
    # Then the grid is a level-2 grid under A2, and every path below it follows
    a1.refresh_from_db()
    assert a1.parent_id == a2.pk and a1.grid_level == 2 and a1.depth == a2.depth + 1
    assert a1.path.startswith(a2.path) and a1.path != old_path
    b = Area.objects.get(pk=world.building_a1.pk)
    assert b.path.startswith(a1.path) and b.depth == a1.depth + 1
    assert Household.objects.get(pk=world.household_a1.pk).area_path == b.path
    assert Person.objects.get(pk=world.person_a1.pk).area_path == b.path
    assert not Area.objects.filter(path__startswith=old_path).exists()
    assert result.nodes == 2 and result.households == 1
    # And the move is in the node's history, the households' history and the audit log
    assert AreaChange.objects.filter(area=a1, action="area.move").exists()
    assert RegisterChange.objects.filter(
        household=world.household_a1, action="household.area_move"
    ).exists()
    assert AuditEntry.objects.filter(action="area.move", object_id=str(a1.pk)).exists()


def test_the_secretary_keeps_seeing_a_moved_grids_households(world):
    services.area_move(actor=world.secretary, area=world.grid_a1, parent=world.grid_a2)
    visible = Household.objects.restrict(world.secretary, "register.view")
    assert visible.filter(pk=world.household_a1.pk).exists()
    # and the grid worker of A2 now holds it, since it lies under their grid
    assert (
        Household.objects.restrict(world.grid_worker_b, "register.view")
        .filter(pk=world.household_a1.pk)
        .exists()
    )


def test_moving_a_building_to_another_grid_carries_its_households(world):
    services.area_move(actor=world.secretary, area=world.building_a1, parent=world.grid_a2)
    b = Area.objects.get(pk=world.building_a1.pk)
    assert b.parent_id == world.grid_a2.pk
    assert Person.objects.get(pk=world.person_a1.pk).area_path == b.path


def test_grids_go_at_most_three_levels_deep_counting_the_moved_subtree(world):
    # Given A2 › L2 › L3 (three levels), and A1 with a sub-grid
    l2 = grid(world.grid_a2, "二级", "001")
    grid(l2, "三级", "001")
    sub = grid(world.grid_a1, "A1小组", "001")
    # When A1 (two levels) goes under the level-2 grid, it would reach level 4
    with pytest.raises(ValidationError) as excinfo:
        services.area_move(actor=world.secretary, area=world.grid_a1, parent=l2)
    assert "three levels" in " ".join(errors_of(excinfo)["parent"])
    # A grid without sub-grids may go under a level-2 grid, to level 3
    services.area_move(actor=world.secretary, area=sub, parent=l2)
    assert Area.objects.get(pk=sub.pk).grid_level == 3


def test_an_area_cannot_move_into_itself_or_to_another_community(world):
    sub = grid(world.grid_a1, "A1小组", "001")
    with pytest.raises(ValidationError) as excinfo:
        services.area_move(actor=None, area=world.grid_a1, parent=sub)
    assert "itself" in " ".join(errors_of(excinfo)["parent"])
    with pytest.raises(ValidationError) as excinfo:
        services.area_move(actor=None, area=world.grid_a1, parent=world.grid_b1)
    assert "community" in " ".join(errors_of(excinfo)["parent"])


def test_only_grids_and_buildings_move_and_not_under_a_compound(world):
    compound = world.building_a1.compound
    with pytest.raises(ValidationError):
        services.area_move(actor=None, area=compound, parent=world.grid_a2)
    with pytest.raises(ValidationError) as excinfo:
        services.area_move(actor=None, area=world.building_a1, parent=compound)
    assert "parent" in errors_of(excinfo)


def test_a_grid_worker_cannot_manage_areas(world):
    with pytest.raises(Forbidden):
        services.area_move(actor=world.grid_worker_a, area=world.building_a1, parent=world.grid_a1)
    with pytest.raises(Forbidden):
        services.area_rename(actor=world.grid_worker_a, area=world.grid_a1, name="新名")
    with pytest.raises(Forbidden):
        services.area_close(actor=world.grid_worker_a, area=world.grid_a1)


def test_a_secretary_cannot_touch_another_community(world):
    with pytest.raises(Forbidden):
        services.area_move(actor=world.secretary, area=world.building_b1, parent=world.grid_b1)
    with pytest.raises(Forbidden):
        services.area_close(actor=world.secretary, area=world.building_b1)
    with pytest.raises(Forbidden):
        services.area_geometry_set(actor=world.secretary, area=world.grid_b1, geometry=SQUARE)
    with pytest.raises(Forbidden):
        # nor move their own building into another community's grid
        services.area_move(actor=world.secretary, area=world.building_a1, parent=world.grid_b1)


def test_a_move_that_fails_changes_nothing(world):
    before = list(Area.objects.values_list("pk", "path").order_by("pk"))
    with pytest.raises(ValidationError):
        services.area_move(actor=None, area=world.grid_a1, parent=world.grid_b1)
    assert list(Area.objects.values_list("pk", "path").order_by("pk")) == before


# --- close ---------------------------------------------------------------------------------


def test_closing_an_area_with_open_households_is_refused_saying_how_many(world):
    with pytest.raises(ValidationError) as excinfo:
        services.area_close(actor=world.secretary, area=world.building_a1)
    assert "1 households" in " ".join(errors_of(excinfo)["area"])
    with pytest.raises(ValidationError) as excinfo:
        services.area_close(actor=world.secretary, area=world.grid_a1)
    assert "1 areas under it" in " ".join(errors_of(excinfo)["area"])


def test_a_closed_building_keeps_its_history_and_takes_no_households(world):
    empty = building(world, world.grid_a1, 7)
    services.area_close(actor=world.secretary, area=empty, note="拆除")
    empty.refresh_from_db()
    assert empty.is_closed
    assert AreaChange.objects.filter(area=empty, action="area.create").exists()
    assert AreaChange.objects.get(area=empty, action="area.close").note == "拆除"
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(actor=None, building=empty, unit="1", room="101")
    assert "closed" in " ".join(errors_of(excinfo)["building"])
    with pytest.raises(ValidationError):
        services.household_move(
            actor=None, household=world.household_a1, building=empty, unit="1", room="1"
        )


def test_a_closed_grid_takes_no_children_and_nothing_moves_into_it(world):
    g = grid(world.community_a, "第九网格", "009")
    services.area_close(actor=None, area=g)
    with pytest.raises(ValidationError) as excinfo:
        grid(g, "小组", "001")
    assert "closed" in " ".join(errors_of(excinfo)["parent"])
    with pytest.raises(ValidationError):
        services.area_move(actor=None, area=world.building_a1, parent=g)
    services.area_reopen(actor=None, area=g)
    assert grid(g, "小组", "001").parent_id == g.pk


def test_a_compound_closes_only_once_its_buildings_are_closed(world):
    compound = services.area_create(
        actor=None, parent=world.community_a, kind="compound", name="新苑", code="421087001001C009"
    )
    b = building(world, world.grid_a1, 1, compound=compound)
    with pytest.raises(ValidationError) as excinfo:
        services.area_close(actor=None, area=compound)
    assert "buildings" in " ".join(errors_of(excinfo)["area"])
    services.area_close(actor=None, area=b)
    services.area_close(actor=None, area=compound)
    with pytest.raises(ValidationError) as excinfo:
        services.area_reopen(actor=None, area=b)
    assert "compound" in " ".join(errors_of(excinfo)["area"])


def test_a_community_does_not_close(world):
    with pytest.raises(ValidationError):
        services.area_close(actor=None, area=world.community_a)


# --- building dimensions -------------------------------------------------------------------


def test_a_building_counts_units_floors_and_dwellings(world):
    services.area_details_set(
        actor=world.secretary, area=world.building_a1, units=3, floors=18, rooms_per_floor=2
    )
    b = Area.objects.get(pk=world.building_a1.pk)
    assert (b.units, b.floors, b.rooms_per_floor) == (3, 18, 2)
    assert AreaChange.objects.filter(area=b, action="area.details").exists()


def test_dimensions_out_of_range_or_on_a_grid_are_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.area_details_set(
            actor=None, area=world.building_a1, units=0, floors=500, rooms_per_floor=None
        )
    assert set(errors_of(excinfo)) == {"units", "floors"}
    with pytest.raises(ValidationError):
        services.area_details_set(actor=None, area=world.grid_a1, units=1, floors=1,
                                  rooms_per_floor=1)  # fmt: skip


# --- map shapes ----------------------------------------------------------------------------


def test_a_grid_takes_an_outline_and_a_building_a_point(world):
    services.area_geometry_set(actor=world.secretary, area=world.grid_a1, geometry=SQUARE)
    point = {"type": "Point", "coordinates": [111.765, 30.175]}
    services.area_geometry_set(actor=world.secretary, area=world.building_a1, geometry=point)
    assert Area.objects.get(pk=world.grid_a1.pk).geometry == SQUARE
    assert geo.contains(SQUARE, 111.765, 30.175)
    assert not geo.contains(SQUARE, 111.8, 30.175)


@pytest.mark.parametrize(
    ("kind", "geometry", "rule"),
    [
        ("grid", {"type": "Point", "coordinates": [111.7, 30.1]}, "Polygon or MultiPolygon"),
        ("building", SQUARE, "takes Point"),
        ("building", {"type": "Point", "coordinates": [30.1, 211.7]}, "longitude must lie"),
        ("building", {"type": "Point", "coordinates": ["111", 30]}, "numbers only"),
        ("grid", {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}, "four positions"),
        (
            "grid",
            {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2]]]},
            "end where it starts",
        ),
        ("grid", "not json", "an object"),
        ("building", {"type": "Point", "coordinates": [10**400, 30]}, "numbers only"),
        ("building", {"type": "Point", "coordinates": [float("nan"), 30]}, "numbers only"),
        ("building", {"type": "Point", "coordinates": [True, 30]}, "numbers only"),
        ("building", {"type": "Feature", "geometry": {"type": "Feature"}}, "an object"),
    ],
)
def test_bad_geojson_is_refused_naming_the_rule(world, kind, geometry, rule):
    with pytest.raises(ValidationError) as excinfo:
        geo.clean_geometry(kind, geometry)
    assert rule in " ".join(errors_of(excinfo)["geometry"])


def test_an_outline_has_a_size_limit(world):
    ring = [[100 + i / 10000, 30.0] for i in range(geo.MAX_POSITIONS)]
    ring += [[100.0, 30.5], ring[0]]
    with pytest.raises(ValidationError) as excinfo:
        geo.clean_geometry("grid", {"type": "Polygon", "coordinates": [ring]})
    assert "simplify" in " ".join(errors_of(excinfo)["geometry"])


def test_a_geojson_file_sets_the_shapes_of_the_areas_it_names(world):
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": world.grid_a1.code}, "geometry": SQUARE},
            {
                "type": "Feature",
                "properties": {"name": "第二网格"},
                "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
            },
        ],
    }
    result = services.area_geometry_import(
        actor=world.secretary, area=world.community_a, data=json.dumps(data).encode()
    )
    assert {a.pk for a in result.updated} == {world.grid_a1.pk, world.grid_a2.pk}
    assert Area.objects.get(pk=world.grid_a2.pk).geometry["type"] == "MultiPolygon"


def test_a_geojson_file_with_one_bad_feature_changes_nothing(world):
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": world.grid_a1.code}, "geometry": SQUARE},
            {"type": "Feature", "properties": {"name": "江边一网格"}, "geometry": SQUARE},
            {"type": "Feature", "properties": {}, "geometry": SQUARE},
        ],
    }
    with pytest.raises(ValidationError) as excinfo:
        services.area_geometry_import(actor=world.secretary, area=world.community_a, data=data)
    problems = errors_of(excinfo)["file"]
    assert any(p.startswith("Feature 2") for p in problems)  # another community's grid
    assert any(p.startswith("Feature 3") for p in problems)
    assert Area.objects.get(pk=world.grid_a1.pk).geometry is None


def test_a_file_that_is_not_a_feature_collection_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.area_geometry_import(actor=None, area=world.community_a, data=b"{not json")
    assert "JSON" in " ".join(errors_of(excinfo)["file"])
    with pytest.raises(ValidationError):
        deep = b"[" * 100_000 + b"]" * 100_000
        services.area_geometry_import(actor=None, area=world.community_a, data=deep)
    with pytest.raises(ValidationError):
        services.area_geometry_import(actor=None, area=world.community_a, data=SQUARE)


def test_names_are_folded_to_one_line(world):
    g = services.area_rename(actor=None, area=world.grid_a1, name="  第一\n网格 ")
    assert g.name == "第一 网格"
    assert AreaChange.objects.filter(area=g, action="area.rename").exists()


def test_path_copies_cover_every_scoped_model():
    labels = {model._meta.label_lower for model, _column in areas._path_columns()}
    assert {"registry.household", "registry.person", "workorders.workorder"} <= labels
    assert "audit.auditentry" not in labels and "registry.area" not in labels


# --- a missing building, for an import ---------------------------------------------------------


def test_building_ensure_creates_a_missing_building_and_its_compound_once(world):
    building, created = services.building_ensure(
        actor=world.secretary, grid=world.grid_a1, compound_name="桂花苑", name="3栋", floors=6
    )
    assert created and building.parent_id == world.grid_a1.pk and building.floors == 6
    assert building.compound.name == "桂花苑"
    again, created = services.building_ensure(
        actor=world.secretary, grid=world.grid_a1, compound_name="桂花苑", name="3栋"
    )
    assert again.pk == building.pk and not created


def test_building_ensure_never_guesses_a_building_of_another_grid(world):
    with pytest.raises(ValidationError) as excinfo:
        services.building_ensure(
            actor=None, grid=world.grid_a1, compound_name="玉岭花园", name="2栋"
        )  # 2栋 stands in 第二网格
    assert "第二网格" in " ".join(errors_of(excinfo)["parent"])


def test_building_ensure_needs_area_manage(world):
    with pytest.raises(Forbidden):
        services.building_ensure(
            actor=world.grid_worker_a, grid=world.grid_a1, compound_name="桂花苑", name="3栋"
        )


def test_an_importer_may_add_a_building_to_their_grid_in_an_existing_compound_only(world):
    from gongzhi.accounts.policy import Perm

    building, created = services.building_ensure(
        actor=world.grid_worker_a, grid=world.grid_a1, compound_name="玉岭花园", name="9栋",
        perm=Perm.IMPORT_RUN,
    )  # fmt: skip
    assert created and building.parent_id == world.grid_a1.pk
    with pytest.raises(Forbidden):  # a new compound is the community's, not the grid's
        services.building_ensure(
            actor=world.grid_worker_a, grid=world.grid_a1, compound_name="新苑", name="1栋",
            perm=Perm.IMPORT_RUN,
        )  # fmt: skip
    with pytest.raises(Forbidden):  # and register.import never adds grids
        services.area_create(
            actor=world.grid_worker_a, parent=world.grid_a1, kind="grid", name="组",
            code="", perm=Perm.IMPORT_RUN,
        )  # fmt: skip
