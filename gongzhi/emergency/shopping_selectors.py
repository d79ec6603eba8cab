"""Reads of lockdown supply runs: a resident's own lists, the merged lists of an area (by
building and item: sums and household counts, never a name), a run's shopping sheet.

Who sees what: residents their own lists and those of whom they act for (not by area);
holders of `emergency.delivery` the lists of their area, merged, and their runs. A household
on a run's delivery sheet is "3单元 502" only to those who may view the register there;
others (volunteers) see it counted ("第 3 户") with the list's order number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.emergency.models import ShoppingItem, ShoppingList, ShoppingStatus, SupplyRun
from gongzhi.registry.models import Area, AreaKind
from gongzhi.workorders import policy

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

RUNS_SHOWN = 30
LISTS_SHOWN = 50


# --- residents ---------------------------------------------------------------------------------


def my_lists_for(*, user: Viewer) -> QuerySet[ShoppingList]:
    """The lists for the user's own record and for the persons they act for, newest first."""
    persons = sorted(policy.acting_person_ids(user))
    if not persons:
        return ShoppingList.objects.none()
    return (
        ShoppingList.objects.filter(person_id__in=persons)
        .select_related("workorder", "person")
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )


def my_list_get_for(*, user: Viewer, list_id: Any) -> ShoppingList:
    return get_by_id(my_lists_for(user=user), list_id)


# --- volunteers and staff ----------------------------------------------------------------------


def delivery_areas_for(*, user: Viewer) -> list[Area]:
    """The nodes where the user runs deliveries (the roots of their scope), by path."""
    held = access.paths(user, Perm.DELIVERY_RUN)
    return list(Area.objects.filter(path__in=held).order_by("path")) if held else []


def delivery_area_get_for(*, user: Viewer, area_id: Any) -> Area:
    """An area inside the user's delivery scope (a community, grid …, not a building)."""
    area = get_by_id(Area.objects.exclude(kind=AreaKind.BUILDING), area_id)
    if not access.can(user, Perm.DELIVERY_RUN, area.path):
        raise NotFound()
    return area


@dataclass
class MergedItem:
    name: str
    unit: str
    total: int
    households: int


@dataclass
class BuildingRow:
    building: Area
    households: int = 0
    lists: int = 0
    items: list[MergedItem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return building_label(self.building)


def _open_lists(user: Viewer, area: Area) -> QuerySet[ShoppingList]:
    return (
        ShoppingList.objects.restrict(user, Perm.DELIVERY_RUN)
        .within(area.path)
        .filter(status=ShoppingStatus.OPEN)
    )


def _buildings(paths: set[str]) -> dict[str, Area]:
    found = Area.objects.filter(path__in=sorted(paths)).select_related("compound")
    return {a.path: a for a in found}


def merged_for(user: Viewer, area: Area) -> list[BuildingRow]:
    """The open lists of `area` the user may deliver, merged by building and item: each
    item's total quantity and the number of households asking for it. Aggregated in SQL;
    cancelled lists and lists already in a run are not counted."""
    lists = _open_lists(user, area)
    per_building = {
        row["area_path"]: row
        for row in lists.values("area_path").annotate(
            households=Count("household", distinct=True), lists=Count("id")
        )
    }
    rows = (
        ShoppingItem.objects.filter(shopping_list__in=lists.values("pk"))
        .values("shopping_list__area_path", "name", "unit")
        .annotate(
            total=Sum("quantity"), households=Count("shopping_list__household", distinct=True)
        )
        .order_by("shopping_list__area_path", "-total", "name", "unit")
    )
    buildings = _buildings(set(per_building))
    out: dict[str, BuildingRow] = {}
    for path, counts in per_building.items():
        if path in buildings:
            out[path] = BuildingRow(
                building=buildings[path], households=counts["households"], lists=counts["lists"]
            )
    for row in rows:
        target = out.get(row["shopping_list__area_path"])
        if target is not None:
            target.items.append(
                MergedItem(row["name"], row["unit"], row["total"], row["households"])
            )
    return [out[p] for p in sorted(out)]


def runs_for(*, user: Viewer, area: Area | None = None) -> QuerySet[SupplyRun]:
    runs = SupplyRun.objects.restrict(user, Perm.DELIVERY_RUN)
    if area is not None:
        runs = runs.overlapping(area.path)
    return runs.select_related("workorder", "created_by").annotate(list_count=Count("lists"))


def run_get_for(*, user: Viewer, run_id: Any) -> SupplyRun:
    return get_by_id(
        SupplyRun.objects.restrict(user, Perm.DELIVERY_RUN).select_related(
            "workorder", "area", "created_by"
        ),
        run_id,
    )


def run_list_get_for(*, user: Viewer, list_id: Any) -> ShoppingList:
    """A list taken into a run, in the user's delivery scope (its run's too)."""
    found = get_by_id(
        ShoppingList.objects.restrict(user, Perm.DELIVERY_RUN).filter(run__isnull=False),
        list_id,
    )
    runs = SupplyRun.objects.restrict(user, Perm.DELIVERY_RUN)
    if found.run_id is None or not runs.filter(pk=found.run_id).exists():
        raise NotFound()
    return found


def run_sheet(run: SupplyRun) -> list[MergedItem]:
    """What to buy for the run: each item's total over its lists (cancelled none: a list in
    a run cannot be cancelled)."""
    rows = (
        ShoppingItem.objects.filter(shopping_list__run=run)
        .values("name", "unit")
        .annotate(
            total=Sum("quantity"), households=Count("shopping_list__household", distinct=True)
        )
        .order_by("-total", "name", "unit")
    )
    return [MergedItem(r["name"], r["unit"], r["total"], r["households"]) for r in rows]


@dataclass
class DoorRow:
    shopping_list: ShoppingList
    label: str  # "3单元 502" or "第 3 户"
    items: list[ShoppingItem]


@dataclass
class RunBuilding:
    building: Area
    doors: list[DoorRow]
    waiting: int

    @property
    def label(self) -> str:
        return building_label(self.building)


def run_buildings(user: Viewer, run: SupplyRun) -> list[RunBuilding]:
    """The run's lists building by building, each household labelled for the viewer."""
    lists = list(
        run.lists.select_related("household", "workorder")
        .prefetch_related("items")
        .order_by("area_path", "household__unit", "household__room", "pk")
    )
    buildings = _buildings({s.area_path for s in lists})
    grouped: dict[str, list[ShoppingList]] = defaultdict(list)
    for s in lists:
        grouped[s.area_path].append(s)
    out = []
    for path in sorted(grouped):
        building = buildings.get(path)
        if building is None:
            continue
        sees_doors = access.can(user, Perm.REGISTER_VIEW, path)
        doors = []
        for number, s in enumerate(grouped[path], start=1):
            if sees_doors:
                label = " ".join(p for p in (s.household.unit, s.household.room) if p)
            else:
                label = _("Household %(n)d") % {"n": number}
            doors.append(DoorRow(s, label, list(s.items.all())))
        waiting = sum(1 for s in grouped[path] if s.status == ShoppingStatus.IN_RUN)
        out.append(RunBuilding(building, doors, waiting))
    return out


def building_label(building: Area) -> str:
    compound = getattr(building, "compound", None)
    return f"{compound.name} {building.name}" if compound is not None else building.name
