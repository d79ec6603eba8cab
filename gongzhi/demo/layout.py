"""The physical plan of a community, before anything touches the database: how many
households each leaf grid holds, its buildings, their compounds, and which dwellings
(unit, room) are occupied. Pure and seeded: the same seed gives the same plan."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from gongzhi.demo.spec import CommunitySpec, GridNode

MIN_FLOORS = 6


@dataclass
class BuildingPlan:
    leaf: int  # index of its leaf grid in `CommunityPlan.leaves`
    floors: int
    units: int
    rooms: int  # dwellings per floor and unit
    dwellings: list[tuple[str, str]]  # occupied (unit, room), in order
    compound: int = -1  # index into spec.compounds
    number: int = 0  # its number within the compound: `3栋`

    @property
    def capacity(self) -> int:
        return self.floors * self.units * self.rooms


@dataclass
class CommunityPlan:
    spec: CommunitySpec
    leaves: list[GridNode]
    quotas: list[int]  # households per leaf grid
    buildings: list[BuildingPlan]

    @property
    def households(self) -> int:
        return sum(self.quotas)


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` by `weights` into integers that sum to `total` (largest remainder),
    each at least `minimum`."""
    n = len(weights)
    if total < minimum * n:
        raise ValueError("not enough to give every part its minimum")
    spare = total - minimum * n
    wsum = sum(weights)
    exact = [spare * w / wsum for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(n), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def _node_weight(node: GridNode) -> float:
    return node.weight if node.weight is not None else float(len(node.leaves()))


def _leaf_quotas(
    nodes: tuple[GridNode, ...], total: int, rng: random.Random
) -> list[tuple[GridNode, int]]:
    """Households for every leaf under `nodes`, top-down with ±15% jitter per node."""
    weights = [_node_weight(n) * rng.uniform(0.85, 1.15) for n in nodes]
    minimum = [len(n.leaves()) for n in nodes]
    # Give each node its leaves' minimum of one household, split the rest by weight.
    shares = apportion(total - sum(minimum), weights)
    out: list[tuple[GridNode, int]] = []
    for node, share, floor in zip(nodes, shares, minimum, strict=True):
        if node.children:
            out.extend(_leaf_quotas(node.children, share + floor, rng))
        else:
            out.append((node, share + floor))
    return out


def _buildings_for(
    spec: CommunitySpec, leaf: int, quota: int, rng: random.Random
) -> list[BuildingPlan]:
    """Buildings enough for `quota` households at the spec's occupancy; the last one is
    cut down in height so a small grid does not get a tower of empty flats."""
    need = math.ceil(quota / spec.occupancy)
    buildings: list[BuildingPlan] = []
    have = 0
    shapes = list(spec.shapes)
    while have < need or not buildings:
        shape = rng.choices(shapes, weights=[s.weight for s in shapes])[0]
        floors = rng.randint(*shape.floors)
        units = rng.randint(*shape.units)
        rooms = rng.randint(*shape.rooms)
        remaining = need - have
        if floors * units * rooms > remaining:
            floors = max(MIN_FLOORS, min(floors, math.ceil(remaining / (units * rooms))))
        building = BuildingPlan(leaf=leaf, floors=floors, units=units, rooms=rooms, dwellings=[])
        buildings.append(building)
        have += building.capacity
    slots = [
        (b, str(u), f"{f}{r:02d}")
        for b in range(len(buildings))
        for u in range(1, buildings[b].units + 1)
        for f in range(1, buildings[b].floors + 1)
        for r in range(1, buildings[b].rooms + 1)
    ]
    for b, unit, room in sorted(
        rng.sample(slots, quota), key=lambda s: (s[0], int(s[1]), int(s[2]))
    ):
        buildings[b].dwellings.append((unit, room))
    return buildings


def _assign_compounds(spec: CommunitySpec, buildings: list[BuildingPlan], rng: random.Random):
    """Cut the buildings, in grid order, into contiguous runs, one per compound: a compound
    may span several grids and a grid several compounds, as in Yuling."""
    count = min(len(spec.compounds), len(buildings))
    sizes = apportion(len(buildings), [rng.uniform(0.5, 1.5) for _ in range(count)], minimum=1)
    index = 0
    for compound, size in enumerate(sizes):
        for number in range(1, size + 1):
            buildings[index].compound = compound
            buildings[index].number = number
            index += 1


def plan_community(spec: CommunitySpec, *, seed: int, scale: float = 1.0) -> CommunityPlan:
    rng = random.Random(f"gongzhi-demo:{seed}:{spec.slug}:layout")
    leaves = [leaf for grid in spec.grids for leaf in grid.leaves()]
    total = max(len(leaves), round(spec.households * scale))
    pairs = _leaf_quotas(spec.grids, total, rng)
    quotas = [q for _, q in pairs]
    buildings: list[BuildingPlan] = []
    for leaf, quota in enumerate(quotas):
        buildings.extend(_buildings_for(spec, leaf, quota, rng))
    _assign_compounds(spec, buildings, rng)
    return CommunityPlan(spec=spec, leaves=leaves, quotas=quotas, buildings=buildings)


# --- map shapes ------------------------------------------------------------------------------

METRES_PER_DEGREE = 111_320.0
METRES_PER_HOUSEHOLD = 11.0  # the side of the community's square grows with its root
ASPECT = 1.25  # wider than high: level-1 grids are strips from west to east
BUILDING_MARGIN = 0.12  # of a grid's width and height, kept clear of its edges

Rect = tuple[float, float, float, float]  # west, south, east, north (degrees)


@dataclass
class CommunityShapes:
    """GeoJSON for the plan: the community's outline, each grid's (by `id` of its
    `GridNode`), each compound's (around its buildings), each building's point."""

    community: dict
    grids: dict[int, dict]
    compounds: list[dict | None]
    buildings: list[dict]


def _polygon(rect: Rect) -> dict:
    w, s, e, n = (round(v, 6) for v in rect)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _split(rect: Rect, weights: list[float], across: bool) -> list[Rect]:
    """Cut `rect` into adjacent strips by `weights`: west to east (`across`), else north
    to south, so neighbouring grids share their edges."""
    w, s, e, n = rect
    total = sum(weights) or 1.0
    out: list[Rect] = []
    at = w if across else n
    for weight in weights:
        if across:
            step = (e - w) * weight / total
            out.append((at, s, at + step, n))
        else:
            step = (n - s) * weight / total
            out.append((w, at - step, e, at))
        at += step if across else -step
    return out


def plan_shapes(plan: CommunityPlan, *, seed: int) -> CommunityShapes:
    """Plausible shapes around the spec's centre: a rectangle sized by the households, cut
    into grid strips (level 1 west to east, level 2 north to south, level 3 west to east)
    weighted by households; buildings set out in rows inside their leaf grid. Pure."""
    rng = random.Random(f"gongzhi-demo:{seed}:{plan.spec.slug}:shapes")
    lon0, lat0 = plan.spec.centre
    side = math.sqrt(max(plan.households, 1)) * METRES_PER_HOUSEHOLD
    half_lat = side / 2 / METRES_PER_DEGREE / ASPECT
    half_lon = side / 2 / METRES_PER_DEGREE * ASPECT / math.cos(math.radians(lat0))
    outline: Rect = (lon0 - half_lon, lat0 - half_lat, lon0 + half_lon, lat0 + half_lat)
    quota = {id(leaf): q for leaf, q in zip(plan.leaves, plan.quotas, strict=True)}

    def weight(node: GridNode) -> float:
        return float(sum(quota[id(leaf)] for leaf in node.leaves()))

    grids: dict[int, dict] = {}
    leaf_rects: dict[int, Rect] = {}

    def cut(nodes: tuple[GridNode, ...], rect: Rect, level: int) -> None:
        for node, part in zip(
            nodes, _split(rect, [weight(n) for n in nodes], across=level % 2 == 1), strict=True
        ):
            grids[id(node)] = _polygon(part)
            if node.children:
                cut(node.children, part, level + 1)
            else:
                leaf_rects[id(node)] = part

    cut(plan.spec.grids, outline, 1)
    by_leaf: dict[int, list[int]] = {}
    for index, building in enumerate(plan.buildings):
        by_leaf.setdefault(building.leaf, []).append(index)
    points: list[dict] = [{}] * len(plan.buildings)
    for leaf, indexes in by_leaf.items():
        w, s, e, n = leaf_rects[id(plan.leaves[leaf])]
        dx, dy = (e - w) * BUILDING_MARGIN, (n - s) * BUILDING_MARGIN
        w, s, e, n = w + dx, s + dy, e - dx, n - dy
        cols = max(1, math.ceil(math.sqrt(len(indexes))))
        rows = math.ceil(len(indexes) / cols)
        for slot, index in enumerate(indexes):
            row, col = divmod(slot, cols)
            jitter = rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15)
            lon = w + (e - w) * (col + 0.5 + jitter[0]) / cols
            lat = n - (n - s) * (row + 0.5 + jitter[1]) / rows
            points[index] = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
    compounds: list[dict | None] = []
    pad = 25 / METRES_PER_DEGREE  # 25 m around a compound's outermost buildings
    for number in range(len(plan.spec.compounds)):
        mine = [
            points[i]["coordinates"] for i, b in enumerate(plan.buildings) if b.compound == number
        ]
        if not mine:
            compounds.append(None)
            continue
        lons, lats = [p[0] for p in mine], [p[1] for p in mine]
        compounds.append(
            _polygon((min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad))
        )
    return CommunityShapes(
        community=_polygon(outline), grids=grids, compounds=compounds, buildings=points
    )
