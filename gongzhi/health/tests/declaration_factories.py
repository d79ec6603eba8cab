"""Arrival declarations for tests: valid form data and a declaration written through the
real service (the number confirmed by a real SMS code from the outbox)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from gongzhi.core import clock
from gongzhi.core.masking import mask_phone
from gongzhi.health import declarations
from gongzhi.notifications.models import SmsMessage

PHONE = "13712345678"


def form_data(world, **extra: Any) -> dict[str, Any]:
    """A stranger's declaration in community A, building A1 (not in the register)."""
    from gongzhi.testing import make_id_number

    data: dict[str, Any] = {
        "name": "陈归乡",
        "id_number": make_id_number(birth=dt.date(1990, 2, 3)),
        "phone": PHONE,
        "origin": "武汉市",
        "arrived_on": (clock.today() - dt.timedelta(days=1)).isoformat(),
        "travel_mode": "train",
        "building": None,
        "room": "1-301",
        "symptoms": ["none"],
    }
    data.update(extra)
    if data["building"] is None:  # `world` may be a matrix side, which names its building
        data["building"] = world.building_a1.pk
    return data


def person_data(world, person, **extra: Any) -> dict[str, Any]:
    """A registered person declaring with their own ID number and phone."""
    values = {
        "name": person.name,
        "id_number": person.id_number.reveal(),
        "phone": person.phone.reveal(),
        "building": person.household.building_id,
    }
    return form_data(world, **{**values, **extra})


def last_code(phone: str = PHONE) -> str:
    message = SmsMessage.objects.filter(to_masked=mask_phone(phone)).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def declare(world, data: dict[str, Any], *, community=None, actor=None, **extra: Any):
    # `world` may be None when `community` is given.
    """Ask for a code for the data's phone, then declare with it."""
    declarations.declare_code_request(phone=data["phone"])
    return declarations.declaration_submit(
        community=community or world.community_a,
        data=data,
        actor=actor,
        code=last_code(data["phone"]),
        **extra,
    )
