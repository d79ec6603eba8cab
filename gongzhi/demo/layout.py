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
