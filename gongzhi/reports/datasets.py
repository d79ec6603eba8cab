"""The rows of a report, per data set: plain dicts of field -> value, for one area.

Personal values (ID number, phone) stay `Sealed` here; the filling decides, column by
column, whether they are written masked (the default) or in full.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from gongzhi.core import scope
from gongzhi.core.identity import age_on
from gongzhi.health import selectors as health
from gongzhi.health.models import Vaccination, WatchEntry
from gongzhi.health.states import OPEN_STATUSES
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person, Tag

Row = dict[str, Any]
TOTAL_LABEL = "合计"  # the total row of a per-grid table (data, as the department writes it)


def _grids_under(area: Area) -> dict[str, Area]:
    """Grids at or around `area`: its own grid ancestors and every grid under it."""
    grids = Area.objects.filter(kind=AreaKind.GRID).overlapping(area.path)
    return {g.path: g for g in grids}


def _communities(area: Area) -> dict[str, str]:
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).overlapping(area.path)
    return dict(communities.values_list("path", "name"))


def _community_of(path: str, communities: dict[str, str]) -> str:
    for prefix, name in communities.items():
        if path.startswith(prefix):
            return name
    return ""


def _grid_names(path: str, grids: dict[str, Area]) -> tuple[str, str, str]:
    """(lowest grid's name, level-1 grid's name, lowest grid's path) of a building path."""
    own = ""
    top = ""
    own_path = ""
    for i in range(len(path), 0, -scope.STEP):
        grid = grids.get(path[:i])
        if grid is None:
            continue
        if not own:
            own, own_path = grid.name, grid.path
        if grid.grid_level == 1:
            top = grid.name
    return own, top, own_path


def years_before(day: dt.date, years: int) -> dt.date:
    return health.years_before(day, years)


# --- persons -----------------------------------------------------------------------------------


def person_rows(*, area: Area, filters: dict[str, Any], as_of: dt.date) -> Iterator[Row]:
    people = Person.objects.within(area.path)
    people = people.filter(residency__in=filters.get("residency") or PRESENT_RESIDENCY)
    tags = filters.get("tags") or []
    if tags:
        people = people.filter(tags__code__in=tags).distinct()
    if filters.get("age_min") is not None:
        people = people.filter(birth_date__lte=years_before(as_of, int(filters["age_min"])))
    if filters.get("age_max") is not None:
        people = people.filter(birth_date__gt=years_before(as_of, int(filters["age_max"]) + 1))
    doses = Vaccination.objects.filter(person=OuterRef("pk"), vaccinated_on__lte=as_of)
    annotated = (
        people.select_related("household__building__compound", "household__community")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("sort", "code")))
        .annotate(
            doses=Coalesce(Subquery(doses.values("person").annotate(n=Count("pk")).values("n")), 0),
            last_dose_on=Subquery(
                doses.values("person").annotate(last=Max("vaccinated_on")).values("last")
            ),
        )
        .order_by("area_path", "household_id", "birth_date", "pk")
    )
    grids = _grids_under(area)
    workers = health.responsible_grid_workers(grids)
    sizes = dict(
        Person.objects.within(area.path)
        .filter(residency__in=PRESENT_RESIDENCY)
        .values_list("household_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    heads = dict(
        Person.objects.within(area.path)
        .filter(relation="head")
        .exclude(residency__in=["moved_out", "deceased"])
        .values_list("household_id", "name")
    )
    for person in annotated.iterator(chunk_size=2000):
        household = person.household
        building = household.building
        grid, grid_top, grid_path = _grid_names(person.area_path, grids)
        worker = workers.get(grid_path)
        yield {
            "name": person.name,
            "gender": person.gender,
            "birth_date": person.birth_date,
            "age": age_on(person.birth_date, as_of),
            "id_number": person.id_number,
            "phone": person.phone,
            "ethnicity": person.ethnicity,
            "relation": person.relation,
            "residency": person.residency,
            "address": household.address,
            "compound": building.compound.name if building.compound is not None else "",
            "building": building.name,
            "unit": household.unit,
            "room": household.room,
            "grid": grid,
            "grid_top": grid_top,
            "grid_worker": str(worker) if worker else "",
            "community": household.community.name,
            "tags": "、".join(t.name for t in person.tags.all()),
            "household_head": heads.get(household.pk, ""),
            "household_size": sizes.get(household.pk, 0),
            "moved_in_on": person.moved_in_on,
            "doses": person.doses,
            "last_dose_on": person.last_dose_on,
        }


# --- watch-list entries ------------------------------------------------------------------------


def watch_rows(*, area: Area, filters: dict[str, Any], as_of: dt.date) -> Iterator[Row]:
    # A row that joined a person's open entry is that entry's, not a row of its own.
    entries = WatchEntry.objects.within(area.path).filter(merged_into__isnull=True)
    status = filters.get("status") or ""
    if status == "open":
        entries = entries.filter(status__in=OPEN_STATUSES)
    elif status:
        entries = entries.filter(status=status)
    if filters.get("tier"):
        entries = entries.filter(tier=filters["tier"])
    if filters.get("since_days"):
        since = as_of - dt.timedelta(days=int(filters["since_days"]))
        entries = entries.filter(upstream_list__created_at__date__gte=since)
    entries = entries.select_related(
        "person__household", "grid", "assignee", "upstream_list"
    ).order_by("upstream_list__created_at", "upstream_list_id", "row_number")
    communities = _communities(area)
    for entry in entries.iterator(chunk_size=2000):
        person = entry.person
        birth = entry.birth_date or (person.birth_date if person else None)
        yield {
            "name": entry.name or (person.name if person else ""),
            "gender": person.gender if person else "",
            "age": age_on(birth, as_of) if birth else None,
            "birth_date": birth,
            "id_number": entry.id_number or (person.id_number if person else ""),
            "phone": entry.phone or (person.phone if person else ""),
            "origin": entry.origin,
            "arrival_date": entry.arrival_date,
            "source": entry.source,
            "address": person.household.address if person else entry.address,
            "stated_address": entry.address,
            "registered_address": person.household.address if person else "",
            "grid": entry.grid.name if entry.grid is not None else "",
            "grid_worker": str(entry.assignee) if entry.assignee_id else "",
            "community": _community_of(entry.area_path, communities),
            "list": entry.upstream_list.name if entry.upstream_list else entry.source,
            "tier": entry.tier,
            "status": entry.status,
            "review_note": entry.review_note,
            "method": entry.verification_method,
            "found": entry.found,
            "verification_note": entry.verification_note,
            "verified_on": entry.verified_on,
            "outcome": entry.outcome,
        }


# --- vaccination per grid ------------------------------------------------------------------------


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def vaccination_rows(*, area: Area, filters: dict[str, Any], as_of: dt.date) -> Iterator[Row]:
    level = filters.get("grid_level")
    summary = health.grid_vaccination_summary(
        area=area, as_of=as_of, grid_level=int(level) if level else None
    )
    communities = _communities(area)
    total = {"persons": 0, "aged_60_plus": 0, "dose_1": 0, "dose_2": 0, "dose_3": 0,
             "aged_60_plus_dose_1": 0}  # fmt: skip
    for item in summary:
        counts = {
            "persons": item.persons,
            "aged_60_plus": item.aged_60_plus,
            "dose_1": item.dose_1,
            "dose_2": item.dose_2,
            "dose_3": item.dose_3,
            "aged_60_plus_dose_1": item.aged_60_plus_dose_1,
        }
        for key, value in counts.items():
            total[key] += value
        yield {
            "grid": item.grid.name,
            "community": _community_of(item.grid.path, communities),
            **counts,
            **_rates(counts),
        }
    if summary:
        yield {
            "grid": TOTAL_LABEL,
            "community": "",
            **total,
            **_rates(total),
            "_total": True,
        }


def _rates(counts: dict[str, int]) -> dict[str, float | None]:
    return {
        "rate_1": _ratio(counts["dose_1"], counts["persons"]),
        "rate_2": _ratio(counts["dose_2"], counts["persons"]),
        "rate_3": _ratio(counts["dose_3"], counts["persons"]),
        "rate_60_plus": _ratio(counts["aged_60_plus_dose_1"], counts["aged_60_plus"]),
    }


ROWS = {
    "persons": person_rows,
    "watch_entries": watch_rows,
    "grid_vaccination": vaccination_rows,
}
