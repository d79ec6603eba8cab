"""Ids from requests: only 1 … 2**63-1 name a row; everything else is NotFound."""

import pytest

from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import MAX_ID, get_by_id, parse_id
from gongzhi.registry.models import Area

NOT_IDS = [
    "abc", "", " ", "1.5", 1.5, "-1", -1, "0", 0, "+1", "1_0", "١", "１",
    None, True, [1], MAX_ID + 1, str(MAX_ID + 1), 2**63, 10**30, "9" * 400, float("inf"),
]  # fmt: skip


@pytest.mark.parametrize("raw", NOT_IDS, ids=repr)
def test_what_cannot_be_an_id_is_not_found(raw):
    with pytest.raises(NotFound):
        parse_id(raw)


@pytest.mark.parametrize("raw", [1, "1", " 7 ", MAX_ID, str(MAX_ID), 2.0])
def test_ids_parse(raw):
    assert parse_id(raw) == int(str(raw).strip().split(".")[0])


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["abc", -1, 0, 2**63, 10**30, "99999999999999999999999"])
def test_get_by_id_answers_not_found_before_the_database_can_overflow(raw):
    with pytest.raises(NotFound):
        get_by_id(Area.objects.all(), raw)


@pytest.mark.django_db
def test_get_by_id_finds_the_row_and_applies_the_filters():
    area = Area.objects.create(name="根", kind="street", path="9999", depth=1, code="X-LOOKUP")
    assert get_by_id(Area.objects.all(), str(area.pk)) == area
    with pytest.raises(NotFound):
        get_by_id(Area.objects.all(), area.pk, kind="grid")
