"""Which mode a community is in, and what that mode turns on (reads; no permission needed:
the mode of a community is not personal data and every page asks it).

What a mode turns on is data (`ModeProfile.config`), edited per community; a community
without its own version uses `DEFAULT_PROFILES`. Keys of a profile's config:

- `portal_services`: url names shown first on a resident's /m/ home, in order;
- `workbench_links`: url names shown first on the workbench home, in order;
- `sla_factor`: work orders filed in the community take this share of their SLA's minutes
  (1.0 = unchanged; 0.5 = twice as fast);
- `duties`: the daily duties, [{"title": str, "role": Role value, "time": "HH:MM"}];
- `dashboards`: the big screen's panels shown, from `PANELS`, in order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gongzhi.core import scope
from gongzhi.emergency.models import EmergencyKind, Mode, ModeProfile, ModeState
from gongzhi.registry.models import Area, AreaKind

# The big screen's panels (emergency.screen draws them).
PANELS: tuple[str, ...] = (
    "households",
    "elderly_alone",
    "orders",
    "watch",
    "isolation",
    "deliveries",
    "supplies",
    "checkins",
    "outreach",
    "trends",
    "map",
)

DEFAULT_PROFILES: dict[str, dict[str, Any]] = {
    Mode.NORMAL: {
        "portal_services": [],
        "workbench_links": [],
        "sla_factor": 1.0,
        "duties": [],
        "dashboards": ["households", "elderly_alone", "orders", "trends", "map"],
    },
    Mode.EMERGENCY: {
        "portal_services": ["emergency_m:shopping", "health_m:hub", "health_me:status"],
        "workbench_links": [
            "emergency_care:board",
            "emergency_deliveries:index",
            "emergency_supplies:index",
            "health:watchlist",
        ],
        "sla_factor": 0.5,
        "duties": [
            {"title": "晨检：汇总居家隔离人员体温", "role": "doctor", "time": "08:00"},
            {"title": "核对重点人员名单与管控进度", "role": "police", "time": "09:00"},
            {"title": "网格巡查与独居老人电话问候", "role": "grid_worker", "time": "10:00"},
            {"title": "物资盘点与配送安排", "role": "community_staff", "time": "16:00"},
            {"title": "三人小组碰头，向街道报送日报", "role": "secretary", "time": "18:00"},
        ],
        "dashboards": list(PANELS),
    },
}


@dataclass(frozen=True)
class ModeInfo:
    community_path: str
    mode: str  # Mode value
    kind: str  # EmergencyKind value, "" in normal mode
    since: dt.datetime | None

    @property
    def emergency(self) -> bool:
        return self.mode == Mode.EMERGENCY

    @property
    def kind_label(self) -> str:
        return str(EmergencyKind(self.kind).label) if self.kind else ""


def community_path_of(path: str) -> str | None:
    """The path of the community that `path` lies in (None above the community level)."""
    above = scope.ancestors(path, inclusive=True)
    return (
        Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=above)
        .values_list("path", flat=True)
        .first()
    )


def mode_of(path: str) -> ModeInfo:
    """The mode of the community `path` lies in; normal when it never switched (or when
    `path` is above the community level)."""
    community = community_path_of(path)
    if community is None:
        return ModeInfo(community_path="", mode=Mode.NORMAL, kind="", since=None)
    state = ModeState.objects.filter(area_path=community).first()
    if state is None:
        return ModeInfo(community_path=community, mode=Mode.NORMAL, kind="", since=None)
    return ModeInfo(community_path=community, mode=state.mode, kind=state.kind, since=state.since)


def profile_in_force(community_path: str, mode: str) -> dict[str, Any]:
    """The config the community's newest version for `mode` sets, over the defaults."""
    newest = (
        ModeProfile.objects.filter(area_path=community_path, mode=mode)
        .order_by("-version")
        .values_list("config", flat=True)
        .first()
    )
    return {**DEFAULT_PROFILES[mode], **(newest or {})}
