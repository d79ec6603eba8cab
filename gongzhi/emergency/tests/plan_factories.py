"""A small known register for the plan tests: exact figures per building."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gongzhi.accounts.models import Role
from gongzhi.registry import services
from gongzhi.registry.models import Area, Household, Person
from gongzhi.testing import World, make_id_number, make_phone
from gongzhi.workorders.models import HandlerProfile

TODAY = dt.date(2026, 6, 1)
AT = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
# A name and ID number that must never appear in a plan or its export.
SECRET_NAME = "欧阳秘密"


@dataclass
class Register:
    building_a3: Area
    elderly: Person


def person(household: Household, name: str, birth: dt.date, **extra: Any) -> Person:
    tags = extra.pop("tags", ())
    data = {
        "name": name,
        "id_number": make_id_number(birth=birth, male=extra.pop("male", True)),
        "phone": make_phone(),
        "relation": extra.pop("relation", "head"),
        **extra,
    }
    return services.person_create(actor=None, household=household, data=data, tags=tags)


def build_register(world: World) -> Register:
    """On top of gongzhi.testing's world (玉岭社区: 1栋 in 第一网格 with 张晓明 born 1980,
    2栋 in 第二网格 with 李秀英 born 1980):

    1栋: 3 households, 4 persons: 1 elderly alone (chronically ill, 76), 1 tenant, 1 child
         (disabled, 6).
    3栋 (第一网格): 1 active household (+1 vacant), 1 person living (disabled, elderly
         alone, 71) and 1 moved out (not counted).
    2栋: 1 household, 1 person, a party member (tag).
    江边社区 (community B) has a person tagged elderly alone: never counted here.
    """
    a1 = world.building_a1
    hh2 = services.household_create(actor=None, building=a1, unit="1", room="102")
    elderly = person(
        hh2, SECRET_NAME, dt.date(1950, 3, 1), tags=["elderly_alone", "chronic_illness"]
    )
    hh3 = services.household_create(actor=None, building=a1, unit="1", room="103")
    person(hh3, "租客甲", dt.date(1995, 7, 7), residency="tenant", relation="tenant")
    person(hh3, "小朋友", dt.date(2020, 1, 1), relation="child", tags=["disabled"])

    compound = a1.compound
    a3 = services.area_create(
        actor=None, parent=world.grid_a1, kind="building", name="3栋",
        code="421087001001C001B03", compound=compound,
    )  # fmt: skip
    hh4 = services.household_create(actor=None, building=a3, unit="1", room="101")
    person(hh4, "老人乙", dt.date(1955, 1, 1), tags=["elderly_alone", "disabled"])
    gone = person(hh4, "搬走丙", dt.date(1990, 1, 1), relation="child")
    Person.objects.filter(pk=gone.pk).update(residency="moved_out")
    hh5 = services.household_create(actor=None, building=a3, unit="1", room="102")
    Household.objects.filter(pk=hh5.pk).update(status="vacant")

    services.person_tag_set(actor=None, person=world.person_a2, tag_codes=["party_member"])
    hb = services.household_create(actor=None, building=world.building_b1, unit="1", room="102")
    person(hb, "外社区老人", dt.date(1940, 1, 1), tags=["elderly_alone"])

    HandlerProfile.objects.create(
        user=world.by_role[Role.PARTY_MEMBER], skills=["repair", "care"], available=True
    )
    HandlerProfile.objects.create(
        user=world.by_role[Role.VOLUNTEER], skills=["errands"], available=True
    )
    return Register(building_a3=a3, elderly=elderly)
