"""The register's row rules: what a household or person row holds, whichever path writes it.

Three paths write the register: `registry.services` (one row at a time, permission
checked, audited), `imports.engine` (a spreadsheet, thousands of rows a chunk) and
`demo.load` (tens of thousands of synthetic rows). What goes into the columns is decided
here, once: the limits, the encryption purposes of the ID number and phone and their
masks, the blind indexes, the pinyin keys of the name, the gender and birth date the ID
number encodes, the address, a new person's defaults, and what the history keeps of a
creation (masked values). The bulk paths add only their batching; the model reads its
limits and purposes from here too.

Pure: no queries, no writes, no audit (`core` and the code lists only, so that
`registry.models` can import it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from gongzhi.core import identity
from gongzhi.core.crypto import blind_index
from gongzhi.core.fields import Sealed
from gongzhi.core.masking import MASKERS
from gongzhi.core.text import pinyin_keys
from gongzhi.registry.choices import HouseholdStatus, Relation, Residency

if TYPE_CHECKING:
    from gongzhi.registry.models import Area

# Encryption purposes (bound to each ciphertext, and the blind indexes' keys) and masks.
# The watch list (`health.models`) stores its numbers with the same purposes, so that
# blind indexes compare across the two.
ID_NUMBER_PURPOSE = "person.id_number"
PHONE_PURPOSE = "person.phone"
ID_NUMBER_MASK = "id_number"
PHONE_MASK = "phone"

# Limits of the register's columns.
NAME_MAX = identity.NAME_MAX
UNIT_MAX = 10
ROOM_MAX = 20
ADDRESS_MAX = 200
NOTES_MAX = 2000
HISTORY_NOTE_MAX = 500

DEFAULT_ETHNICITY = "01"  # Han (GB 3304)

HOUSEHOLD_COLUMNS = ("community_id", "building_id", "unit", "room", "area_path", "address")
PERSON_COLUMNS = (
    "household_id", "area_path", "name", "name_pinyin", "name_initials", "gender",
    "birth_date", "id_number", "id_number_index", "phone", "phone_index", "ethnicity",
    "relation", "residency", "moved_in_on", "notes", "version",
)  # fmt: skip
# What a new person holds when the input does not say (`moved_in_on`: the day registered).
NEW_PERSON_DEFAULTS: Mapping[str, Any] = {
    "phone": "",
    "phone_index": "",
    "ethnicity": DEFAULT_ETHNICITY,
    "relation": Relation.OTHER,
    "residency": Residency.LIVING,
    "notes": "",
    "version": 1,
}


# --- values derived from the input ----------------------------------------------------------


class NameKeys(NamedTuple):
    name: str
    name_pinyin: str
    name_initials: str


def name_keys(value: str) -> NameKeys:
    """The name as stored (`identity.normalize_name`: raises ValidationError) with the
    pinyin and initials the search uses."""
    name = identity.normalize_name(value)
    return NameKeys(name, *pinyin_keys(name))


class IdNumber(NamedTuple):
    id_number: str
    id_number_index: str
    birth_date: dt.date
    gender: str


def id_number_columns(rid: identity.ResidentId) -> IdNumber:
    """A checked resident ID number's columns: itself, its blind index, and the birth date
    and gender it encodes."""
    return IdNumber(rid.number, id_number_index(rid.number), rid.birth_date, rid.gender)


def id_number_index(number: str) -> str:
    """The blind index of a (normalised) resident ID number: how the register finds it."""
    return blind_index(number, ID_NUMBER_PURPOSE)


class Phone(NamedTuple):
    phone: str
    phone_index: str


def phone_columns(phone: str) -> Phone:
    """A normalised phone's columns (`identity.normalize_phone` first); "" for none."""
    return Phone(phone, phone_index(phone)) if phone else Phone("", "")


def phone_index(phone: str) -> str:
    """The blind index of a normalised phone number."""
    return blind_index(phone, PHONE_PURPOSE)


def seal_id_number(number: str) -> Sealed:
    """The ID number encrypted as its column stores it (for rows kept between steps)."""
    return Sealed.seal(number, ID_NUMBER_PURPOSE, ID_NUMBER_MASK)


def seal_phone(phone: str) -> Sealed:
    return Sealed.seal(phone, PHONE_PURPOSE, PHONE_MASK)


def sealed_id_number(token: str) -> Sealed:
    """A stored ID number ciphertext, as the model field reads it."""
    return Sealed(token, ID_NUMBER_PURPOSE, ID_NUMBER_MASK)


def sealed_phone(token: str) -> Sealed:
    return Sealed(token, PHONE_PURPOSE, PHONE_MASK)


def masked_id_number(number: str) -> str:
    """The ID number as the history and every screen show it."""
    return MASKERS[ID_NUMBER_MASK](number)


def masked_phone(phone: str) -> str:
    return MASKERS[PHONE_MASK](phone)


def address_of(building: Area, unit: str, room: str) -> str:
    """The address as written in China (data, not UI text): `玉岭花园 3栋 2单元 301室`."""
    compound = building.compound.name if building.compound is not None else ""
    parts = [compound, building.name, f"{unit}单元" if unit else "", f"{room}室"]
    return " ".join(p for p in parts if p)


# --- rows -------------------------------------------------------------------------------------


def household_row(*, community_id: int, building: Area, unit: str, room: str) -> tuple:
    """A new household in the order of HOUSEHOLD_COLUMNS: the building's path, the address."""
    return (
        community_id,
        building.pk,
        unit,
        room,
        building.path,
        address_of(building, unit, room),
    )


def person_values(given: Mapping[str, Any], *, today: dt.date) -> dict[str, Any]:
    """Every column of a new person but where it lives, from its cleaned values (as
    `name_keys`, `id_number_columns`, `phone_columns` give them, and the choices): what
    is not given gets the register's default."""
    values = {**NEW_PERSON_DEFAULTS, "moved_in_on": today}
    values.update(given)
    return values


def person_row(*, household_id: int, area_path: str, values: Mapping[str, Any]) -> tuple:
    """A new person in the order of PERSON_COLUMNS (`values` from `person_values`)."""
    return (household_id, area_path, *(values[c] for c in PERSON_COLUMNS[2:]))


# --- history ----------------------------------------------------------------------------------


def shown(value: Any) -> Any:
    """A value as the history keeps it: masked if personal, ISO text if a date."""
    if isinstance(value, Sealed):
        return value.masked
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def household_created(*, address: str, status: str = HouseholdStatus.ACTIVE) -> dict[str, list]:
    """The history's `changes` of a new household."""
    return {"address": [None, address], "status": [None, str(status)]}


def person_created(
    *,
    name: str,
    id_masked: str,
    phone_masked: str,
    relation: str,
    residency: str,
    tags: Iterable[str] = (),
) -> dict[str, list]:
    """The history's `changes` of a new person: masked ID number and phone, the tags."""
    changes: dict[str, list] = {}
    for field, value in (
        ("name", name),
        ("id_number", id_masked),
        ("phone", phone_masked),
        ("relation", relation),
        ("residency", residency),
    ):
        if value:
            changes[field] = [None, value]
    codes = sorted(tags)
    if codes:
        changes["tags"] = [None, codes]
    return changes
