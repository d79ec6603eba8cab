"""Routing a "not in the register" row to the grid of its stated address.

Addresses are written as people write them: `松滋市新江口街道玉岭花园3栋2单元301`,
`玉岭花园 三栋`, `玉岭花园3号楼`. The router knows the compounds and buildings under the
list's area; it finds the longest compound name in the address, then the building number
after it. A building gives its grid (a building's tree parent is its lowest grid); a
compound alone gives the deepest grid holding all its buildings; nothing found leaves the
row at the list's own area, for staff to route by hand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from gongzhi.core import scope
from gongzhi.registry.models import Area, AreaKind

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_BUILDING = re.compile(r"([0-9零〇一二两三四五六七八九十百]+)\s*(?:栋|幢|号楼|号|#|座)")


@dataclass(frozen=True)
class Destination:
    area_path: str  # a building's path, or a grid's
    grid_id: int | None


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def chinese_number(text: str) -> int | None:
    """`12` -> 12, `十二` -> 12, `二十` -> 20, `三` -> 3 (up to 999)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


class AddressRouter:
    """Routes addresses within one area of the tree (the list's area)."""

    def __init__(self, area_path: str):
        buildings = (
            Area.objects.filter(kind=AreaKind.BUILDING)
            .within(area_path)
            .select_related("compound")
            .order_by("path")
        )
        grids = dict(
            Area.objects.filter(kind=AreaKind.GRID).within(area_path).values_list("path", "pk")
        )
        self._grids = grids
        self._by_compound: dict[str, dict[int, Destination]] = {}
        paths_by_compound: dict[str, list[str]] = {}
        for building in buildings:
            compound = _normal(building.compound.name) if building.compound is not None else ""
            if not compound:
                continue
            grid_path = building.path[: -scope.STEP]
            destination = Destination(building.path, grids.get(grid_path))
            match = re.match(r"[0-9]+", _normal(building.name))
            if match:
                self._by_compound.setdefault(compound, {})[int(match.group())] = destination
            else:
                self._by_compound.setdefault(compound, {})
            paths_by_compound.setdefault(compound, []).append(grid_path)
        self._compound_grid = {
            compound: self._common_grid(paths) for compound, paths in paths_by_compound.items()
        }
        # Longest names first: 玉岭花园二期 before 玉岭花园.
        self._names = sorted(self._by_compound, key=len, reverse=True)
        self.route = lru_cache(maxsize=65536)(self._route)

    def _common_grid(self, grid_paths: list[str]) -> Destination | None:
        prefix = grid_paths[0]
        for path in grid_paths[1:]:
            while not path.startswith(prefix):
                prefix = prefix[: -scope.STEP]
        while prefix and prefix not in self._grids:
            prefix = prefix[: -scope.STEP]
        return Destination(prefix, self._grids[prefix]) if prefix else None

    def _route(self, address: str) -> Destination | None:
        text = _normal(address)
        if not text:
            return None
        for name in self._names:
            at = text.find(name)
            if at < 0:
                continue
            rest = text[at + len(name) :]
            match = _BUILDING.match(rest) or _BUILDING.search(rest[:12])
            if match:
                number = chinese_number(match.group(1))
                found = self._by_compound[name].get(number) if number is not None else None
                if found is not None:
                    return found
            return self._compound_grid.get(name)
        return None
