"""Items and spaces for the supplies tests (the system writes them: actor None)."""

from __future__ import annotations

from typing import Any

from gongzhi.emergency import spaces, supplies


def item(area: Any, name: str = "口罩", unit: str = "个", *, stock: int = 0, **extra: Any):
    made = supplies.item_create(actor=None, area=area, name=name, unit=unit, **extra)
    if stock:
        supplies.stock_move(actor=None, item=made, kind="in", quantity=stock)
        made.refresh_from_db()
    return made


def space(area: Any, name: str = "隔离观察室", kind: str = "isolation", capacity: int = 4, **extra):
    return spaces.space_create(
        actor=None, area=area, name=name, kind=kind, capacity=capacity, **extra
    )
