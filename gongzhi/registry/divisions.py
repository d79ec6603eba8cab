"""The GB/T 2260 list of provinces, cities and districts, shipped as `data/gb2260.json`.

The file holds the divisions in use today (code, current name), made from python-stdnum's
table — the same source `codes.check_code` validates against — by running
`python -m gongzhi.registry.divisions`. Streets and communities are not in GB/T 2260: their
codes are typed and checked by `codes.check_code`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "gb2260.json"

# City-level entries that are groupings, not cities: a district under one of them hangs
# directly under its province (codes.check_code allows that), so a path reads
# 北京市 › 东城区 rather than 北京市 › 市辖区 › 东城区.
_GROUPINGS = {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖县级行政区划"}


@dataclass(frozen=True)
class Division:
    kind: str  # "province", "city" or "district" (AreaKind values)
    code: str
    name: str


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {code: name for code, name in data["divisions"]}


def kind_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "district"


def division_get(code: str) -> Division | None:
    """The division with this 6-digit code, if it is in the list (in use today)."""
    name = _names().get(code)
    return Division(kind_of(code), code, name) if name is not None else None


def is_grouping(division: Division) -> bool:
    return division.kind == "city" and division.name in _GROUPINGS


def divisions_under(code: str | None) -> list[Division]:
    """Provinces (code None), the cities of a province, or the districts of a city or of a
    province (those directly under it or under one of its groupings)."""
    names = _names()
    if code is None:
        return [Division("province", c, n) for c, n in names.items() if c.endswith("0000")]
    if code.endswith("0000"):
        prefix = code[:2]
        items = [
            Division(kind_of(c), c, n)
            for c, n in names.items()
            if c[:2] == prefix and c != code and kind_of(c) == "city"
        ]
        cities = [d for d in items if not is_grouping(d)]
        # Districts whose city is a grouping (or absent) belong to the province itself.
        loose = [
            Division("district", c, n)
            for c, n in names.items()
            if c[:2] == prefix
            and kind_of(c) == "district"
            and (
                c[:4] + "00" not in names
                or is_grouping(Division("city", c[:4] + "00", names[c[:4] + "00"]))
            )
        ]
        return cities + loose
    if code.endswith("00"):
        return [
            Division("district", c, n)
            for c, n in names.items()
            if c[:4] == code[:4] and kind_of(c) == "district"
        ]
    return []


def division_path(district_code: str) -> list[Division]:
    """Province → (city) → district for a district code; [] if it is not a district in use.

    The city level is left out where GB/T 2260 has only a grouping there."""
    district = division_get(district_code)
    if district is None or district.kind != "district":
        return []
    province = division_get(district_code[:2] + "0000")
    if province is None:
        return []
    city = division_get(district_code[:4] + "00")
    path = [province]
    if city is not None and not is_grouping(city):
        path.append(city)
    path.append(district)
    return path


# --- making the data file ------------------------------------------------------------------


def _current_name(county: str) -> str | None:
    """The name in use from stdnum's `[1996-]荆州市`-style history, or None if abolished."""
    for entry in reversed(county.split(",")):
        if not entry.startswith("["):
            return entry
        span, _, name = entry[1:].partition("]")
        if span.endswith("-"):
            return name
    return None


def generate() -> list[tuple[str, str]]:
    from stdnum import numdb

    rows = []
    for _length, low, _high, _props, children in numdb.get("cn/loc").prefixes:
        for _l, suffix, _h, props, _c in children:
            name = _current_name(props.get("county", ""))
            if name:
                rows.append((low + suffix, name))
    return sorted(rows)


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    import stdnum

    rows = generate()
    DATA_FILE.parent.mkdir(exist_ok=True)
    # One division a line: a reviewable diff when the list changes.
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    source = f"GB/T 2260, divisions in use, from python-stdnum {stdnum.__version__}"
    DATA_FILE.write_text(
        f'{{"source": {json.dumps(source)},\n"divisions": [\n{lines}\n]}}\n', encoding="utf-8"
    )
    print(f"{len(rows)} divisions written to {DATA_FILE}")
