import subprocess
import sys

from gongzhi.core import scope, scope_queries


def test_successor_bounds_the_subtree():
    assert scope.successor("00010002") == "00010003"
    assert scope.successor("00019999") == "00020000"


def test_minimal_drops_paths_under_others():
    assert scope.minimal(["0001000200030004", "00010002", "00010005"]) == ["00010002", "00010005"]


def test_within_is_prefix_based():
    assert scope.within("000100020003", ["00010002"])
    assert not scope.within("000100030003", ["00010002"])
    assert not scope.within("000100020003", [])


def test_child_path_is_fixed_width():
    assert scope.child_path("0001", 12) == "00010012"


def test_ancestors_are_listed_root_first():
    assert scope.ancestors("000100020003") == ["0001", "00010002"]
    assert scope.ancestors("000100020003", inclusive=True) == ["0001", "00010002", "000100020003"]
    assert scope.ancestors(scope.ROOT_PATH) == []


def test_overlaps_means_inside_or_above():
    held = ["000100020003"]
    assert scope.overlaps("00010002", held)  # above
    assert scope.overlaps("0001000200030004", held)  # inside
    assert scope.overlaps("000100020003", held)  # the node itself
    assert not scope.overlaps("000100020004", held)  # a sibling
    assert not scope.overlaps("00010002", [])


def test_path_arithmetic_loads_no_database_code():
    code = "import sys, gongzhi.core.scope; print('django.db' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_paths_match_nothing(db):
    from gongzhi.registry.models import Area

    assert not Area.objects.filter(scope_queries.q_within("path", [])).exists()
    assert not Area.objects.filter(scope_queries.q_overlapping("path", [])).exists()


def test_overlapping_adds_the_nodes_above(world):
    from gongzhi.registry.models import Area

    found = Area.objects.filter(scope_queries.q_overlapping("path", [world.grid_a1.path]))
    paths = set(found.values_list("path", flat=True))
    assert {world.root.path, world.street.path, world.community_a.path} <= paths
    assert {world.grid_a1.path, world.building_a1.path} <= paths
    assert not paths & {world.grid_a2.path, world.community_b.path, world.building_a2.path}
