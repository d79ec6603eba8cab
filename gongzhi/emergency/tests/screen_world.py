"""A known world for the big screen's tests: rows placed directly with the ORM in the two
communities of `gongzhi.testing`, each figure's expected count written out by hand."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from gongzhi.emergency.models import (
    CareCase,
    CareStep,
    ShoppingList,
    ShoppingStatus,
    SupplyItem,
)
from gongzhi.health.models import CheckIn, Venue, WatchEntry
from gongzhi.outreach.models import Campaign, Recipient
from gongzhi.registry import services
from gongzhi.registry.models import PersonTag, Tag
from gongzhi.testing import World, make_id_number
from gongzhi.workorders.models import Category, WorkOrder

TZ = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai on 2026-12-06: "today" is the 6th, local midnight 2026-12-05 16:00 UTC.
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=TZ)


def order(world: World, building: Any, level: Any, status: str, **extra: Any) -> WorkOrder:
    values: dict[str, Any] = {
        "category": Category.objects.order_by("code").first(),
        "description": "屏幕测试",
        "place": building,
        "area_path": building.path,
        "level": level,
        "level_path": level.path,
        "grid": level,
        "status": status,
        "submitted_at": NOW - dt.timedelta(days=1),
    }
    values.update(extra)
    return WorkOrder.objects.create(**values)


def entry(area_path: str, status: str, **extra: Any) -> WatchEntry:
    return WatchEntry.objects.create(area_path=area_path, status=status, tier="none", **extra)


def elderly_alone(world: World, household: Any, name: str, **extra: Any) -> Any:
    person = services.person_create(
        actor=None,
        household=household,
        data={"name": name, "id_number": make_id_number(), "relation": "other", **extra},
    )
    PersonTag.objects.create(person=person, tag=Tag.objects.get(code="elderly_alone"))
    return person


def venue(area: Any) -> Venue:
    return Venue.objects.create(
        area=area, area_path=area.path, name="超市", code=secrets.token_hex(8)
    )


def campaign(world: World, area: Any, status: str) -> Campaign:
    return Campaign.objects.create(
        area=area, area_path=area.path, name="问候", pace_per_minute=10, status=status,
        audience={"kind": "tag", "tag": "elderly_alone"}, channels=["sms"],
    )  # fmt: skip


def populate(world: World) -> dict[str, Any]:
    """Place rows in grid A1, grid A2, community A itself and community B; return the
    expected figures per row of each screen."""
    a1, a2, b1 = world.building_a1, world.building_a2, world.building_b1
    ga1, ga2, gb1 = world.grid_a1, world.grid_a2, world.grid_b1
    # Households: A1 has 1 (+1 new, +1 closed), A2 has 1, B1 has 1 (+1).
    services.household_create(actor=None, building=a1, unit="1", room="102")
    closed = services.household_create(actor=None, building=a1, unit="1", room="103")
    closed.status = "closed"
    closed.save(update_fields=["status"])
    services.household_create(actor=None, building=b1, unit="1", room="102")
    # Elderly alone: 2 in A1 (one moved out: not counted), 1 in A2, 1 in B1.
    elderly_alone(world, world.household_a1, "赵一")
    elderly_alone(world, world.household_a1, "赵二")
    elderly_alone(world, world.household_a1, "赵三", residency="moved_out")
    elderly_alone(world, world.household_a2, "钱一")
    elderly_alone(world, world.household_b1, "孙一")
    # Orders: A1 open 3 (1 overdue), 1 closed; A2 open 1 overdue; B1 open 1;
    # one at community A's own level (place = community: "other").
    late = NOW - dt.timedelta(hours=2)
    order(world, a1, ga1, "new")
    order(world, a1, ga1, "dispatched", due_at=late)
    order(world, a1, ga1, "escalated", due_at=NOW + dt.timedelta(hours=2))
    order(world, a1, ga1, "closed", due_at=late)
    order(world, a2, ga2, "new", due_at=late)
    order(world, b1, gb1, "new", submitted_at=NOW - dt.timedelta(days=20))
    order(world, world.community_a, world.community_a, "new", grid=None)
    # Watch list: A1 to_review 2 (+1 merged, +1 closed), A2 to_verify 1, verified 1; B1 1.
    first = entry(a1.path, "to_review")
    entry(a1.path, "to_review")
    entry(a1.path, "to_review", merged_into=first)
    entry(a1.path, "closed")
    entry(a2.path, "to_verify")
    entry(a2.path, "verified")
    entry(b1.path, "to_review")
    # Isolation: A1 one isolating, one screening; B1 one isolating.
    for person, step in [
        (world.person_a1, CareStep.ISOLATION),
        (world.person_a2, CareStep.SCREENING),
        (world.person_b1, CareStep.ISOLATION),
    ]:
        CareCase.objects.create(person=person, area_path=person.area_path, step=step, opened_at=NOW)
    # Shopping lists: A1 open 2, in_run 1, cancelled 1; A2 delivered 1, received 1.
    for household, person, building, status in [
        (world.household_a1, world.person_a1, a1, ShoppingStatus.OPEN),
        (world.household_a1, world.person_a1, a1, ShoppingStatus.OPEN),
        (world.household_a1, world.person_a1, a1, ShoppingStatus.IN_RUN),
        (world.household_a1, world.person_a1, a1, ShoppingStatus.CANCELLED),
        (world.household_a2, world.person_a2, a2, ShoppingStatus.DELIVERED),
        (world.household_a2, world.person_a2, a2, ShoppingStatus.RECEIVED),
    ]:
        ShoppingList.objects.create(
            household=household, person=person, area_path=building.path, status=status
        )
    # Supplies: community A's store 2 below (1 at it), grid A2 1 below; B 1 above.
    for area, name, quantity, minimum in [
        (world.community_a, "口罩", 5, 100),
        (world.community_a, "消毒液", 0, 10),
        (world.community_a, "手套", 10, 10),
        (ga2, "大米", 1, 20),
        (world.community_b, "口罩", 500, 100),
    ]:
        SupplyItem.objects.create(
            area=area, area_path=area.path, name=name, unit="件", quantity=quantity, minimum=minimum
        )
    # Check-ins: grid A1's venue 3 today (one at 00:10 local), 1 yesterday 23:50 local;
    # B's venue 1 today.
    va, vb = venue(ga1), venue(gb1)
    day = NOW.replace(hour=0, minute=0)
    for v, at in [
        (va, day + dt.timedelta(minutes=10)),
        (va, NOW - dt.timedelta(hours=1)),
        (va, NOW),
        (va, day - dt.timedelta(minutes=10)),
        (vb, NOW - dt.timedelta(hours=3)),
    ]:
        CheckIn.objects.create(venue=v, area_path=v.area_path, at=at)
    # Outreach: a running campaign in A: 2 recipients in A1 (1 answered), 1 in A2 answered;
    # a finished one in B (not counted).
    running, finished = (
        campaign(world, world.community_a, "running"),
        campaign(world, world.community_b, "finished"),
    )
    persons_a1 = list(world.household_a1.persons.order_by("pk"))
    for person, state in [
        (persons_a1[0], "answered"),
        (persons_a1[1], "waiting"),
        (world.person_a2, "answered"),
    ]:
        Recipient.objects.create(
            campaign=running, person=person, area_path=person.area_path, state=state
        )
    Recipient.objects.create(
        campaign=finished, person=world.person_b1, area_path=world.person_b1.area_path,
        state="answered",
    )  # fmt: skip
    zero = dict.fromkeys(
        [
            "households", "elderly_alone", "orders_open", "orders_overdue", "watch_to_review",
            "watch_to_verify", "watch_verified", "isolation", "deliveries_open",
            "deliveries_in_run", "deliveries_delivered", "deliveries_received",
            "supplies_low", "checkins_today", "outreach_answered", "outreach_total",
        ],
        0,
    )  # fmt: skip
    grid_a1 = {**zero, "households": 2, "elderly_alone": 2, "orders_open": 3,
               "orders_overdue": 1, "watch_to_review": 2, "isolation": 1,
               "deliveries_open": 2, "deliveries_in_run": 1, "checkins_today": 3,
               "outreach_answered": 1, "outreach_total": 2}  # fmt: skip
    grid_a2 = {**zero, "households": 1, "elderly_alone": 1, "orders_open": 1,
               "orders_overdue": 1, "watch_to_verify": 1, "watch_verified": 1,
               "deliveries_delivered": 1, "deliveries_received": 1, "supplies_low": 1,
               "outreach_answered": 1, "outreach_total": 1}  # fmt: skip
    other_a = {**zero, "orders_open": 1, "supplies_low": 2}
    grid_b1 = {**zero, "households": 2, "elderly_alone": 1, "orders_open": 1,
               "watch_to_review": 1, "isolation": 1, "checkins_today": 1}  # fmt: skip
    total_a = {k: grid_a1[k] + grid_a2[k] + other_a[k] for k in zero}
    return {
        "zero": zero,
        "grid_a1": grid_a1,
        "grid_a2": grid_a2,
        "other_a": other_a,
        "grid_b1": grid_b1,
        "community_a": total_a,
        "community_b": grid_b1,
    }
