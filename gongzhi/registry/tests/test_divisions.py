"""The shipped GB/T 2260 list agrees with the code rules the area tree enforces."""

from __future__ import annotations

from gongzhi.registry import divisions
from gongzhi.registry.codes import check_code
from gongzhi.registry.models import Area


def test_every_listed_district_has_a_path_the_code_rules_accept():
    districts = [d for d in divisions.divisions_under(None)]
    checked = 0
    for code, _name in divisions._names().items():
        if divisions.kind_of(code) != "district":
            continue
        parent = None
        for node in divisions.division_path(code):
            check_code(kind=node.kind, code=node.code, parent=parent)
            parent = Area(kind=node.kind, code=node.code)
        checked += 1
    assert len(districts) == 34
    assert checked > 2800


def test_a_municipality_district_hangs_under_the_province():
    assert [d.name for d in divisions.division_path("110101")] == ["北京市", "东城区"]


def test_a_district_path_has_its_province_and_city():
    assert [d.code for d in divisions.division_path("421087")] == ["420000", "421000", "421087"]


def test_a_city_or_an_unknown_code_has_no_district_path():
    assert divisions.division_path("421000") == []
    assert divisions.division_path("999999") == []
