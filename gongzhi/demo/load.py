"""Loading the plan into the database, and taking it out again.

Areas (a few hundred) go through `registry.services.area_create`, so they are validated
and audited like any other. Households and persons (tens of thousands) are inserted in
batches with plain INSERTs (`bulk.py`); their rows come from `registry.rows`, as
`household_create` / `person_create` make them: the address, the area path, the pinyin
keys, the blind indexes, a new person's defaults, and the ID number and phone (encrypted
by the model field's own `get_prep_value`, so with its purpose). This module adds the
batching. The register gets one `demo.load` audit entry per community instead of one
per row.
`tests/test_consistency.py` keeps the two paths from drifting apart.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import OuterRef, ProtectedError, Q, Subquery

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.identity import age_on
from gongzhi.demo.bulk import Inserter
from gongzhi.demo.layout import CommunityPlan, plan_community, plan_shapes
from gongzhi.demo.people import (
    HouseholdPlan,
    PersonMaker,
    PersonPlan,
    Registry,
    household_kinds,
    people_rng,
)
from gongzhi.demo.spec import COMMUNITIES, YULING, CommunitySpec
from gongzhi.registry import rows as row_rules
from gongzhi.registry.models import (
    Area,
    AreaKind,
    Household,
    Person,
    PersonTag,
    RegisterChange,
    Tag,
)
from gongzhi.registry.rows import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from gongzhi.registry.services import area_create

BATCH_HOUSEHOLDS = 2000
ELDERLY_AGE = 80  # the `elderly` tag: aged 80 or over

Say = Callable[[str], None]


class DemoError(Exception):
    """The demo cannot do what was asked; the message says why and what to do."""


@dataclass
class LoadedCommunity:
    plan: CommunityPlan
    community: Area
    street: Area
    grids: dict[int, list[Area]] = field(default_factory=dict)  # by grid level
    leaves: list[Area] = field(default_factory=list)
    buildings: list[Area] = field(default_factory=list)
    households: int = 0
    persons: int = 0
    seconds: float = 0.0


def is_loaded() -> bool:
    return Area.objects.filter(code=YULING.code).exists()


def load_info() -> str:
    """What is loaded and how it was made (seed and scale, from its audit entry)."""
    from gongzhi.audit.models import AuditEntry

    codes = [spec.code for spec in COMMUNITIES]
    households = Household.objects.filter(community__code__in=codes).count()
    persons = Person.objects.filter(household__community__code__in=codes).count()
    entry = AuditEntry.objects.filter(action="demo.load").order_by("-seq").first()
    made = re.search(r"\((seed [^)]*)\)", entry.purpose) if entry else None
    return f"{households:,} households, {persons:,} persons" + (
        f"; {made.group(1)}" if made else ""
    )


# --- areas ---------------------------------------------------------------------------------


def _division(parent: Area, kind: str, name: str, code: str) -> Area:
    existing = Area.objects.filter(code=code).first()
    if existing is not None:
        if existing.parent_id != parent.pk or existing.kind != kind:
            raise DemoError(f"Area {code} exists elsewhere in the tree; it is not the demo's.")
        return existing
    return area_create(actor=None, parent=parent, kind=kind, name=name, code=code)


def _create_areas(
    spec: CommunitySpec, plan: CommunityPlan, root: Area, *, seed: int
) -> LoadedCommunity:
    shapes = plan_shapes(plan, seed=seed)
    parent = root
    for division in spec.divisions:
        parent = _division(parent, division.kind, division.name, division.code)
    street = parent
    community = area_create(
        actor=None,
        parent=street,
        kind=AreaKind.COMMUNITY,
        name=spec.name,
        code=spec.code,
        geometry=shapes.community,
    )
    loaded = LoadedCommunity(plan=plan, community=community, street=street)

    def grid(parent_area: Area, node, index: int) -> None:
        area = area_create(
            actor=None,
            parent=parent_area,
            kind=AreaKind.GRID,
            name=node.name,
            code=f"{parent_area.code}{index:03d}",
            geometry=shapes.grids[id(node)],
        )
        if area.grid_level is None:  # area_create gives every grid its level
            raise DemoError(f"Grid {area.code} has no level.")
        loaded.grids.setdefault(area.grid_level, []).append(area)
        if not node.children:
            loaded.leaves.append(area)
        for number, child in enumerate(node.children, start=1):
            grid(area, child, number)

    for number, node in enumerate(spec.grids, start=1):
        grid(community, node, number)
    compounds = [
        area_create(
            actor=None,
            parent=community,
            kind=AreaKind.COMPOUND,
            name=name,
            code=f"{spec.code}C{number:03d}",
            geometry=shapes.compounds[number - 1],
        )
        for number, name in enumerate(spec.compounds, start=1)
    ]
    for building, point in zip(plan.buildings, shapes.buildings, strict=True):
        compound = compounds[building.compound]
        loaded.buildings.append(
            area_create(
                actor=None,
                parent=loaded.leaves[building.leaf],
                kind=AreaKind.BUILDING,
                name=f"{building.number}{spec.building_suffix}",
                code=f"{compound.code}B{building.number:02d}",
                compound=compound,
                units=building.units,
                floors=building.floors,
                rooms_per_floor=building.rooms,
                geometry=point,
            )
        )
    return loaded


# --- households and persons ----------------------------------------------------------------


TAG_COLUMNS = ("person_id", "tag_id")


class RowBuilder:
    """Rows for planned households and persons, holding what the services would store."""

    def __init__(self) -> None:
        self.tag_ids = dict(Tag.objects.values_list("code", "pk"))
        self.today = clock.today()
        self._names: dict[str, row_rules.NameKeys] = {}
        self.households = Inserter(Household, HOUSEHOLD_COLUMNS)
        self.persons = Inserter(Person, PERSON_COLUMNS)
        self.person_tags = Inserter(PersonTag, TAG_COLUMNS)

    def household(self, *, community: Area, building: Area, unit: str, room: str) -> tuple:
        """As `household_create` stores it: the building's path, the address."""
        return row_rules.household_row(
            community_id=community.pk, building=building, unit=unit, room=room
        )

    def name_keys(self, name: str) -> row_rules.NameKeys:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = row_rules.name_keys(name)
        return found

    def person(self, household_id: int, area_path: str, plan: PersonPlan) -> tuple:
        """As `person_create` stores it: pinyin keys, blind indexes, and the ID number and
        phone encrypted by the model field itself (so with the field's purpose)."""
        given = {
            **self.name_keys(plan.name)._asdict(),
            # The planner made the number from the birth date and gender it encodes.
            "id_number": plan.id_number,
            "id_number_index": row_rules.id_number_index(plan.id_number),
            "birth_date": plan.birth_date,
            "gender": plan.gender,
            **row_rules.phone_columns(plan.phone)._asdict(),
            "ethnicity": plan.ethnicity,
            "relation": plan.relation,
            "residency": plan.residency,
            "moved_in_on": plan.moved_in_on,
        }
        values = row_rules.person_values(given, today=self.today)
        return self.persons.row(
            row_rules.person_row(household_id=household_id, area_path=area_path, values=values)
        )

    def tag_codes(self, plan: PersonPlan) -> list[str]:
        codes = list(plan.tags)
        if age_on(plan.birth_date, self.today) >= ELDERLY_AGE:
            codes.append("elderly")
        return codes

    def flush(self, batch: list[tuple[tuple, HouseholdPlan]]) -> int:
        """Insert a batch of households with their persons and tags; the number of persons."""
        self.households.insert(self.households.row(h) for h, _ in batch)
        buildings = {h[1] for h, _ in batch}
        ids = {
            (building, unit, room): pk
            for pk, building, unit, room in Household.objects.filter(
                building_id__in=buildings
            ).values_list("pk", "building_id", "unit", "room")
        }
        persons: list[tuple] = []
        for household, plan in batch:
            household_id = ids[(household[1], household[2], household[3])]
            persons.extend(self.person(household_id, household[4], p) for p in plan.persons)
        self.persons.insert(persons)
        person_ids = dict(
            Person.objects.filter(household_id__in=list(ids.values())).values_list(
                "id_number_index", "pk"
            )
        )
        index = PERSON_COLUMNS.index("id_number_index")
        self.person_tags.insert(
            self.person_tags.row((person_ids[row[index]], self.tag_ids[code]))
            for row, p in zip(persons, (p for _, plan in batch for p in plan.persons), strict=True)
            for code in self.tag_codes(p)
        )
        return len(persons)


def _fill(
    plan: CommunityPlan,
    loaded: LoadedCommunity,
    *,
    seed: int,
    registry: Registry,
    builder: RowBuilder,
) -> None:
    rng = people_rng(plan.spec, seed)
    maker = PersonMaker(plan.spec, rng, registry)
    kinds = iter(household_kinds(plan.households, rng))
    batch: list[tuple[tuple, HouseholdPlan]] = []
    for building_plan, building in zip(plan.buildings, loaded.buildings, strict=True):
        for unit, room in building_plan.dwellings:
            household = builder.household(
                community=loaded.community, building=building, unit=unit, room=room
            )
            batch.append((household, maker.household(next(kinds))))
            loaded.households += 1
            if len(batch) >= BATCH_HOUSEHOLDS:
                loaded.persons += builder.flush(batch)
                batch = []
    if batch:
        loaded.persons += builder.flush(batch)
    heads = Person.objects.filter(household=OuterRef("pk"), relation="head").order_by("pk")
    Household.objects.filter(community=loaded.community).update(
        head=Subquery(heads.values("pk")[:1])
    )


@transaction.atomic
def load(*, seed: int, scale: float, say: Say = lambda _: None) -> list[LoadedCommunity]:
    """Build the three communities. The caller checks `is_loaded()` first."""
    root = Area.objects.get(kind=AreaKind.ROOT)
    registry = Registry()
    builder = RowBuilder()
    out = []
    for spec in COMMUNITIES:
        started = time.perf_counter()
        plan = plan_community(spec, seed=seed, scale=scale)
        loaded = _create_areas(spec, plan, root, seed=seed)
        _fill(plan, loaded, seed=seed, registry=registry, builder=builder)
        loaded.seconds = time.perf_counter() - started
        audit_record(
            actor=None,
            action="demo.load",
            obj=loaded.community,
            area_path=loaded.community.path,
            fields=["households", "persons"],
            purpose=(
                f"demo data: {loaded.households} households, {loaded.persons} persons "
                f"(seed {seed}, scale {scale:g})"
            ),
        )
        say(
            f"{spec.name}: {len(plan.leaves)} leaf grids, {len(loaded.buildings)} buildings, "
            f"{loaded.households:,} households, {loaded.persons:,} persons "
            f"({loaded.seconds:.1f} s)"
        )
        out.append(loaded)
    return out


# --- reset ---------------------------------------------------------------------------------


def _demo_community_paths() -> list[str]:
    codes = [spec.code for spec in COMMUNITIES]
    return list(Area.objects.filter(code__in=codes).values_list("path", flat=True))


@transaction.atomic
def unload(*, say: Say = lambda _: None) -> None:
    """Remove the demo's register, areas and logins' memberships and second factors.

    The audit log stays (it is append-only; entries name ids as text). Demo users stay
    too, because the audit log names them as actors (a protected link); the next load
    gives them back their memberships and the demo password.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from gongzhi.accounts.models import Membership, User

    paths = _demo_community_paths()
    households = Household.objects.within(*paths)
    persons = Person.objects.within(*paths)
    household_count = households.count()
    try:
        households.update(head=None)
        PersonTag.objects.filter(person__in=persons).delete()
        RegisterChange.objects.filter(Q(person__in=persons) | Q(household__in=households)).delete()
        persons.delete()
        households.delete()
        demo_users = User.objects.filter(is_demo=True)
        Membership.objects.filter(user__in=demo_users).delete()
        TOTPDevice.objects.filter(user__in=demo_users).delete()
        areas = Area.objects.within(*paths)
        depths = sorted(set(areas.values_list("depth", flat=True)), reverse=True)
        for depth in depths:  # leaves first: parents and compounds are protected
            areas.filter(depth=depth).delete()
        for spec in COMMUNITIES:
            for division in reversed(spec.divisions):
                node = Area.objects.filter(code=division.code).first()
                if node is not None and not node.children.exists():
                    node.delete()
    except ProtectedError as exc:
        raise DemoError(
            "Something outside the demo still refers to demo data, so --reset stops "
            f"without changing anything: {exc.args[0]}"
        ) from exc
    audit_record(
        actor=None,
        action="demo.reset",
        object_type="registry.area",
        fields=["areas", "households", "persons", "memberships"],
        purpose=f"demo data removed: {household_count} households and their persons",
    )
    say(f"Removed the demo: {household_count:,} households and their persons.")
