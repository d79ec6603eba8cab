"""Demo data for emergency supplies and reserved spaces (see gongzhi/demo/extras.py): in each
community a store of 15 realistic items with a month of movements (deliveries in, handouts
out, a transfer to the first grid's store, a write-off of expired stock, a stock count), two
items below their minimum level and one expiring within the week; and its reserved spaces —
isolation rooms, assembly points, a sampling point and the supply store — with capacities.

Rows are written in bulk with balances computed as the services compute them (each item's
quantity is the sum of its movements), with one `demo.emergency_supplies` audit entry per
community. Deterministic for a seed; every community stays in normal mode.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.emergency.models import (
    MovementKind,
    Space,
    SpaceKind,
    SpaceStatus,
    StockMovement,
    SupplyItem,
)
from gongzhi.registry.models import Area, AreaKind

# (name, category, unit, minimum, received, days to expiry or None)
ITEMS = [
    ("医用外科口罩", "防护用品", "个", 2000, 5000, 400),
    ("N95口罩", "防护用品", "个", 500, 300, 500),  # below minimum
    ("一次性防护服", "防护用品", "套", 100, 240, 700),
    ("医用手套", "防护用品", "副", 500, 1200, 600),
    ("84消毒液", "消杀用品", "瓶", 100, 260, 5),  # expiring this week
    ("75%酒精", "消杀用品", "瓶", 100, 180, 300),
    ("红外体温计", "医疗器材", "支", 20, 45, None),
    ("大米", "生活物资", "袋", 50, 120, 200),
    ("食用油", "生活物资", "桶", 30, 20, 365),  # below minimum
    ("矿泉水", "生活物资", "箱", 40, 150, 330),
    ("方便面", "生活物资", "箱", 30, 80, 160),
    ("沙袋", "防汛物资", "个", 500, 800, None),
    ("灭火器", "消防器材", "具", 20, 36, 1500),
    ("应急灯", "照明器材", "盏", 10, 24, None),
    ("救生衣", "防汛物资", "件", 20, 40, None),
]
SPACES = [
    ("社区隔离观察室（一）", SpaceKind.ISOLATION, 4, "社区服务中心二楼东侧"),
    ("社区隔离观察室（二）", SpaceKind.ISOLATION, 4, "社区服务中心二楼西侧"),
    ("中心广场应急集合点", SpaceKind.ASSEMBLY, 600, "社区中心广场"),
    ("小学操场应急集合点", SpaceKind.ASSEMBLY, 1200, "社区小学操场"),
    ("核酸采样点", SpaceKind.SAMPLING, 8, "社区卫生服务站门前"),
    ("社区应急物资仓库", SpaceKind.STORE, 200, "社区服务中心一楼库房"),
]


def _space_rows(area: Area) -> list[Space]:
    return [
        Space(area=area, area_path=area.path, name=name, kind=kind, capacity=capacity,
              status=SpaceStatus.READY, location=location)
        for name, kind, capacity, location in SPACES
    ]  # fmt: skip


def _move(
    movements: list[StockMovement],
    target: SupplyItem,
    kind: str,
    delta: int,
    note: str,
    when: dt.datetime,
) -> StockMovement:
    """A movement as `supplies.stock_move` writes it: the item's quantity moves with it."""
    target.quantity += delta
    row = StockMovement(
        item=target, kind=kind, delta=delta, balance_after=target.quantity, note=note, at=when
    )
    movements.append(row)
    return row


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    today = clock.today()
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:emergency_supplies:{loaded.plan.spec.slug}")
        grid = Area.objects.within(community.path).filter(kind=AreaKind.GRID).first()
        spaces = Space.objects.bulk_create(_space_rows(community))
        store = next(s for s in spaces if s.kind == SpaceKind.STORE)
        rooms = [s for s in spaces if s.kind == SpaceKind.ISOLATION]
        rooms[0].occupied, rooms[0].status = 1, SpaceStatus.IN_USE  # one room in use
        rooms[0].save(update_fields=["occupied", "status"])
        items: list[SupplyItem] = []
        grid_items: dict[str, SupplyItem] = {}
        movements: list[StockMovement] = []
        for name, category, unit, minimum, _received, expiry in ITEMS:
            items.append(
                SupplyItem(
                    area=community, area_path=community.path, name=name, category=category,
                    unit=unit, minimum=minimum, space=store,
                    expires_on=today + dt.timedelta(days=expiry) if expiry else None,
                )
            )  # fmt: skip
        SupplyItem.objects.bulk_create(items)
        if grid is not None:
            for name in ("沙袋", "应急灯", "医用外科口罩"):
                source = next(i for i in items if i.name == name)
                grid_items[name] = SupplyItem(
                    area=grid, area_path=grid.path, name=name, category=source.category,
                    unit=source.unit, minimum=0, expires_on=source.expires_on,
                )  # fmt: skip
            SupplyItem.objects.bulk_create(list(grid_items.values()))
        pairs: list[tuple[StockMovement, StockMovement]] = []
        for item, (name, _c, _u, minimum, received, _e) in zip(items, ITEMS, strict=True):
            at = now - dt.timedelta(days=30, hours=rng.randint(0, 8))

            _move(movements, item, MovementKind.IN, received, "街道下拨", at)
            balance = received
            # Handouts to residents and teams, never below the minimum of an item that was
            # above it (the two below minimum were short from the start).
            # (What is written off or corrected below comes off that margin too.)
            later = {"84消毒液": 20, "大米": 2}.get(name, 0)
            floor = minimum + later if received >= minimum else 0
            for day in (22, 15, 8):
                out = min(received * rng.randint(5, 15) // 100, balance - floor)
                if out > 0:
                    when = now - dt.timedelta(days=day, hours=rng.randint(0, 8))
                    _move(movements, item, MovementKind.OUT, -out, "发放至网格", when)
                    balance -= out
            given = min(balance // 10, balance - floor)
            if name in grid_items and given > 0:
                when = now - dt.timedelta(days=6)
                sent = _move(
                    movements, item, MovementKind.TRANSFER_OUT, -given, "调拨至网格库点", when
                )
                into = _move(
                    movements,
                    grid_items[name],
                    MovementKind.TRANSFER_IN,
                    given,
                    "调拨至网格库点",
                    when,
                )
                pairs.append((sent, into))
                balance -= given
            if name == "84消毒液":
                _move(
                    movements,
                    item,
                    MovementKind.EXPIRY,
                    -20,
                    "过期报损",
                    now - dt.timedelta(days=4),
                )
                balance -= 20
            if name == "大米":
                counted = balance - 2
                _move(
                    movements,
                    item,
                    MovementKind.COUNT,
                    -2,
                    "月度盘点：两袋受潮",
                    now - dt.timedelta(days=2),
                )
                balance = counted
        StockMovement.objects.bulk_create(movements)
        for sent, into in pairs:
            sent.counterpart, into.counterpart = into, sent
        StockMovement.objects.bulk_update(
            [m for pair in pairs for m in pair], ["counterpart"], batch_size=100
        )
        SupplyItem.objects.bulk_update([*items, *grid_items.values()], ["quantity"], batch_size=100)
        audit_record(
            actor=None,
            action="demo.emergency_supplies",
            obj=community,
            area_path=community.path,
            fields=["items", "movements", "spaces"],
            purpose=f"demo data: {len(items) + len(grid_items)} items, "
            f"{len(movements)} movements, {len(spaces)} spaces",
        )
        say(
            f"{loaded.plan.spec.name}: {len(items) + len(grid_items)} supply items, "
            f"{len(movements)} movements, {len(spaces)} reserved spaces"
        )
    say(f"Supplies and spaces: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' supplies and spaces (movements first: they protect)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    if not paths:
        return
    items = SupplyItem.objects.within(*paths)
    StockMovement.objects.filter(item__in=items).update(counterpart=None)
    moved, _ = StockMovement.objects.filter(item__in=items).delete()
    count = items.count()
    items.delete()
    spaces = Space.objects.within(*paths)
    rooms = spaces.count()
    spaces.delete()
    say(f"Removed the demo's supplies ({count} items, {moved} movements) and {rooms} spaces.")
