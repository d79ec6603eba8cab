"""Shared set-up for the supply-run tests: a community switched to emergency mode, the
resident linked to 张晓明 (household A1), lists posted through the service."""

from __future__ import annotations

from typing import Any

import pytest

from gongzhi.accounts.services import proxy_link_create
from gongzhi.core import clock
from gongzhi.emergency import shopping
from gongzhi.emergency.models import Mode, ModeState, ShoppingList
from gongzhi.workorders.defaults import ensure_default_categories


@pytest.fixture(autouse=True)
def _default_categories(db):
    """The work-order categories (with "delivery"), even after a transactional test."""
    ensure_default_categories()


def emergency(area: Any) -> ModeState:
    """Put the community in emergency mode (as `switching.mode_switch` would)."""
    state, _created = ModeState.objects.update_or_create(
        area=area,
        defaults={"area_path": area.path, "mode": Mode.EMERGENCY, "kind": "epidemic",
                  "since": clock.now()},
    )  # fmt: skip
    return state


def link_resident(world: Any) -> Any:
    resident = world.resident
    resident.person = world.person_a1
    resident.save(update_fields=["person"])
    return resident


def act_for(world: Any, user: Any, person: Any) -> Any:
    return proxy_link_create(
        user=user, person=person, relation="child", label="妈妈", actor=world.secretary
    )


def post(user: Any, person: Any, *items: tuple[str, int, str]) -> ShoppingList:
    rows = [shopping.ItemIn(n, q, u) for n, q, u in items] or [shopping.ItemIn("大米", 1, "袋")]
    return shopping.shopping_list_post(actor=user, person=person, items=rows)


def resident_of(world: Any, building: Any, unit: str, room: str, name: str) -> Any:
    """A new household in `building` with one person and a resident account linked to them."""
    from gongzhi.accounts.models import Role
    from gongzhi.accounts.services import membership_grant, user_create
    from gongzhi.registry import services
    from gongzhi.testing import PASSWORD, make_id_number, make_phone

    household = services.household_create(actor=None, building=building, unit=unit, room=room)
    person = services.person_create(
        actor=None, household=household,
        data={"name": name, "id_number": make_id_number(), "phone": make_phone(),
              "relation": "head"},
    )  # fmt: skip
    user = user_create(username=f"r-{building.pk}-{unit}-{room}", password=PASSWORD)
    membership_grant(user=user, area=building.parent, role=Role.RESIDENT)
    user.person = person
    user.save(update_fields=["person"])
    return user
