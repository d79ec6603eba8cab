"""A community's structure from a spreadsheet: one row per building, naming its compound
(小区), the building (楼栋) and its grid (网格, or a path of up to three levels
`第一网格/第一小组`), optionally its units (单元数), floors (层数) and dwellings per floor
(每层户数). What is missing is created through `registry.areas` (checked and audited like
any other add); what exists is left alone, so running a file twice changes nothing.

All or nothing: every row is checked first, and any problem (row number, the file's own
column header, the rule) stops the whole file. A dry run does the same writes in a
transaction it then rolls back, so it reports exactly what a commit would do.
The `gongzhi areas import` command and the area pages both call `structure_import`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import tabular
from gongzhi.registry import areas
from gongzhi.registry.models import Area, AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 5000
GRID_SEPARATORS = re.compile(r"\s*[/／>›、\\]\s*")
# The headers people write for each column (compared without spaces, case-insensitive).
HEADERS: dict[str, tuple[str, ...]] = {
    "compound": ("小区", "小区名称", "所属小区", "compound"),
    "building": ("楼栋", "楼栋名称", "楼号", "楼栋号", "building"),
    "grid": ("网格", "所属网格", "网格名称", "grid"),
    "units": ("单元数", "单元", "units"),
    "floors": ("层数", "楼层数", "楼层", "floors"),
    "rooms_per_floor": ("每层户数", "每层每单元户数", "rooms_per_floor", "rooms"),
}
REQUIRED = ("compound", "building", "grid")


class StructureImportError(ValidationError):
    """The file's problems, each `RowProblem`; nothing was written."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__({"file": [str(p) for p in problems]})
        self.problems = problems


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it; 0: the file as a whole
    column: str  # the file's own header
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return _("Row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class StructureImport:
    committed: bool
    rows: int = 0
    grids: list[str] = field(default_factory=list)  # "第一网格/第一小组"
    compounds: list[str] = field(default_factory=list)
    buildings: list[str] = field(default_factory=list)  # "玉岭花园 3栋 (第一网格)"
    updated: list[str] = field(default_factory=list)  # buildings given units/floors/rooms

    @property
    def changes(self) -> int:
        return len(self.grids) + len(self.compounds) + len(self.buildings) + len(self.updated)


@dataclass
class _Row:
    number: int
    headers: dict[str, str]  # the file's own header of each column read
    compound: str
    building: str
    grid: tuple[str, ...]
    dimensions: dict[str, int]


def _norm(header: str) -> str:
    return re.sub(r"\s+", "", header or "").lower()


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowProblem]]:
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        for key, names in HEADERS.items():
            if key not in found and _norm(text) in {_norm(n) for n in names}:
                found[key] = index
    missing = [HEADERS[k][0] for k in REQUIRED if k not in found]
    problems = []
    if missing:
        problems.append(
            RowProblem(
                0,
                "",
                _("The file has no column %(columns)s (the header row names 小区, 楼栋 and 网格).")
                % {"columns": "、".join(missing)},
            )
        )
    return found, problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _read_rows(source: Any, filename: str) -> tuple[list[_Row], list[RowProblem]]:
    rows: list[_Row] = []
    problems: list[RowProblem] = []
    with tabular.read_table(source, filename=filename, max_bytes=MAX_BYTES) as table:
        columns, problems = _columns(table.header)
        if problems:
            return rows, problems
        header = table.header
        for number, values in table.rows():
            if len(rows) >= MAX_ROWS:
                problems.append(
                    RowProblem(number, "", _("At most %(max)d rows a file.") % {"max": MAX_ROWS})
                )
                break
            cells = {key: _text(values[index]) for key, index in columns.items()}
            row_problems: list[RowProblem] = []

            def problem(
                key: str, message: str, number: int = number, into: list = row_problems
            ) -> None:
                into.append(RowProblem(number, header[columns[key]], message))

            for key in REQUIRED:
                if not cells[key]:
                    problem(key, _("This column is required."))
                elif len(cells[key]) > (200 if key == "grid" else areas.NAME_MAX):
                    problem(
                        key,
                        _("At most %(max)d characters.")
                        % {"max": 200 if key == "grid" else areas.NAME_MAX},
                    )
            grid = tuple(p for p in GRID_SEPARATORS.split(cells["grid"]) if p)
            if cells["grid"] and not 1 <= len(grid) <= areas.MAX_GRID_LEVEL:
                problem(
                    "grid", _("A grid path has one to three levels, such as 第一网格/第一小组.")
                )
            elif any(len(part) > areas.NAME_MAX for part in grid):
                problem("grid", _("At most %(max)d characters.") % {"max": areas.NAME_MAX})
            dimensions: dict[str, int] = {}
            for key, (low, high) in areas.DIMENSIONS.items():
                if key not in columns or not cells[key]:
                    continue
                text = cells[key].removesuffix("层").removesuffix("个").removesuffix("户")
                if not text.isdigit() or not low <= int(text) <= high:
                    problem(
                        key,
                        _("Enter a whole number from %(low)d to %(high)d.")
                        % {"low": low, "high": high},
                    )
                else:
                    dimensions[key] = int(text)
            if row_problems:
                problems.extend(row_problems)
                continue
            names = {key: header[index] for key, index in columns.items()}
            rows.append(_Row(number, names, cells["compound"], cells["building"], grid, dimensions))
    if not rows and not problems:
        problems.append(RowProblem(0, "", _("The file has no rows below its header.")))
    return rows, problems


class _Tree:
    """The community's grids, compounds and buildings by name, and the next free codes."""

    def __init__(self, community: Area):
        self.community = community
        nodes = list(Area.objects.within(community.path).select_related("compound"))
        self.by_id = {n.pk: n for n in nodes}
        self.grids: dict[tuple[str, ...], Area] = {}
        for node in nodes:
            if node.kind == AreaKind.GRID:
                self.grids[self._grid_path(node)] = node
        self.compounds = {n.name: n for n in nodes if n.kind == AreaKind.COMPOUND}
        self.buildings = {
            (n.compound.name if n.compound else "", n.name): n
            for n in nodes
            if n.kind == AreaKind.BUILDING
        }

    def _grid_path(self, grid: Area) -> tuple[str, ...]:
        names: list[str] = []
        node: Area | None = grid
        while node is not None and node.kind == AreaKind.GRID:
            names.insert(0, node.name)
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return tuple(names)

    def grid_of(self, building: Area) -> tuple[str, ...]:
        parent = self.by_id.get(building.parent_id) if building.parent_id else None
        return self._grid_path(parent) if parent and parent.kind == AreaKind.GRID else ()


def _apply(actor: Actor, community: Area, rows: list[_Row], out: StructureImport) -> None:
    tree = _Tree(community)
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], tuple[tuple[str, ...], int]] = {}
    for row in rows:
        key = (row.compound, row.building)
        if key in seen and seen[key][0] != row.grid:
            problems.append(
                RowProblem(
                    row.number,
                    row.headers["grid"],
                    _("Row %(row)d puts this building in another grid (%(grid)s).")
                    % {"row": seen[key][1], "grid": "/".join(seen[key][0])},
                )
            )
            continue
        seen.setdefault(key, (row.grid, row.number))
        existing = tree.buildings.get(key)
        if existing is not None:
            now_in = tree.grid_of(existing)
            if now_in != row.grid:
                problems.append(
                    RowProblem(
                        row.number,
                        row.headers["grid"],
                        _(
                            "This building is in %(grid)s already; move it on the area "
                            "page if it changed grid."
                        )
                        % {"grid": "/".join(now_in) or community.name},
                    )
                )
        for depth in range(1, len(row.grid) + 1):
            grid = tree.grids.get(row.grid[:depth])
            if grid is not None and grid.is_closed:
                problems.append(
                    RowProblem(
                        row.number,
                        row.headers["grid"],
                        _("The grid %(name)s is closed.") % {"name": grid.name},
                    )
                )
                break
        compound = tree.compounds.get(row.compound)
        if compound is not None and compound.is_closed and existing is None:
            problems.append(
                RowProblem(row.number, row.headers["compound"], _("This compound is closed."))
            )
    if problems:
        raise StructureImportError(problems)

    for row in rows:
        parent: Area = community
        for depth in range(1, len(row.grid) + 1):
            path = row.grid[:depth]
            grid = tree.grids.get(path)
            if grid is None:
                grid = areas.area_create(
                    actor=actor,
                    parent=parent,
                    kind=AreaKind.GRID,
                    name=path[-1],
                    code="",  # the next free number under its parent
                )
                tree.grids[path] = grid
                out.grids.append("/".join(path))
            parent = grid
        compound = tree.compounds.get(row.compound)
        if compound is None:
            compound = areas.area_create(
                actor=actor,
                parent=community,
                kind=AreaKind.COMPOUND,
                name=row.compound,
                code="",
            )
            tree.compounds[row.compound] = compound
            out.compounds.append(row.compound)
        key = (row.compound, row.building)
        building = tree.buildings.get(key)
        if building is None:
            building = areas.area_create(
                actor=actor,
                parent=parent,
                kind=AreaKind.BUILDING,
                name=row.building,
                code="",
                compound=compound,
                units=row.dimensions.get("units"),
                floors=row.dimensions.get("floors"),
                rooms_per_floor=row.dimensions.get("rooms_per_floor"),
            )
            tree.buildings[key] = building
            out.buildings.append(f"{row.compound} {row.building} ({'/'.join(row.grid)})")
            continue
        unknown = {k: v for k, v in row.dimensions.items() if getattr(building, k) is None}
        if unknown:
            areas.area_details_set(
                actor=actor,
                area=building,
                **{k: unknown.get(k, getattr(building, k)) for k in areas.DIMENSIONS},
            )
            out.updated.append(f"{row.compound} {row.building}")


def structure_import(
    *, actor: Actor, community: Area, source: Any, filename: str = "", commit: bool = False
) -> StructureImport:
    """Create the grids, compounds and buildings a spreadsheet names that the community
    lacks. Without `commit`, a dry run: the same checks and writes, rolled back."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError({"community": [_("Choose a community.")]})
    access.require(actor, Perm.AREA_MANAGE, community.path)
    if community.is_closed:
        raise ValidationError({"community": [_("This area is closed: it takes no new areas.")]})
    rows, problems = _read_rows(source, filename)
    if problems:
        raise StructureImportError(problems)
    out = StructureImport(committed=commit, rows=len(rows))
    with transaction.atomic():
        _apply(actor, community, rows, out)
        if out.changes:
            audit_record(
                actor=actor,
                action="area.import",
                obj=community,
                area_path=community.path,
                fields=["grids", "compounds", "buildings"],
                purpose=(
                    f"structure import: {len(out.grids)} grids, {len(out.compounds)} "
                    f"compounds, {len(out.buildings)} buildings created, "
                    f"{len(out.updated)} buildings completed"
                ),
            )
        if not commit:
            transaction.set_rollback(True)
    return out
