"""Reads of supplies and reserved spaces.

Staff holding `emergency.view` see the items and spaces of their area, above it or below
it (`restrict(..., overlapping=True)`: a grid worker sees the community's store); those
holding `emergency.supply` on an item's or a space's own area (or above) change it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.lookup import get_by_id
from gongzhi.emergency.models import Space, SpaceKind, StockMovement, SupplyItem
from gongzhi.emergency.supplies import EXPIRING_DAYS, STORE_AREA_KINDS, items_warning
from gongzhi.registry.models import Area

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

HISTORY_LIMIT = 200


# --- items ---------------------------------------------------------------------------------


def item_list_for(*, user: Viewer) -> QuerySet[SupplyItem]:
    """The items the user sees, store by store."""
    return (
        SupplyItem.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True)
        .select_related("area", "space")
        .order_by("area_path", "category", "name", "pk")
    )


def item_get_for(*, user: Viewer, item_id: Any) -> SupplyItem:
    return get_by_id(item_list_for(user=user), item_id)


def may_manage(user: Viewer, obj: SupplyItem | Space) -> bool:
    return access.can(user, Perm.SUPPLY_MANAGE, obj.area_path)


def store_choices_for(*, user: Viewer) -> list[Area]:
    """Where the user may keep items and spaces: open communities and grids of their area."""
    return list(
        Area.objects.restrict(user, Perm.SUPPLY_MANAGE)
        .filter(kind__in=STORE_AREA_KINDS, closed_at=None)
        .order_by("path")
    )


def transfer_targets_for(*, user: Viewer, item: SupplyItem) -> list[SupplyItem]:
    """The same item (name and unit) in the user's other stores."""
    return list(
        SupplyItem.objects.restrict(user, Perm.SUPPLY_MANAGE)
        .filter(name=item.name, unit=item.unit)
        .exclude(pk=item.pk)
        .select_related("area")
        .order_by("area_path")
    )


def movements_of(item: SupplyItem, limit: int = HISTORY_LIMIT) -> list[StockMovement]:
    return list(
        StockMovement.objects.filter(item=item)
        .select_related("by", "counterpart__item__area")
        .order_by("-at", "-pk")[:limit]
    )


@dataclass
class ItemRow:
    item: SupplyItem
    below: bool
    expiring: bool


@dataclass
class Store:
    area: Area
    rows: list[ItemRow] = field(default_factory=list)

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.rows if r.below or r.expiring)


def flags(item: SupplyItem, today: dt.date | None = None) -> tuple[bool, bool]:
    """(below its minimum, expiring within a week) — the same rules as the warnings' queries."""
    until = (today or clock.today()) + dt.timedelta(days=EXPIRING_DAYS)
    below = item.minimum > 0 and item.quantity < item.minimum
    expiring = item.quantity > 0 and item.expires_on is not None and item.expires_on <= until
    return below, expiring


def inventory_for(*, user: Viewer, items: QuerySet[SupplyItem] | None = None) -> list[Store]:
    """The user's items grouped by store, each flagged below minimum or expiring."""
    stores: dict[int, Store] = {}
    today = clock.today()
    for item in items if items is not None else item_list_for(user=user):
        store = stores.setdefault(item.area_id, Store(area=item.area))
        store.rows.append(ItemRow(item, *flags(item, today)))
    return list(stores.values())


def warning_count_for(*, user: Viewer) -> int:
    """How many items in the user's area are below minimum or expiring (the workbench's)."""
    held = access.paths(user, Perm.EMERGENCY_VIEW)
    if not held:
        return 0
    return items_warning(held).count()


# --- spaces --------------------------------------------------------------------------------


def space_list_for(*, user: Viewer, kind: str = "") -> QuerySet[Space]:
    """The spaces the user sees, by kind, each with `free` places."""
    qs = (
        Space.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True)
        .select_related("area")
        .annotate(free=F("capacity") - F("occupied"))
        .order_by("kind", "area_path", "name", "pk")
    )
    if kind in SpaceKind.values:
        qs = qs.filter(kind=kind)
    return qs


def space_get_for(*, user: Viewer, space_id: Any) -> Space:
    return get_by_id(space_list_for(user=user), space_id)


@dataclass
class KindSummary:
    kind: str
    label: str
    spaces: list[Space]

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.spaces)

    @property
    def free(self) -> int:
        return sum(s.capacity - s.occupied for s in self.spaces if s.status != "closed")


def spaces_by_kind(spaces: QuerySet[Space] | list[Space]) -> list[KindSummary]:
    grouped: dict[str, list[Space]] = {}
    for space in spaces:
        grouped.setdefault(space.kind, []).append(space)
    return [
        KindSummary(kind, str(SpaceKind(kind).label), rows)
        for kind, rows in sorted(grouped.items(), key=lambda kv: SpaceKind.values.index(kv[0]))
    ]


def space_choices_for(*, user: Viewer) -> list[Space]:
    """Spaces an item may be kept in: those the user manages (the service checks that the
    space is of the item's community)."""
    return list(Space.objects.restrict(user, Perm.SUPPLY_MANAGE).order_by("area_path", "name"))
