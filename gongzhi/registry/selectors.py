"""Reads of the register, always through the viewer's scope (`accounts.access`).

Objects by id come only from the `*_get_for` functions, which raise NotFound for rows that
are missing and for rows outside the viewer's area alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import identity, scope
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.text import normalize_query, pinyin_keys
from gongzhi.registry import exact, rows
from gongzhi.registry.models import (
    PRESENT_RESIDENCY,
    Area,
    AreaChange,
    AreaKind,
    Household,
    Person,
    RegisterChange,
    Tag,
)

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

_CJK = re.compile(r"[\u3400-\u9fff]")
_LETTERS = re.compile(r"^[a-z]+$")


def letters_successor(prefix: str) -> str | None:
    """The first [a-z] string after every string that starts with `prefix` (None: no end)."""
    stripped = prefix.rstrip("z")
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def _letters_prefix(field: str, prefix: str) -> Q:
    upper = letters_successor(prefix)
    query = Q(**{f"{field}__gte": prefix})
    return query & Q(**{f"{field}__lt": upper}) if upper else query


# --- areas -----------------------------------------------------------------------------------


def area_list_for(*, user: Viewer, kind: str = "", parent_id: int | None = None) -> QuerySet[Area]:
    areas = Area.objects.restrict(user, Perm.AREA_VIEW)
    if kind:
        areas = areas.filter(kind=kind)
    if parent_id is not None:
        areas = areas.filter(parent_id=parent_id)
    return areas.order_by("path")


def area_get_for(*, user: Viewer, area_id: Any, perm: Perm = Perm.AREA_VIEW) -> Area:
    area = get_by_id(Area.objects.select_related("parent", "compound"), area_id)
    if not access.can(user, perm, area.path):
        raise NotFound()
    return area


def area_roots_for(*, user: Viewer) -> list[Area]:
    """The highest nodes the user may see: the starting points of their tree."""
    return list(Area.objects.filter(path__in=access.paths(user, Perm.AREA_VIEW)).order_by("path"))


def area_ancestors(area: Area) -> list[Area]:
    return list(Area.objects.filter(path__in=scope.ancestors(area.path)).order_by("path"))


def _counts_by_child(area: Area, children: list[Area]) -> None:
    """Households and buildings under each child: two grouped queries for the whole level
    (a community of 30 grids and 200 buildings is two queries, not sixty)."""
    width = len(area.path) + scope.STEP
    households: dict[str, int] = {}
    for path, count in (
        Household.objects.within(area.path)
        .exclude(status="closed")
        .values_list("area_path")
        .annotate(n=Count("pk"))
        .values_list("area_path", "n")
    ):
        households[path[:width]] = households.get(path[:width], 0) + count
    buildings: dict[str, int] = {}
    for path in (
        Area.objects.within(area.path)
        .filter(kind=AreaKind.BUILDING, closed_at__isnull=True)
        .values_list("path", flat=True)
    ):
        buildings[path[:width]] = buildings.get(path[:width], 0) + 1
    for child in children:
        child.household_count = households.get(child.path, 0)
        child.building_count = buildings.get(child.path, 0)


def area_children_for(*, user: Viewer, area: Area) -> list[Area]:
    """Children of a visible node (compounds aside: `area_compounds_for`), with how many
    households and buildings each holds (for the tree); closed ones last."""
    children = list(
        area_list_for(user=user, parent_id=area.pk)
        .exclude(kind=AreaKind.COMPOUND)
        .select_related("compound")
    )
    if children:
        _counts_by_child(area, children)
    return sorted(children, key=lambda c: (c.is_closed, c.path))


def area_compounds_for(*, user: Viewer, area: Area) -> list[Area]:
    """A community's compounds with their open buildings' count (as `building_count`)."""
    compounds = list(area_list_for(user=user, parent_id=area.pk, kind=AreaKind.COMPOUND))
    counts = dict(
        Area.objects.filter(compound__in=compounds, closed_at__isnull=True)
        .values_list("compound")
        .annotate(n=Count("pk"))
        .values_list("compound", "n")
    )
    for compound in compounds:
        compound.building_count = counts.get(compound.pk, 0)
    return compounds


def area_history_for(*, user: Viewer, area: Area, limit: int = 50) -> list[AreaChange]:
    """The node's own history, newest first (the node is visible to the user)."""
    if not access.can(user, Perm.AREA_VIEW, area.path):
        raise NotFound()
    return list(AreaChange.objects.filter(area=area).select_related("actor")[:limit])


def area_shapes_for(*, user: Viewer, area: Area) -> list[Area]:
    """The node and every visible node under it that has a map shape, in tree order."""
    return list(
        Area.objects.restrict(user, Perm.AREA_VIEW)
        .within(area.path)
        .filter(geometry__isnull=False)
        .only("pk", "kind", "name", "code", "path", "grid_level", "geometry", "closed_at")
    )


def area_move_targets_for(*, user: Viewer, area: Area) -> list[Area]:
    """Where the node may go: open grids (and the community) of its own community that the
    user manages, outside its own subtree, shallow enough for a grid's sub-grids."""
    community = (
        Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=scope.ancestors(area.path))
        .only("pk", "path")
        .first()
    )
    if community is None:
        return []
    candidates = (
        Area.objects.restrict(user, Perm.AREA_MANAGE)
        .within(community.path)
        .filter(Q(kind=AreaKind.GRID) | Q(kind=AreaKind.COMMUNITY), closed_at__isnull=True)
        .order_by("path")
    )
    if area.kind == AreaKind.GRID:
        below = (
            (
                Area.objects.within(area.path)
                .filter(kind=AreaKind.GRID)
                .aggregate(m=Max("grid_level"))["m"]
            )
            or area.grid_level
            or 1
        )
        height = below - (area.grid_level or 1)  # sub-grid levels it brings along
        return [
            c
            for c in candidates
            if not c.path.startswith(area.path) and (c.grid_level or 0) + 1 + height <= 3
        ]
    return list(candidates)


def grid_choices_for(*, user: Viewer) -> list[Area]:
    return list(area_list_for(user=user, kind=AreaKind.GRID))


def building_choices_for(*, user: Viewer, community: Area | None = None) -> QuerySet[Area]:
    buildings = (
        Area.objects.filter(kind=AreaKind.BUILDING, closed_at__isnull=True)
        .restrict(user, Perm.REGISTER_EDIT)
        .select_related("compound", "parent")
    )
    if community is not None:
        buildings = buildings.within(community.path)
    return buildings.order_by("compound__name", "name")


# --- households ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFilters:
    q: str = ""
    area_id: int | None = None  # a grid, community, building … within scope
    tag: str = ""
    status: str = ""


def household_list_for(
    *, user: Viewer, filters: HouseholdFilters | None = None
) -> QuerySet[Household]:
    filters = filters or HouseholdFilters()
    households = Household.objects.restrict(user, Perm.REGISTER_VIEW)
    if filters.area_id:
        area = area_get_for(user=user, area_id=filters.area_id, perm=Perm.REGISTER_VIEW)
        households = households.within(area.path)
    if filters.status:
        households = households.filter(status=filters.status)
    if filters.tag:
        households = households.filter(
            pk__in=Person.objects.filter(
                tags__code=filters.tag, residency__in=PRESENT_RESIDENCY
            ).values("household_id")
        )
    if filters.q:
        households = _household_search(user, households, filters.q)
    return households.select_related("head", "building__compound", "building__parent").order_by(
        "area_path", "unit", "room", "pk"
    )


def with_member_counts(households: Iterable[Household]) -> list[Household]:
    """Set `member_count` (present members) on a page of households, in one query.

    Not an annotation on the list itself: that would group every household in scope
    (17,000 for a street officer) before the page is cut.
    """
    page = list(households)
    counts = dict(
        Person.objects.filter(
            household_id__in=[h.pk for h in page], residency__in=PRESENT_RESIDENCY
        )
        .values_list("household_id")
        .annotate(n=Count("pk"))
    )
    for household in page:
        household.member_count = counts.get(household.pk, 0)
    return page


_Households = TypeVar("_Households", bound=QuerySet[Household])


def _household_search(user: Viewer, households: _Households, q: str) -> _Households:
    """Households at a matching address, or with a member matching the person search."""
    text = q.strip()
    people = person_search_for(user=user, q=text)
    by_person = Q(pk__in=people.values("household_id"))
    if _CJK.search(text) or any(ch.isdigit() for ch in text):
        terms = [t for t in re.split(r"\s+", text) if t]
        by_address = Q()
        for term in terms:
            by_address &= Q(address__contains=term)
        return households.filter(by_person | by_address)
    return households.filter(by_person)


@dataclass(frozen=True)
class MemberMatch:
    """A member through whom a search found their household: by name or by pinyin."""

    person: Person
    how: str  # "name" or "pinyin" (full or initials)
    key: str  # what was searched, normalised


def household_matches_for(
    *, user: Viewer, households: Iterable[Household], q: str
) -> dict[int, list[MemberMatch]]:
    """For a page of a household search by name or pinyin: the members who matched, per
    household. Exact searches (a full ID number or phone) are not run a second time."""
    text = normalize_query(q)
    if not text or not (_CJK.search(text) or _LETTERS.match(text)):
        return {}
    how = "name" if _CJK.search(text) else "pinyin"
    ids = [h.pk for h in households]
    matches: dict[int, list[MemberMatch]] = {}
    for person in person_search_for(user=user, q=q).filter(household_id__in=ids):
        matches.setdefault(person.household_id, []).append(MemberMatch(person, how, text))
    return matches


def household_get_for(
    *, user: Viewer, household_id: Any, perm: Perm = Perm.REGISTER_VIEW
) -> Household:
    household = get_by_id(
        Household.objects.select_related(
            "building__compound", "building__parent", "community", "head"
        ),
        household_id,
    )
    if not access.can(user, perm, household.area_path):
        raise NotFound()
    return household


def household_members(household: Household, *, include_past: bool = False) -> list[Person]:
    members = household.persons.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("sort"))
    ).order_by("birth_date")
    if not include_past:
        members = members.filter(residency__in=PRESENT_RESIDENCY)
    return list(members)


# --- persons -----------------------------------------------------------------------------------


SEARCH_CAP = 200  # matches taken per name probe: a search box wants the first few


def person_search_for(*, user: Viewer, q: str, perm: Perm = Perm.REGISTER_VIEW) -> QuerySet[Person]:
    """Persons matching a full ID number, a full phone number, a name (prefix), or its
    pinyin — full (`zhangsan`) or initials (`zs`).

    ID numbers and phones are one blind-index lookup. Names are searched in pinyin order
    by one or two *probes*, each a single index range within the viewer's scope, ordered
    by that index and cut at SEARCH_CAP: the database walks the name index and stops,
    instead of reading the whole scope (500,000 persons for a large community) or sorting
    every match of a common surname. The probes run when this is called; the result is a
    queryset of the matched ids. See docs/benchmarks.md.

    `perm` is the area the search covers: the register's readers by default; the auditor
    finds the person whose entries to read within the area they audit (`Perm.AUDIT_VIEW`)
    by name; an exact search stays with the roles that may reveal.
    """
    people = Person.objects.restrict(user, perm)
    text = normalize_query(q)
    if not text:
        return people.none()
    digits = identity.normalize_digits(q)
    if len(digits) == 18 and re.fullmatch(r"\d{17}[\dX]", digits):
        exact.exact_search_check(user=user, kind=exact.ID_NUMBER, value=digits)
        # Only where the user may reveal: an exact match is as good as the full value.
        revealable = access.restrict(Person.objects.all(), user, Perm.REGISTER_REVEAL, "area_path")
        return revealable.filter(id_number_index=rows.id_number_index(digits))
    if re.fullmatch(r"\+?\d{7,14}", digits):
        try:
            phone = identity.normalize_phone(digits)
        except ValidationError:  # not a phone number: no match, not an error
            return people.none()
        exact.exact_search_check(user=user, kind=exact.PHONE, value=phone)
        # Only where the user may reveal: an exact match is as good as the full value.
        revealable = access.restrict(Person.objects.all(), user, Perm.REGISTER_REVEAL, "area_path")
        return revealable.filter(phone_index=rows.phone_index(phone))
    if _CJK.search(text):
        full, _initials = pinyin_keys(text)
        probes = [(Q(name__startswith=text) & _letters_prefix("name_pinyin", full), "name_pinyin")]
    elif _LETTERS.match(text):
        probes = [
            (_letters_prefix("name_pinyin", text), "name_pinyin"),
            (_letters_prefix("name_initials", text), "name_initials"),
        ]
    else:
        return people.none()
    # The probes run here, each on its own: joined by OR inside one statement, PostgreSQL
    # turns `id IN (probe) OR id IN (probe)` into a filter over the whole table (2 s at a
    # million persons) instead of two index scans.
    ids: set[int] = set()
    for condition, order in probes:
        probe = people.filter(condition).order_by(order, "pk").values_list("pk", flat=True)
        ids.update(probe[:SEARCH_CAP])
    return Person.objects.filter(pk__in=sorted(ids)).order_by("name_pinyin", "pk")


def person_get_for(*, user: Viewer, person_id: Any, perm: Perm = Perm.REGISTER_VIEW) -> Person:
    person = get_by_id(
        Person.objects.select_related(
            "household__building__compound", "household__community"
        ).prefetch_related("tags"),
        person_id,
    )
    if not access.can(user, perm, person.area_path):
        raise NotFound()
    return person


def person_history(person: Person, limit: int = 50) -> list[RegisterChange]:
    return list(person.changes.select_related("actor").order_by("-at", "-id")[:limit])


def household_history(household: Household, limit: int = 50) -> list[RegisterChange]:
    return list(household.changes.select_related("actor", "person").order_by("-at", "-id")[:limit])


def tag_list() -> list[Tag]:
    return list(Tag.objects.order_by("sort", "code"))


@dataclass(frozen=True)
class ScopeSummary:
    households: int
    persons: int
    elderly_alone: int


def scope_summary_for(*, user: Viewer, area: Area | None = None) -> ScopeSummary:
    """Counts for the home page: households, present persons, elderly living alone."""
    households = Household.objects.exclude(status="closed").restrict(user, Perm.REGISTER_VIEW)
    persons = Person.objects.filter(residency__in=PRESENT_RESIDENCY).restrict(
        user, Perm.REGISTER_VIEW
    )
    if area is not None:
        households = households.within(area.path)
        persons = persons.within(area.path)
    return ScopeSummary(
        households=households.count(),
        persons=persons.count(),
        elderly_alone=persons.filter(tags__code="elderly_alone").count(),
    )


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""  # as person_search_for: full ID number, full phone, name, pinyin
    household_id: int | None = None
    tag: str = ""
    residency: str = ""


def person_list_for(*, user: Viewer, filters: PersonFilters | None = None) -> QuerySet[Person]:
    """Persons the user may see, filtered; an out-of-scope household is NotFound."""
    filters = filters or PersonFilters()
    if filters.q:
        people = person_search_for(user=user, q=filters.q)
    else:
        people = Person.objects.restrict(user, Perm.REGISTER_VIEW)
    if filters.household_id is not None:
        household = household_get_for(user=user, household_id=filters.household_id)
        people = people.filter(household=household)
    if filters.tag:
        people = people.filter(tags__code=filters.tag)
    if filters.residency:
        people = people.filter(residency=filters.residency)
    # A search keeps its pinyin order (and its early stop); a plain list goes by address.
    order = (
        ("name_pinyin", "pk") if filters.q else ("area_path", "household_id", "birth_date", "pk")
    )
    return (
        people.select_related("household")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("sort", "code")))
        .order_by(*order)
    )


def area_names_by_id(area_ids: Any) -> dict[int, str]:
    """`{id: name}` for labels (a user's memberships in the navbar); no scope: names only."""
    ids = [i for i in area_ids if i is not None]
    if not ids:
        return {}
    return dict(Area.objects.filter(pk__in=ids).values_list("pk", "name"))


def grid_options_for(*, user: Viewer) -> list[tuple[Any, Any]]:
    """Grids the user may see, as form choices: indented by level, grouped by community
    when the user sees more than one community."""
    grids = list(area_list_for(user=user, kind=AreaKind.GRID))
    communities = list(area_list_for(user=user, kind=AreaKind.COMMUNITY))

    def option(grid: Area) -> tuple[int, str]:
        return grid.pk, "\u3000" * ((grid.grid_level or 1) - 1) + grid.name

    if len(communities) <= 1:
        return [option(g) for g in grids]
    groups: list[tuple[Any, Any]] = []
    for community in communities:
        members = [option(g) for g in grids if g.path.startswith(community.path)]
        if members:
            groups.append((community.name, members))
    return groups


# --- duplicates (issue 3) ------------------------------------------------------------------


def person_duplicates_for(*, user: Viewer, limit: int = 50) -> list[list[Person]]:
    """Groups of records in the user's area that look like one person: the same name,
    birth date and phone (same ID number cannot happen: the register refuses it). Each
    group is a merge proposal; at most `limit` groups."""
    people = Person.objects.exclude(phone_index="").restrict(user, Perm.REGISTER_EDIT)
    keys = list(
        people.values("name", "birth_date", "phone_index")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("name", "birth_date", "phone_index")[:limit]
    )
    if not keys:
        return []
    query = Q(pk__in=[])
    for key in keys:
        query |= Q(name=key["name"], birth_date=key["birth_date"], phone_index=key["phone_index"])
    groups: dict[tuple[Any, ...], list[Person]] = {}
    for person in people.filter(query).select_related("household").order_by("pk"):
        groups.setdefault((person.name, person.birth_date, person.phone_index), []).append(person)
    return [group for group in groups.values() if len(group) > 1]
