"""The demo's map shapes: valid GeoJSON, grids side by side, buildings inside their grid."""

import pytest

from gongzhi.demo.layout import plan_community, plan_shapes
from gongzhi.demo.spec import COMMUNITIES
from gongzhi.registry import geo


@pytest.mark.parametrize("spec", COMMUNITIES, ids=lambda s: s.slug)
def test_every_shape_is_valid_and_every_building_lies_in_its_grid(spec):
    plan = plan_community(spec, seed=2023, scale=0.05)
    shapes = plan_shapes(plan, seed=2023)
    assert geo.clean_geometry("community", shapes.community) == shapes.community
    for leaf_index, leaf in enumerate(plan.leaves):
        outline = shapes.grids[id(leaf)]
        assert geo.clean_geometry("grid", outline) == outline
        for building, point in zip(plan.buildings, shapes.buildings, strict=True):
            if building.leaf == leaf_index:
                assert geo.clean_geometry("building", point) == point
                assert geo.contains(outline, *point["coordinates"])
    for outline in shapes.compounds:
        assert outline is None or geo.clean_geometry("compound", outline) == outline


@pytest.mark.parametrize("spec", COMMUNITIES, ids=lambda s: s.slug)
def test_grids_lie_around_the_communitys_centre_and_within_it(spec):
    plan = plan_community(spec, seed=2023, scale=1.0)
    shapes = plan_shapes(plan, seed=2023)
    lon, lat = geo.centre(shapes.community)
    assert abs(lon - spec.centre[0]) < 1e-4 and abs(lat - spec.centre[1]) < 1e-4
    for grid in spec.grids:
        assert geo.contains(shapes.community, *geo.centre(shapes.grids[id(grid)]))


def test_the_same_seed_gives_the_same_shapes():
    spec = COMMUNITIES[0]
    one = plan_shapes(plan_community(spec, seed=7, scale=0.05), seed=7)
    two = plan_shapes(plan_community(spec, seed=7, scale=0.05), seed=7)
    assert one.buildings == two.buildings and one.community == two.community
