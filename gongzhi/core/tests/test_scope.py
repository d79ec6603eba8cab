from gongzhi.core import scope


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


def test_no_paths_match_nothing(db):
    from gongzhi.registry.models import Area

    assert not scope.restrict(Area.objects.all(), "path", []).exists()
