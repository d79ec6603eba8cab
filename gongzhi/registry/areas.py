"""Writes to the area tree: add, rename, move, close and reopen nodes, a building's units,
floors and dwellings, and the map shapes (GeoJSON) of grids, compounds and buildings.

Each checks `area.manage` on every node it touches (a secretary on their community, the
system administrator anywhere), collects every field error at once, keeps the node's
history (`AreaChange`) and appends to the audit log in the same transaction.
`registry.services` re-exports them (`services.area_create` …).

Rules of the tree:
- grids nest at most three levels under their community; compounds hang under the
  community; buildings under a grid (or the community), linked to their compound;
- a move stays within its community. It rewrites the materialised paths of the whole
  subtree and every copy of them in other tables (households, persons, work orders,
  pairings …: each scoped model's `scope_field`, plus `PATH_COPIES`); the audit log keeps
  the paths it recorded (it is append-only);
- a code names a node for life: a moved grid keeps its code (it tells where the grid was
  created, not where it is now), so imports and outside lists that name it still work;
- a closed node keeps its rows and history but takes no new children, households or moves;
  it closes only once nothing open is left in it (sub-areas, buildings of a compound,
  households), so closing never hides a household from its grid worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Max, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.registry import geo, rows
from gongzhi.registry.codes import ALLOWED_PARENTS, check_code
from gongzhi.registry.models import (
    Area,
    AreaChange,
    AreaKind,
    Household,
    HouseholdStatus,
    RegisterChange,
)

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

NAME_MAX = 100
MAX_GRID_LEVEL = 3
# What a building may count: 单元 per building, floors, dwellings per floor and unit.
DIMENSIONS: dict[str, tuple[int, int]] = {
    "units": (1, 99),
    "floors": (1, 200),
    "rooms_per_floor": (1, 99),
}
MOVABLE = (AreaKind.GRID, AreaKind.BUILDING)
CLOSABLE = (AreaKind.GRID, AreaKind.COMPOUND, AreaKind.BUILDING)
# Copies of an area path that are not a model's `scope_field` (model label → columns).
PATH_COPIES: dict[str, tuple[str, ...]] = {
    "registry.transferrequest": ("from_area_path", "to_area_path"),
    "workorders.workorder": ("level_path",),
}
# The audit log's paths are part of its hash chain: they record where it happened.
PATHS_KEPT = {"audit.auditentry", "registry.area"}


def community_of(area: Area) -> Area | None:
    """The community the node lies in (None above the community level)."""
    above = scope.ancestors(area.path, inclusive=True)
    return Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=above).first()


def next_code(prefix: str, widths: tuple[int, ...] = (3,)) -> str:
    """The code after the highest `prefix` + digits (of one of `widths`) in use."""
    numbers = [
        int(code[len(prefix) :])
        for code in Area.objects.filter(code__startswith=prefix).values_list("code", flat=True)
        if code[len(prefix) :].isdigit() and len(code) - len(prefix) in widths
    ]
    return f"{prefix}{max(numbers, default=0) + 1:0{widths[0]}d}"


def code_for_new(*, kind: str, parent: Area | None, compound: Area | None = None) -> str:
    """The next free code for a new grid, compound or building ("" for other kinds, or when
    the parent or compound needed is missing): what an empty code field means."""
    if parent is None:
        return ""
    if kind == AreaKind.GRID:
        return next_code(parent.code)
    if kind == AreaKind.COMPOUND:
        community = parent if parent.kind == AreaKind.COMMUNITY else community_of(parent)
        return next_code(f"{community.code}C") if community else ""
    if kind == AreaKind.BUILDING and compound is not None:
        return next_code(f"{compound.code}B", (2, 3))
    return ""


def _history(
    *, actor: Actor, area: Area, action: str, changes: Mapping[str, Any], note: str = ""
) -> None:
    """The node's history row and its audit entry (field names only), same transaction."""
    AreaChange.objects.create(
        at=clock.now(),
        actor=actor,
        area=area,
        action=action,
        changes=dict(changes),
        note=note[:500],
    )
    audit_record(actor=actor, action=action, obj=area, area_path=area.path, fields=list(changes))


def _locked(area: Area) -> Area:
    return (
        Area.objects.select_for_update(of=("self",))
        .select_related("parent", "compound")
        .get(pk=area.pk)
    )


def _dimensions(errors: dict[str, list[str]], kind: str, given: Mapping[str, Any]) -> dict:
    out: dict[str, int | None] = {}
    for field, (low, high) in DIMENSIONS.items():
        if field not in given:
            continue
        value = given[field]
        if value in (None, ""):
            out[field] = None
            continue
        if kind != AreaKind.BUILDING:
            errors.setdefault(field, []).append(_("Only a building has units, floors and rooms."))
            continue
        try:
            number = int(value)
            if isinstance(value, float) and number != value:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(field, []).append(_("Enter a whole number."))
            continue
        if not low <= number <= high:
            errors.setdefault(field, []).append(
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
            continue
        out[field] = number
    return out


def _geometry(errors: dict[str, list[str]], kind: str, value: Any) -> dict[str, Any] | None:
    try:
        return geo.clean_geometry(kind, value)
    except ValidationError as exc:
        errors.setdefault("geometry", []).extend(exc.messages)
        return None


# --- add, rename -------------------------------------------------------------------------------


@transaction.atomic
def area_create(
    *,
    actor: Actor,
    parent: Area | None,
    kind: str,
    name: str,
    code: str,
    compound: Area | None = None,
    units: int | None = None,
    floors: int | None = None,
    rooms_per_floor: int | None = None,
    geometry: Mapping[str, Any] | None = None,
    perm: Perm = Perm.AREA_MANAGE,
) -> Area:
    """Add a node under `parent`; an empty `code` takes the next free one. `perm` is what
    the actor needs on the parent: `area.manage`, or for a building or compound made by a
    register import that the importer confirmed, `register.import`."""
    errors: dict[str, list[str]] = {}
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    code = (code or "").strip().upper()
    if perm != Perm.AREA_MANAGE and (
        perm != Perm.IMPORT_RUN or kind not in (AreaKind.BUILDING, AreaKind.COMPOUND)
    ):
        raise Forbidden()
    if parent is not None:
        parent = Area.objects.select_for_update().get(pk=parent.pk)
        access.require(actor, perm, parent.path)
    elif actor is not None:
        raise Forbidden()
    if not code:  # numbered automatically under its parent (or compound)
        code = code_for_new(kind=kind, parent=parent, compound=compound)
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS.get(kind, set()):
        errors.setdefault("parent", []).append(
            _("A %(kind)s cannot be placed under this node.") % {"kind": AreaKind(kind).label}
        )
    elif parent is not None and parent.is_closed:
        errors.setdefault("parent", []).append(_("This area is closed: it takes no new areas."))
    try:
        if code or kind != AreaKind.BUILDING or compound is not None:
            check_code(kind=kind, code=code, parent=parent)  # (no compound: said below)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    grid_level = None
    if kind == AreaKind.GRID and parent is not None:
        grid_level = (parent.grid_level or 0) + 1 if parent.kind == AreaKind.GRID else 1
        if grid_level > MAX_GRID_LEVEL:
            errors.setdefault("parent", []).append(_("Grids go at most three levels deep."))
    if kind == AreaKind.BUILDING:
        community = community_of(parent) if parent else None
        if compound is None or compound.kind != AreaKind.COMPOUND:
            errors.setdefault("compound", []).append(_("Choose the compound of this building."))
        elif community is None or not compound.path.startswith(community.path):
            errors.setdefault("compound", []).append(
                _("The compound must be in the same community as the building's grid.")
            )
        elif compound.is_closed:
            errors.setdefault("compound", []).append(
                _("This compound is closed: it takes no new buildings.")
            )
        elif not code.startswith(compound.code + "B"):
            errors.setdefault("code", []).append(
                _("A building code starts with its compound's code and B.")
            )
    elif compound is not None:
        errors.setdefault("compound", []).append(_("Only a building belongs to a compound."))
    dimensions = _dimensions(
        errors, kind, {"units": units, "floors": floors, "rooms_per_floor": rooms_per_floor}
    )
    shape = _geometry(errors, kind, geometry) if geometry is not None else None
    if code and Area.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(_("Another area already has this code."))
    raise_errors(errors)
    if parent is None:
        path = scope.ROOT_PATH
        if Area.objects.filter(path=path).exists():
            raise ValidationError({"parent": [_("The platform already has a root.")]})
    else:
        path = _next_child_path(parent)
    area = Area.objects.create(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        path=path,
        depth=len(path) // scope.STEP,
        grid_level=grid_level,
        compound=compound,
        geometry=shape,
        **dimensions,
    )
    _history(
        actor=actor,
        area=area,
        action="area.create",
        changes={"name": [None, name], "code": [None, code]},
    )
    return area


@transaction.atomic
def building_ensure(
    *,
    actor: Actor,
    grid: Area,
    compound_name: str,
    name: str,
    units: int | None = None,
    floors: int | None = None,
    rooms_per_floor: int | None = None,
    perm: Perm = Perm.AREA_MANAGE,
) -> tuple[Area, bool]:
    """The building `name` of compound `compound_name` under `grid`, created (with its
    compound, if the community has none of that name) when missing: `(building, created)`.
    A building of that name that stands under another grid is a field error naming it, never
    a guess. Codes are the next free ones. For an import that creates missing buildings:
    with `perm=Perm.IMPORT_RUN` a grid worker may add a building to their grid (a new
    compound needs that permission on the community)."""
    access.require(actor, perm, grid.path)
    community = community_of(grid)
    if community is None:
        raise ValidationError({"parent": [_("The building is not in a community.")]})
    errors: dict[str, list[str]] = {}
    compound_name = text_field(
        errors, "compound", compound_name, NAME_MAX, required=True, one_line=True
    )
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    raise_errors(errors)
    compound = (
        Area.objects.within(community.path)
        .filter(kind=AreaKind.COMPOUND, name=compound_name)
        .first()
    )
    if compound is not None:
        existing = (
            Area.objects.filter(kind=AreaKind.BUILDING, compound=compound, name=name)
            .select_related("parent")
            .first()
        )
        if existing is not None:
            if existing.parent_id != grid.pk:
                where = existing.parent.name if existing.parent else ""
                raise ValidationError(
                    {
                        "parent": [
                            _(
                                "This building is in %(grid)s already; move it on the area page if it changed grid."
                            )
                            % {"grid": where}
                        ]
                    }
                )
            return existing, False
    else:
        compound = area_create(
            actor=actor,
            parent=community,
            kind=AreaKind.COMPOUND,
            name=compound_name,
            code="",
            perm=perm,
        )
    building = area_create(
        actor=actor,
        parent=grid,
        kind=AreaKind.BUILDING,
        name=name,
        code="",
        compound=compound,
        units=units,
        floors=floors,
        rooms_per_floor=rooms_per_floor,
        perm=perm,
    )
    return building, True


def _next_child_path(parent: Area) -> str:
    last = Area.objects.filter(parent=parent).aggregate(m=Max("path"))["m"]
    number = int(last[-scope.STEP :]) + 1 if last else 1
    return scope.child_path(parent.path, number)


@transaction.atomic
def area_rename(*, actor: Actor, area: Area, name: str) -> Area:
    area = _locked(area)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    raise_errors(errors)
    if name != area.name:
        old = area.name
        area.name = name
        area.save(update_fields=["name", "updated_at"])
        _history(actor=actor, area=area, action="area.rename", changes={"name": [old, name]})
        if area.kind in (AreaKind.BUILDING, AreaKind.COMPOUND):
            _refresh_addresses(area)
    return area


def _refresh_addresses(area: Area) -> None:
    """A renamed building or compound: its households' addresses say the new name."""
    buildings = [area] if area.kind == AreaKind.BUILDING else list(area.buildings.all())
    for building in buildings:
        for household in Household.objects.filter(building=building):
            household.address = rows.address_of(building, household.unit, household.room)
            household.save(update_fields=["address", "updated_at"])


@transaction.atomic
def area_details_set(
    *,
    actor: Actor,
    area: Area,
    units: int | None,
    floors: int | None,
    rooms_per_floor: int | None,
) -> Area:
    """A building's units (单元), floors and dwellings per floor and unit; None: unknown."""
    area = _locked(area)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    if area.kind != AreaKind.BUILDING:
        errors.setdefault("units", []).append(_("Only a building has units, floors and rooms."))
    given = {"units": units, "floors": floors, "rooms_per_floor": rooms_per_floor}
    clean = _dimensions(errors, area.kind, given)
    raise_errors(errors)
    changes = {f: [getattr(area, f), v] for f, v in clean.items() if getattr(area, f) != v}
    if changes:
        for field, (_old, new) in changes.items():
            setattr(area, field, new)
        area.save(update_fields=[*changes, "updated_at"])
        _history(actor=actor, area=area, action="area.details", changes=changes)
    return area


# --- move --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveResult:
    area: Area
    nodes: int  # the node and everything under it
    households: int


def _rebase(model: Any, column: str, old: str, new: str) -> int:
    """Rewrite the paths in `column` that lie under `old` to lie under `new` (one UPDATE)."""
    rows_under = access.within_column(model._default_manager.all(), column, old)
    return rows_under.update(
        **{column: Concat(Value(new), Substr(F(column), len(old) + 1), output_field=CharField())}
    )


def _path_columns() -> list[tuple[Any, str]]:
    """Every column outside the tree itself that holds a copy of an area's path."""
    found: list[tuple[Any, str]] = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in PATHS_KEPT:
            continue
        columns = list(PATH_COPIES.get(label, ()))
        field = getattr(model, "scope_field", None)
        if isinstance(field, str) and field not in columns:
            columns.insert(0, field)
        found.extend((model, column) for column in columns)
    return found


@transaction.atomic
def area_move(*, actor: Actor, area: Area, parent: Area, note: str = "") -> MoveResult:
    """Put a grid under another grid or its community, or a building under another grid,
    within the same community; the subtree and everything registered in it go along."""
    area = _locked(area)
    parent = _locked(parent)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    access.require(actor, Perm.AREA_MANAGE, parent.path)
    errors: dict[str, list[str]] = {}
    note = text_field(errors, "note", note, 500)
    if area.kind not in MOVABLE:
        errors.setdefault("area", []).append(_("Only grids and buildings move."))
        raise_errors(errors)
    if area.parent_id == parent.pk:
        raise_errors(errors)
        return MoveResult(area=area, nodes=0, households=0)
    if area.is_closed:
        errors.setdefault("area", []).append(_("This area is closed: reopen it first."))
    if parent.kind not in ALLOWED_PARENTS[area.kind]:
        errors.setdefault("parent", []).append(
            _("A %(kind)s cannot be placed under this node.") % {"kind": area.get_kind_display()}
        )
    elif parent.path.startswith(area.path):
        errors.setdefault("parent", []).append(_("An area cannot move into itself."))
    elif parent.is_closed:
        errors.setdefault("parent", []).append(_("This area is closed: it takes no new areas."))
    else:
        here, there = community_of(area), community_of(parent)
        if here is None or there is None or here.pk != there.pk:
            errors.setdefault("parent", []).append(_("An area moves only within its community."))
    level_shift = 0
    if area.kind == AreaKind.GRID and "parent" not in errors:
        new_level = (parent.grid_level or 0) + 1 if parent.kind == AreaKind.GRID else 1
        level_shift = new_level - (area.grid_level or 1)
        deepest = (
            (
                Area.objects.within(area.path)
                .filter(kind=AreaKind.GRID)
                .aggregate(m=Max("grid_level"))["m"]
            )
            or new_level
        )
        if deepest + level_shift > MAX_GRID_LEVEL:
            errors.setdefault("parent", []).append(
                _(
                    "Grids go at most three levels deep: with its sub-grids this grid "
                    "would reach level %(level)d there."
                )
                % {"level": deepest + level_shift}
            )
    raise_errors(errors)
    old_path, old_parent = area.path, area.parent
    new_path = _next_child_path(parent)
    depth_shift = (len(new_path) - len(old_path)) // scope.STEP
    subtree = Area.objects.within(old_path)
    nodes = subtree.count()
    if level_shift:
        subtree.filter(kind=AreaKind.GRID).update(grid_level=F("grid_level") + level_shift)
    Area.objects.filter(pk=area.pk).update(parent=parent)
    subtree.update(
        path=Concat(
            Value(new_path), Substr(F("path"), len(old_path) + 1), output_field=CharField()
        ),
        depth=F("depth") + depth_shift,
        updated_at=clock.now(),
    )
    for model, column in _path_columns():
        _rebase(model, column, old_path, new_path)
    area.refresh_from_db()
    old_name = old_parent.name if old_parent else ""
    household_ids = list(
        Household.objects.within(area.path)
        .exclude(status=HouseholdStatus.CLOSED)
        .values_list("pk", flat=True)
    )
    now = clock.now()
    RegisterChange.objects.bulk_create(
        RegisterChange(
            at=now,
            actor=actor,
            household_id=pk,
            action="household.area_move",
            changes={"area": [f"{old_name} › {area.name}", f"{parent.name} › {area.name}"]},
            note=note,
        )
        for pk in household_ids
    )
    AreaChange.objects.create(
        at=now,
        actor=actor,
        area=area,
        action="area.move",
        changes={"parent": [old_name, parent.name]},
        note=note,
    )
    audit_record(
        actor=actor,
        action="area.move",
        obj=area,
        area_path=area.path,
        fields=["parent", "path"],
        purpose=(
            f"moved from {old_path} to {area.path} with {nodes} areas and "
            f"{len(household_ids)} households"
        ),
    )
    access.forget(actor)
    return MoveResult(area=area, nodes=nodes, households=len(household_ids))


# --- close, reopen -----------------------------------------------------------------------------


@transaction.atomic
def area_close(*, actor: Actor, area: Area, note: str = "") -> Area:
    """Close a grid, compound or building that holds nothing open any more."""
    area = _locked(area)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    note = text_field(errors, "note", note, 500)
    if area.kind not in CLOSABLE:
        errors.setdefault("area", []).append(_("Only grids, compounds and buildings close."))
    elif area.is_closed:
        errors.setdefault("area", []).append(_("This area is closed already."))
    else:
        children = Area.objects.filter(parent=area, closed_at__isnull=True).count()
        if children:
            errors.setdefault("area", []).append(
                _("%(n)d areas under it are still open: move or close them first.")
                % {"n": children}
            )
        if area.kind == AreaKind.COMPOUND:
            buildings = area.buildings.filter(closed_at__isnull=True).count()
            if buildings:
                errors.setdefault("area", []).append(
                    _("%(n)d buildings of this compound are still open: close them first.")
                    % {"n": buildings}
                )
        households = (
            Household.objects.within(area.path).exclude(status=HouseholdStatus.CLOSED).count()
        )
        if households:
            errors.setdefault("area", []).append(
                _(
                    "%(n)d households are still registered here: move them to another "
                    "building or close them first."
                )
                % {"n": households}
            )
    raise_errors(errors)
    area.closed_at = clock.now()
    area.save(update_fields=["closed_at", "updated_at"])
    _history(
        actor=actor,
        area=area,
        action="area.close",
        changes={"closed_at": [None, area.closed_at.isoformat()]},
        note=note,
    )
    return area


@transaction.atomic
def area_reopen(*, actor: Actor, area: Area) -> Area:
    area = _locked(area)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    if not area.is_closed:
        errors.setdefault("area", []).append(_("This area is open."))
    elif area.parent is not None and area.parent.is_closed:
        errors.setdefault("area", []).append(_("The area above it is closed: reopen that first."))
    elif area.compound is not None and area.compound.is_closed:
        errors.setdefault("area", []).append(_("Its compound is closed: reopen that first."))
    raise_errors(errors)
    closed_at = area.closed_at
    area.closed_at = None
    area.save(update_fields=["closed_at", "updated_at"])
    _history(
        actor=actor,
        area=area,
        action="area.reopen",
        changes={"closed_at": [closed_at.isoformat() if closed_at else None, None]},
    )
    return area


# --- map shapes ------------------------------------------------------------------------------


@transaction.atomic
def area_geometry_set(*, actor: Actor, area: Area, geometry: Mapping[str, Any] | None) -> Area:
    """A grid's or compound's outline, a building's point (GeoJSON); None clears it."""
    area = _locked(area)
    access.require(actor, Perm.AREA_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    shape = _geometry(errors, area.kind, geometry)
    raise_errors(errors)
    if shape != area.geometry:
        had = area.geometry is not None
        area.geometry = shape
        area.save(update_fields=["geometry", "updated_at"])
        _history(
            actor=actor,
            area=area,
            action="area.geometry",
            changes={"geometry": [had, shape is not None]},
        )
    return area


@dataclass(frozen=True)
class GeometryImport:
    updated: list[Area]


FEATURE_KEYS = ("code", "编码", "name", "名称")


def _feature_key(feature: Mapping[str, Any]) -> tuple[str, str]:
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        return "", ""
    for key in FEATURE_KEYS:
        value = properties.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return ("code" if key in ("code", "编码") else "name"), str(value).strip()
    return "", ""


@transaction.atomic
def area_geometry_import(
    *, actor: Actor, area: Area, data: bytes | Mapping[str, Any]
) -> GeometryImport:
    """Shapes for the nodes in `area`'s subtree from a GeoJSON FeatureCollection whose
    features name their node by a property `code` (or `编码`), else `name` (`名称`).
    All or nothing: every problem is listed by feature number."""
    access.require(actor, Perm.AREA_MANAGE, area.path)
    if isinstance(data, bytes):
        if len(data) > geo.MAX_BYTES:
            raise ValidationError({"file": [_("The file is larger than 5 MiB.")]})
        try:
            data = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ValidationError({"file": [_("The file is not valid JSON (UTF-8).")]}) from None
    features = geo.collection_features(data)
    nodes = list(
        Area.objects.within(area.path).filter(kind__in=list(geo.SHAPES)).select_for_update()
    )
    by_code = {n.code: n for n in nodes}
    by_name: dict[str, list[Area]] = {}
    for candidate in nodes:
        by_name.setdefault(candidate.name, []).append(candidate)
    problems: list[str] = []
    chosen: dict[int, tuple[Area, dict[str, Any] | None]] = {}
    for number, feature in enumerate(features, start=1):
        key, value = _feature_key(feature)
        node: Area | None = None
        if not key:
            problems.append(
                _("Feature %(n)d: it has no property code or name naming its area.") % {"n": number}
            )
            continue
        if key == "code":
            node = by_code.get(value.upper())
        else:
            named = by_name.get(value, [])
            if len(named) > 1:
                problems.append(
                    _("Feature %(n)d: %(count)d areas here are called %(name)s; name it by code.")
                    % {"n": number, "count": len(named), "name": value}
                )
                continue
            node = named[0] if named else None
        if node is None:
            problems.append(
                _("Feature %(n)d: no grid, compound or building %(key)s in this area.")
                % {"n": number, "key": value}
            )
            continue
        if node.pk in chosen:
            problems.append(
                _("Feature %(n)d: %(name)s has a shape in the file already.")
                % {"n": number, "name": node.name}
            )
            continue
        try:
            chosen[node.pk] = (node, geo.clean_geometry(node.kind, feature.get("geometry")))
        except ValidationError as exc:
            problems.extend(
                _("Feature %(n)d (%(name)s): %(problem)s")
                % {"n": number, "name": node.name, "problem": message}
                for message in exc.messages
            )
    if problems:
        raise ValidationError({"file": problems})
    updated = []
    for node, shape in chosen.values():
        if shape != node.geometry:
            node.geometry = shape
            node.save(update_fields=["geometry", "updated_at"])
            AreaChange.objects.create(
                at=clock.now(),
                actor=actor,
                area=node,
                action="area.geometry",
                changes={"geometry": ["file", shape is not None]},
            )
            updated.append(node)
    audit_record(
        actor=actor,
        action="area.geometry_import",
        obj=area,
        area_path=area.path,
        fields=["geometry"],
        purpose=f"map shapes from a GeoJSON file: {len(updated)} areas changed",
    )
    return GeometryImport(updated=updated)
