"""A community's real profile for its emergency plans, from the register: COUNTS ONLY.

A plan is printed and shared with the street office: no resident's name, phone, ID number
or address goes in. Per building and per grid: households, persons, the elderly living
alone (tag `elderly_alone`), persons aged 65 and over, the disabled (`disabled`), the
chronically ill (`chronic_illness`), children under 14 (from the birth date), tenants
(residency `tenant`), and the register's party members and volunteers (tags). Per grid,
the accounts of volunteers and party members with their skills (work-order handler
profiles), counted. The community's reserved spaces and supplies (they are places and
stock, not persons), and its staff by role with their account display names (staff are
the plan's contacts; residents are never named).

Aggregated in SQL: one GROUP BY per table over the whole community (buildings, households,
persons, tags, memberships), not one query per building.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import translation

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.core import clock
from gongzhi.emergency.models import Space, SupplyItem
from gongzhi.registry.choices import HouseholdStatus, Residency
from gongzhi.registry.models import Area, AreaKind, Household, Person, PersonTag
from gongzhi.workorders.models import HandlerProfile, Skill

# The figures of a building and a grid, in the order the plan's tables show them.
FIGURES: tuple[str, ...] = (
    "households",
    "persons",
    "elderly_alone",
    "aged_65",
    "disabled",
    "chronic_illness",
    "children",
    "tenants",
    "party_members",
    "volunteers",
)
# Register tags counted (tag code -> figure).
TAG_FIGURES = {
    "elderly_alone": "elderly_alone",
    "disabled": "disabled",
    "chronic_illness": "chronic_illness",
    "party_member": "party_members",
    "volunteer": "volunteers",
}
# Persons who live in the community now (away, moved out and deceased are not counted).
LIVING_HERE = (Residency.LIVING, Residency.TENANT)
ELDERLY_AGE = 65
CHILD_AGE = 14
# The staff a plan names as contacts, in this order (their account display names).
CONTACT_ROLES: tuple[str, ...] = (
    Role.SECRETARY,
    Role.COMMUNITY_STAFF,
    Role.POLICE,
    Role.DOCTOR,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
)
HELPER_ROLES = (Role.VOLUNTEER, Role.PARTY_MEMBER)
PLAN_LANGUAGE = "zh-hans"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _zero() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def _grid_of(path: str, grids: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The deepest grid whose subtree holds `path` (grids sorted by path)."""
    found = None
    for grid in grids:
        if path.startswith(grid["path"]):
            found = grid if found is None or len(grid["path"]) > len(found["path"]) else found
    return found


def community_profile(community: Area, *, today: dt.date | None = None) -> dict[str, Any]:
    """The figures of `community` as a JSON-able dict (counts only; see the module doc).
    Labels (roles, skills, kinds) are in Chinese: the plan is a Chinese document."""
    with translation.override(PLAN_LANGUAGE):
        return _profile(community, today or clock.today())


def _profile(community: Area, today: dt.date) -> dict[str, Any]:
    path = community.path
    areas = list(
        Area.objects.within(path)
        .filter(kind__in=(AreaKind.GRID, AreaKind.BUILDING))
        .values("id", "kind", "name", "path", "parent_id", "compound__name", "closed_at")
        .order_by("path")
    )
    grids: list[dict[str, Any]] = [
        {"id": a["id"], "name": a["name"], "path": a["path"], "totals": _zero(), "buildings": []}
        for a in areas
        if a["kind"] == AreaKind.GRID
    ]
    grid_names = {g["id"]: g["name"] for g in grids}
    buildings: dict[str, dict[str, Any]] = {}
    for a in areas:
        if a["kind"] != AreaKind.BUILDING:
            continue
        name = a["name"] if not a["compound__name"] else f"{a['compound__name']}{a['name']}"
        buildings[a["path"]] = {
            "id": a["id"],
            "name": name,
            "grid": grid_names.get(a["parent_id"], ""),
            "closed": a["closed_at"] is not None,
            **_zero(),
        }

    def building(p: str) -> dict[str, Any] | None:
        return buildings.get(p)

    # Households by building (one GROUP BY).
    for row in (
        Household.objects.within(path)
        .filter(status=HouseholdStatus.ACTIVE)
        .values("area_path")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if (b := building(row["area_path"])) is not None:
            b["households"] = row["n"]

    # Persons by building, with age groups and tenants (one GROUP BY, no join).
    aged_cut = _years_before(today, ELDERLY_AGE)
    child_cut = _years_before(today, CHILD_AGE)
    for group in (
        Person.objects.within(path)
        .filter(residency__in=LIVING_HERE)
        .values("area_path")
        .annotate(
            persons=Count("id"),
            aged_65=Count("id", filter=Q(birth_date__lte=aged_cut)),
            children=Count("id", filter=Q(birth_date__gt=child_cut)),
            tenants=Count("id", filter=Q(residency=Residency.TENANT)),
        )
        .order_by()
    ):
        if (b := building(group["area_path"])) is not None:
            for key in ("persons", "aged_65", "children", "tenants"):
                b[key] = group[key]

    # Tagged persons by building and tag (one GROUP BY over the tag links).
    tagged: Any = (
        access.within_column(PersonTag.objects.all(), "person__area_path", path)
        .filter(person__residency__in=LIVING_HERE, tag__code__in=list(TAG_FIGURES))
        .values("person__area_path", "tag__code")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    )
    for row in tagged:
        if (b := building(row["person__area_path"])) is not None:
            b[TAG_FIGURES[row["tag__code"]]] = row["n"]

    # Buildings into their grids, grid totals and the community's.
    totals = _zero()
    by_grid = {g["path"]: g for g in grids}
    unplaced: dict[str, Any] = {
        "id": None,
        "name": "",
        "path": "",
        "totals": _zero(),
        "buildings": [],
    }
    for bpath, b in buildings.items():
        if b["closed"] and not b["households"] and not b["persons"]:
            continue
        grid = _grid_of(bpath, grids)
        target = by_grid[grid["path"]] if grid else unplaced
        target["buildings"].append(b)
        for key in FIGURES:
            target["totals"][key] += b[key]
            totals[key] += b[key]
    grid_rows = [g for g in grids if g["buildings"] or not _has_subgrids(g, grids)]
    if unplaced["buildings"]:
        grid_rows.append(unplaced)

    return {
        "community": {"id": community.pk, "name": community.name, "code": community.code},
        "as_of": today.isoformat(),
        "figures": list(FIGURES),
        "totals": totals,
        "building_count": sum(len(g["buildings"]) for g in grid_rows),
        "grids": [
            {
                "name": g["name"],
                "path": g["path"],
                "totals": g["totals"],
                "buildings": [
                    {k: v for k, v in b.items() if k != "closed"} for b in g["buildings"]
                ],
                "helpers": {},
            }
            for g in grid_rows
        ],
        **_helpers_and_contacts(path, grid_rows),
        "spaces": _spaces(path),
        "supplies": _supplies(path),
    }


def _has_subgrids(grid: dict[str, Any], grids: list[dict[str, Any]]) -> bool:
    return any(g is not grid and g["path"].startswith(grid["path"]) for g in grids)


def _helpers_and_contacts(path: str, grid_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Volunteers and party members per grid with skills (counts), and staff contacts."""
    memberships = list(
        access.within_column(
            Membership.objects.filter(is_active=True, user__is_active=True), "area__path", path
        )
        .filter(role__in=[*HELPER_ROLES, *CONTACT_ROLES])
        .values("user_id", "role", "area__path", "area__name", "user__display_name")
        .order_by("area__path", "role", "user__display_name", "user_id")
    )
    helper_ids = {m["user_id"] for m in memberships if m["role"] in HELPER_ROLES}
    skills = dict(
        HandlerProfile.objects.filter(user_id__in=helper_ids).values_list("user_id", "skills")
    )
    skill_labels = dict(Skill.choices)
    grids_sorted = sorted((g for g in grid_rows if g["path"]), key=lambda g: g["path"])
    helpers: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"volunteers": 0, "party_members": 0, "skills": defaultdict(int)}
    )
    counted: set[tuple[int, str]] = set()
    contacts: dict[str, list[dict[str, str]]] = defaultdict(list)
    for m in memberships:
        if m["role"] in HELPER_ROLES:
            grid = _grid_of(m["area__path"], grids_sorted)
            key = grid["path"] if grid else ""
            if (m["user_id"], key) in counted:
                continue
            counted.add((m["user_id"], key))
            entry = helpers[key]
            entry["volunteers" if m["role"] == Role.VOLUNTEER else "party_members"] += 1
            for code in skills.get(m["user_id"]) or []:
                if code in skill_labels:
                    entry["skills"][str(skill_labels[code])] += 1
        else:
            shown = {"name": m["user__display_name"] or "—", "area": m["area__name"]}
            if shown not in contacts[m["role"]]:
                contacts[m["role"]].append(shown)
    helper_rows = []
    for g in [{"path": "", "name": ""}, *grids_sorted]:
        if g["path"] not in helpers:
            continue
        entry = helpers[g["path"]]
        helper_rows.append(
            {
                "grid": g["name"],
                "volunteers": entry["volunteers"],
                "party_members": entry["party_members"],
                "skills": dict(sorted(entry["skills"].items(), key=lambda kv: (-kv[1], kv[0]))),
            }
        )
    role_labels = dict(Role.choices)
    return {
        "helpers": helper_rows,
        "contacts": [
            {"role": role, "label": str(role_labels[role]), "people": contacts[role]}
            for role in CONTACT_ROLES
            if contacts.get(role)
        ],
    }


def _spaces(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "kind": s.kind,
            "kind_label": str(s.get_kind_display()),
            "capacity": s.capacity,
            "occupied": s.occupied,
            "status": s.status,
            "status_label": str(s.get_status_display()),
            "location": s.location,
        }
        for s in Space.objects.within(path).order_by("kind", "name")
    ]


def _supplies(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "category": i.category,
            "unit": i.unit,
            "quantity": i.quantity,
            "minimum": i.minimum,
            "below_minimum": i.quantity < i.minimum,
        }
        for i in SupplyItem.objects.within(path).order_by("category", "name")
    ]
