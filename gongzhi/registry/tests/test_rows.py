"""The register's row rules: the one place the write paths take their limits, purposes
and derived values from (`registry.rows`)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.core import crypto
from gongzhi.core.identity import parse_resident_id
from gongzhi.health.models import WatchEntry
from gongzhi.registry import rows
from gongzhi.registry.models import Household, Person
from gongzhi.testing import make_id_number


def test_the_purposes_are_the_ones_the_stored_ciphertexts_were_made_with():
    # Changing a purpose makes every stored ciphertext and blind index unreadable.
    assert rows.ID_NUMBER_PURPOSE == "person.id_number"
    assert rows.PHONE_PURPOSE == "person.phone"


@pytest.mark.parametrize("model", [Person, WatchEntry])
def test_the_register_and_the_watch_list_encrypt_with_the_rows_purposes(model):
    id_field, phone_field = model._meta.get_field("id_number"), model._meta.get_field("phone")
    assert (id_field.purpose, id_field.mask) == (rows.ID_NUMBER_PURPOSE, rows.ID_NUMBER_MASK)
    assert (phone_field.purpose, phone_field.mask) == (rows.PHONE_PURPOSE, rows.PHONE_MASK)


def test_the_columns_are_as_long_as_the_limits():
    person = {f.name: f for f in Person._meta.concrete_fields}
    household = {f.name: f for f in Household._meta.concrete_fields}
    assert person["name"].max_length == rows.NAME_MAX
    assert person["notes"].max_length == household["notes"].max_length == rows.NOTES_MAX
    assert household["unit"].max_length == rows.UNIT_MAX
    assert household["room"].max_length == rows.ROOM_MAX
    assert household["address"].max_length == rows.ADDRESS_MAX


def test_a_new_persons_defaults_are_the_models():
    values = rows.person_values({}, today=dt.date(2026, 1, 2))
    for name, default in rows.NEW_PERSON_DEFAULTS.items():
        assert Person._meta.get_field(name).get_default() == default, name
    assert values["moved_in_on"] == dt.date(2026, 1, 2)


def test_what_is_given_wins_over_the_defaults_even_an_empty_move_in_date():
    values = rows.person_values({"moved_in_on": None, "relation": "head"}, today=dt.date.today())
    assert values["moved_in_on"] is None
    assert values["relation"] == "head"


def test_an_id_number_gives_its_index_birth_date_and_gender():
    number = make_id_number(birth=dt.date(1950, 3, 4), male=True)
    columns = rows.id_number_columns(parse_resident_id(number))
    assert columns == (
        number,
        crypto.blind_index(number, "person.id_number"),
        dt.date(1950, 3, 4),
        "male",
    )


def test_a_phone_gives_its_index_and_no_phone_gives_none():
    assert rows.phone_columns("13912345678") == (
        "13912345678",
        crypto.blind_index("13912345678", "person.phone"),
    )
    assert rows.phone_columns("") == ("", "")


def test_a_name_is_checked_and_gets_its_search_keys():
    assert rows.name_keys(" 张三 ") == ("张三", "zhangsan", "zs")
    with pytest.raises(ValidationError):
        rows.name_keys("")


def test_the_history_of_a_creation_keeps_masked_values_only():
    number = make_id_number(birth=dt.date(1950, 3, 4), male=True)
    changes = rows.person_created(
        name="张三",
        id_masked=rows.masked_id_number(number),
        phone_masked=rows.masked_phone("13912345678"),
        relation="head",
        residency="living",
        tags=["elderly", "disabled"],
    )
    assert changes["id_number"] == [None, number[:6] + "*" * 11 + number[-1]]
    assert changes["phone"] == [None, "139****5678"]
    assert changes["tags"] == [None, ["disabled", "elderly"]]
    assert number not in str(changes) and "13912345678" not in str(changes)
