"""Demo data for the mode switch (平疫结合), see gongzhi/demo/extras.py.

Per community: its own emergency profile (version 1, the platform's default with the
pages that exist in this installation, a community-specific duty and a tighter SLA in
Qifu) and a normal profile. Qifu also gets a past episode: switched to emergency for an
epidemic in November 2022 and back to normal in December 2022, with the sunset date that
switch set. Every community is left in NORMAL mode (the browser test switches Qifu).

The 2022 history is written as rows, not through `switching.mode_switch`: the service
would announce it today (an urgent notice and SMS to every staff member) and date it now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse

from gongzhi.accounts.models import Membership, Role
from gongzhi.emergency import modes, switching
from gongzhi.emergency.models import Mode, ModeProfile, ModeState, ModeSwitch
from gongzhi.registry.models import Area

SHANGHAI = ZoneInfo("Asia/Shanghai")
QIFU_BEGAN = dt.datetime(2022, 11, 10, 8, 30, tzinfo=SHANGHAI)
QIFU_ENDED = dt.datetime(2022, 12, 8, 17, 0, tzinfo=SHANGHAI)
EXTRA_DUTY = {
    "qifu": {"title": "启福小区、启福花园出入口值守轮换", "role": "party_member", "time": "07:00"},
    "yuling": {"title": "沿江低洼楼栋水位巡查", "role": "grid_worker", "time": "06:30"},
    "tielu": {"title": "老旧楼栋独居老人上门确认", "role": "building_head", "time": "09:30"},
}
SLA_FACTOR = {"qifu": 0.4}


def _existing(names: list[str]) -> list[str]:
    out = []
    for name in names:
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        out.append(name)
    return out


def _secretary(community: Area) -> Any:
    found = (
        Membership.objects.filter(area=community, role=Role.SECRETARY, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return found.user if found else None


def _profiles(community: Area, slug: str) -> None:
    emergency = dict(modes.DEFAULT_PROFILES[Mode.EMERGENCY])
    emergency["portal_services"] = _existing(emergency["portal_services"])
    emergency["workbench_links"] = _existing(emergency["workbench_links"])
    emergency["duties"] = [
        *emergency["duties"],
        *([EXTRA_DUTY[slug]] if slug in EXTRA_DUTY else []),
    ]
    emergency["sla_factor"] = SLA_FACTOR.get(slug, emergency["sla_factor"])
    switching.profile_save(
        actor=None, area=community, mode=Mode.EMERGENCY, config=emergency,
        reason="依据本社区应急预案配置应急模式",
    )  # fmt: skip
    switching.profile_save(
        actor=None, area=community, mode=Mode.NORMAL,
        config={"dashboards": ["households", "elderly_alone", "orders", "outreach", "map"]},
        reason="常态化大屏增加外呼进度",
    )  # fmt: skip


def _qifu_history(community: Area) -> None:
    by = _secretary(community)
    ModeSwitch.objects.create(
        area=community, area_path=community.path, from_mode=Mode.NORMAL, to_mode=Mode.EMERGENCY,
        kind="epidemic", reason="辖区出现本土聚集性疫情，按街道部署启动应急响应", at=QIFU_BEGAN,
        by=by,
    )  # fmt: skip
    ModeSwitch.objects.create(
        area=community, area_path=community.path, from_mode=Mode.EMERGENCY, to_mode=Mode.NORMAL,
        reason="疫情防控措施优化调整，恢复常态化管理", at=QIFU_ENDED, by=by,
        sunset_on=QIFU_ENDED.date() + dt.timedelta(days=switching.sunset_days()),
    )  # fmt: skip
    ModeState.objects.create(
        area=community, area_path=community.path, mode=Mode.NORMAL, kind="",
        reason="疫情防控措施优化调整，恢复常态化管理", since=QIFU_ENDED, switched_by=by,
    )  # fmt: skip


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    for loaded in communities:
        community, slug = loaded.community, loaded.plan.spec.slug
        _profiles(community, slug)
        if slug == "qifu":
            _qifu_history(community)
    say("Mode profiles per community; Qifu's 2022 epidemic episode in the switch history.")


def unload(*, say: Callable[[str], Any]) -> None:
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    ModeSwitch.objects.within(*paths).delete()
    ModeState.objects.within(*paths).delete()
    ModeProfile.objects.within(*paths).delete()
    say("Removed the demo's mode profiles and switch history.")
