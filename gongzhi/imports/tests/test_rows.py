"""Cell readers of the import: the fast phone path agrees with `identity.normalize_phone`;
dates as text, serials and cells; buildings and rooms written in the usual ways."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.core import identity
from gongzhi.imports.rows import building_key, date_of, normalize_phone, room_of, unit_of


def _service(value: str) -> str | None:
    try:
        return identity.normalize_phone(value)
    except ValidationError:
        return None


def _fast(value: str) -> str | None:
    try:
        return normalize_phone(value)
    except ValidationError:
        return None


@settings(max_examples=3000)
@given(st.from_regex(r"\A1\d{10}\Z"))
def test_the_fast_mobile_path_agrees_with_the_service(number):
    assert _fast(number) == _service(number)


@pytest.mark.parametrize("prefix", [f"1{a}{b}" for a in range(10) for b in range(10)])
def test_every_mobile_prefix_agrees_with_the_service(prefix):
    for tail in ("00000000", "12345678", "99999999", "50412345"):
        assert _fast(prefix + tail) == _service(prefix + tail)


@given(st.text(alphabet="0123456789+-() １２３", max_size=16))
def test_any_other_text_agrees_with_the_service(text):
    assert _fast(text) == _service(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2020, 1, 2), dt.date(2020, 1, 2)),
        (dt.datetime(2020, 1, 2, 8, 0), dt.date(2020, 1, 2)),
        (43831, dt.date(2020, 1, 1)),  # Excel serial
        ("43831", dt.date(2020, 1, 1)),  # a serial that came as text through CSV
        ("2020-1-2", dt.date(2020, 1, 2)),
        ("2020/01/02", dt.date(2020, 1, 2)),
        ("2020.01.02", dt.date(2020, 1, 2)),
        ("20200102", dt.date(2020, 1, 2)),
        ("2020年1月2日", dt.date(2020, 1, 2)),
        ("２０２０－０１－０２", dt.date(2020, 1, 2)),
        (None, None),
    ],
)
def test_dates_come_as_cells_serials_or_text(value, expected):
    assert date_of(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2020-13-01", -5, "1月2日"])
def test_what_is_not_a_date_is_refused(value):
    with pytest.raises(ValueError):
        date_of(value)


@pytest.mark.parametrize("text", ["3栋", "3号楼", "3 幢", "３", 3, "3号", "3楼"])
def test_buildings_match_however_they_are_written(text):
    assert building_key(text) == "3"


def test_units_and_rooms_lose_their_suffixes():
    assert unit_of("2单元") == "2" and unit_of(2.0) == "2"
    assert room_of("301室") == "301" and room_of(301) == "301"
