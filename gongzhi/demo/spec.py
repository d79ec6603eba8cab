"""The three study communities as data (`shared/product/communities.md`).

Figures the study gives are fixed here (compounds, households, grids, party groups); the
rest are defaults chosen to look like the place: building heights, how the grids nest,
where residents were born. Grid counts never scale; households do (`--scale`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CN_DIGITS = "〇一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as grid names write them (`第十二网格`)."""
    if n <= 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Division:
    kind: str  # province, city, district or street
    name: str
    code: str


@dataclass(frozen=True)
class GridNode:
    name: str
    children: tuple[GridNode, ...] = ()
    # Share of the community's households relative to siblings; None: by number of leaves.
    weight: float | None = None

    def leaves(self) -> list[GridNode]:
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True)
class BuildingShape:
    """A kind of building: ranges of floors, units (单元) and dwellings per floor."""

    floors: tuple[int, int]
    units: tuple[int, int]
    rooms: tuple[int, int]
    weight: float


@dataclass(frozen=True)
class CommunitySpec:
    slug: str  # user names start with it: `yuling-secretary`
    name: str
    code: str
    divisions: tuple[Division, ...]  # province, city, district, street
    households: int
    grids: tuple[GridNode, ...]  # level-1 grids with their sub-grids
    compounds: tuple[str, ...]
    building_suffix: str  # `栋` in Hubei and Anhui, `号楼` in Zhengzhou
    shapes: tuple[BuildingShape, ...]
    # Where residents' ID numbers were first issued: (division code, weight).
    birthplaces: tuple[tuple[str, float], ...]
    ethnicities: tuple[tuple[str, float], ...]
    away_rate: float  # adults of working age registered here but living elsewhere
    occupancy: float = 0.9  # share of dwellings holding a registered household
    # Which grid level the demo's grid leader and grid worker are responsible for.
    leader_level: int = 1
    worker_level: int = 1
    # Where the community lies (WGS 84 longitude, latitude): the demo's map shapes.
    centre: tuple[float, float] = (116.397, 39.909)
    notes: tuple[str, ...] = field(default=())

    @property
    def street(self) -> Division:
        return self.divisions[-1]

    def leaf_count(self) -> int:
        return sum(len(g.leaves()) for g in self.grids)


def _spread(total: int, parts: int) -> list[int]:
    """`total` items over `parts` as evenly as possible, larger parts first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _yuling_grids() -> tuple[GridNode, ...]:
    # 9 responsibility grids (责任网格); 86 party groups (党小组) numbered across the community.
    grids, number = [], 0
    for i, size in enumerate(_spread(86, 9), start=1):
        groups = []
        for _ in range(size):
            number += 1
            groups.append(GridNode(f"第{number}党小组"))
        grids.append(GridNode(f"第{cn_number(i)}网格", tuple(groups)))
    return tuple(grids)


def _qifu_grids() -> tuple[GridNode, ...]:
    # "300+N": in Zhengzhou's three-level grids the community itself is the first level, so
    # one level-1 grid covers it; 22 second-level grids, one per grid leader; 172 third-level.
    seconds = []
    for i, size in enumerate(_spread(172, 22), start=1):
        thirds = tuple(GridNode(f"第{i}-{j}网格") for j in range(1, size + 1))
        seconds.append(GridNode(f"第{i}网格", thirds))
    return (GridNode("启福一级网格", tuple(seconds)),)


def _tielu_grids() -> tuple[GridNode, ...]:
    # 7 resident grids of ~500 households each (equal weights), 15 grid party branches.
    grids, number = [], 0
    for i, size in enumerate(_spread(15, 7), start=1):
        branches = []
        for _ in range(size):
            number += 1
            branches.append(GridNode(f"第{cn_number(number)}网格党支部"))
        grids.append(GridNode(f"第{cn_number(i)}居民网格", tuple(branches), weight=1.0))
    return tuple(grids)


YULING = CommunitySpec(
    slug="yuling",
    name="玉岭社区",
    code="421087001003",
    divisions=(
        Division("province", "湖北省", "420000"),
        Division("city", "荆州市", "421000"),
        Division("district", "松滋市", "421087"),
        Division("street", "新江口街道", "421087001"),
    ),
    households=4992,
    grids=_yuling_grids(),
    compounds=(
        "玉岭花园",
        "玉岭小区",
        "玉岭新村",
        "乐乡花园",
        "乐乡家园",
        "金松苑",
        "松滋大道小区",
        "白云苑",
        "滨江花园",
        "凤凰城",
        "锦绣家园",
        "城东小区",
        "桂花苑",
        "紫荆苑",
        "银杏苑",
        "翠竹园",
        "和谐家园",
        "幸福里",
        "阳光小区",
        "书香苑",
        "文汇苑",
        "民主小区",
        "丝绸厂宿舍",
        "化肥厂宿舍",
        "供电局宿舍",
        "粮食局宿舍",
        "人民医院宿舍",
        "一中教师公寓",
        "林业局宿舍",
        "农机厂宿舍",
        "新江口商住楼",
        "东湖雅苑",
        "南湖小区",
        "江南名居",
        "金色家园",
        "康居苑",
        "丽景苑",
    ),
    building_suffix="栋",
    # A small city's stock: mostly 6–7 floor walk-ups, some newer mid- and high-rises.
    shapes=(
        BuildingShape((6, 7), (2, 3), (2, 2), 0.7),
        BuildingShape((9, 12), (2, 2), (2, 2), 0.2),
        BuildingShape((15, 18), (2, 2), (2, 2), 0.1),
    ),
    birthplaces=(
        ("421087", 70),
        ("421002", 5),
        ("421003", 5),
        ("421022", 4),
        ("421024", 2),
        ("421081", 3),
        ("421083", 3),
        ("420106", 2),
        ("420502", 2),
        ("430702", 2),
        ("500101", 2),
    ),
    ethnicities=(("01", 97.0), ("15", 2.0), ("03", 0.5), ("06", 0.5)),
    away_rate=0.10,  # many young people work in Wuhan or on the coast
    leader_level=1,
    worker_level=1,
    centre=(111.768, 30.174),
    notes=(
        "9 responsibility grids, 86 party groups under them (study); buildings hang under "
        "the party groups, which is where the 8-household matching of sinking party "
        "members happens.",
    ),
)

QIFU = CommunitySpec(
    slug="qifu",
    name="启福社区",
    code="410102005012",
    divisions=(
        Division("province", "河南省", "410000"),
        Division("city", "郑州市", "410100"),
        Division("district", "中原区", "410102"),
        Division("street", "林山寨街道", "410102005"),
    ),
    households=172 * 50,  # about 50 households per third-level grid (chosen)
    grids=_qifu_grids(),
    compounds=(
        "启福小区",
        "启福花园",
        "桐柏小区",
        "建设路小区",
        "棉纺路小区",
        "国棉三厂家属院",
        "国棉四厂家属院",
        "国棉五厂家属院",
        "电缆厂家属院",
        "制药厂家属院",
        "秦岭小区",
        "伏牛路小区",
        "华山路小区",
        "淮河路小区",
        "汝河小区",
        "颍河小区",
        "工人新村",
        "碧沙岗小区",
        "绿城小区",
        "嵩山路小区",
        "协和家园",
        "锦艺城",
    ),
    building_suffix="号楼",
    # Mill-family courtyards (家属院) of 6–7 floors and newer high-rises.
    shapes=(
        BuildingShape((6, 7), (2, 3), (2, 2), 0.55),
        BuildingShape((11, 18), (2, 3), (2, 3), 0.3),
        BuildingShape((18, 18), (2, 4), (2, 4), 0.15),
    ),
    birthplaces=(
        ("410102", 60),
        ("410103", 6),
        ("410105", 6),
        ("410104", 3),
        ("410122", 3),
        ("410181", 2),
        ("410182", 2),
        ("410184", 2),
        ("410202", 3),
        ("410302", 2),
        ("410402", 2),
        ("410502", 2),
        ("411102", 2),
        ("411302", 2),
        ("411502", 2),
        ("411702", 1),
    ),
    ethnicities=(("01", 98.5), ("03", 1.5)),
    away_rate=0.05,
    leader_level=2,  # 22 grid leaders, one per second-level grid
    worker_level=3,
    centre=(113.612, 34.748),
    notes=(
        "One level-1 grid (the community, as in Zhengzhou's three-level grids), 22 "
        "second-level grids, one per grid leader, 172 third-level grids of ~50 households.",
    ),
)

TIELU = CommunitySpec(
    slug="tielu",
    name="铁路一村社区",
    code="340102003005",
    divisions=(
        Division("province", "安徽省", "340000"),
        Division("city", "合肥市", "340100"),
        Division("district", "瑶海区", "340102"),
        Division("street", "明光路街道", "340102003"),
    ),
    households=7 * 500,
    grids=_tielu_grids(),
    compounds=(
        "铁路一村东区",
        "铁路一村西区",
        "铁路一村南区",
        "铁路一村北区",
        "机务段宿舍",
        "车辆段宿舍",
        "工务段宿舍",
        "电务段宿舍",
        "站前小区",
        "明光苑",
        "铁路新苑",
        "和平小区",
    ),
    building_suffix="栋",
    # Railway workers' housing: old walk-ups, a few later 11–12 floor blocks.
    shapes=(
        BuildingShape((6, 7), (2, 4), (2, 3), 0.8),
        BuildingShape((11, 12), (2, 2), (2, 2), 0.2),
    ),
    birthplaces=(
        ("340102", 62),
        ("340103", 5),
        ("340104", 5),
        ("340111", 5),
        ("340121", 3),
        ("340122", 3),
        ("340123", 3),
        ("340124", 2),
        ("341502", 2),
        ("340402", 2),
        ("340302", 2),
        ("341202", 2),
        ("341302", 2),
        ("340822", 1),
        ("320102", 1),
    ),
    ethnicities=(("01", 99.0), ("03", 1.0)),
    away_rate=0.06,
    leader_level=1,
    worker_level=1,
    centre=(117.318, 31.869),
    notes=(
        "7 resident grids of ~500 households (study), 15 grid party branches as "
        "second-level grids spread over them (study), 12 compounds (chosen).",
    ),
)

COMMUNITIES: tuple[CommunitySpec, ...] = (YULING, QIFU, TIELU)
