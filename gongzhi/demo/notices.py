"""Demo data for notices (通知公告), see gongzhi/demo/extras.py: in each community a pinned
community notice, a 停水通知 for one building, a policy notice for a grid, an urgent
notice for the community (its SMS reminders go to elders who have not read it once its
two hours have passed: the worker sends them through the local gateway, into the SMS
outbox), and an expired one in the archive; some residents have read them.

Published by the system (`notice_publish(actor=None)`), receipts written in bulk, with one
`demo.notices` audit entry per community.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.notices.models import Notice, NoticeReceipt
from gongzhi.notices.selectors import audience_persons
from gongzhi.notices.services import notice_publish
from gongzhi.registry.models import Area, AreaKind

READ_SHARE = {"news": 0.6, "policy": 0.35, "urgent": 0.5}


def _notices(community: Area, grid: Area | None, building: Area | None) -> list[dict[str, Any]]:
    now = clock.now()
    out: list[dict[str, Any]] = [
        {
            "title": f"{community.name}居民公约（修订版）",
            "body": "各位居民：\n经居民代表会议讨论，《居民公约》已修订，"
            "请大家共同遵守。\n主要变化：垃圾分类定时投放；电动车禁止入户充电。",
            "kind": "news",
            "targets": [community],
            "pinned": True,
            "published_at": now - dt.timedelta(days=5),
        },
        {
            "title": "寒潮预警：请老人注意保暖",
            "body": "气象台发布寒潮蓝色预警，今晚起气温骤降8℃以上。\n"
            "请独居老人关好门窗、注意用电安全；需要帮助请联系网格员。",
            "kind": "urgent",
            "targets": [community],
            "published_at": now - dt.timedelta(minutes=30),
            "sms_delay_minutes": 120,
        },
        {
            "title": "国庆假期社区服务安排",
            "body": "国庆期间社区服务站正常开放，时间 9:00–17:00。",
            "kind": "news",
            "targets": [community],
            "published_at": now - dt.timedelta(days=70),
            "expires_at": now - dt.timedelta(days=60),
        },
    ]
    if building is not None:
        out.append(
            {
                "title": f"停水通知：{building.name}",
                "body": f"因供水管道维修，{building.name}明天 8:00–14:00 停水。\n"
                "请提前储水，给您带来不便，敬请谅解。",
                "kind": "news",
                "targets": [building],
                "published_at": now - dt.timedelta(hours=20),
                "expires_at": now + dt.timedelta(days=2),
            }
        )
    if grid is not None:
        out.append(
            {
                "title": "城乡居民医保缴费政策解读",
                "body": "2027年度城乡居民医保个人缴费标准为每人每年400元。\n"
                "可在网格员处或手机上缴费，截止日期为12月31日。",
                "kind": "policy",
                "targets": [grid],
                "published_at": now - dt.timedelta(days=2),
            }
        )
    return out


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:notices:{loaded.plan.spec.slug}")
        inside = Area.objects.within(community.path)
        grid = inside.filter(kind=AreaKind.GRID).order_by("path").first()
        building = inside.filter(kind=AreaKind.BUILDING).order_by("path").first()
        receipts: list[NoticeReceipt] = []
        made = _notices(community, grid, building)
        for data in made:
            notice = notice_publish(actor=None, **data)
            share = READ_SHARE[notice.kind]
            for person_id in audience_persons(notice).values_list("pk", flat=True):
                if rng.random() < share:
                    receipts.append(
                        NoticeReceipt(
                            notice=notice,
                            person_id=person_id,
                            read_at=notice.published_at + dt.timedelta(minutes=rng.randint(1, 20)),
                            by_proxy=rng.random() < 0.1,
                        )
                    )
        NoticeReceipt.objects.bulk_create(receipts, batch_size=1000)
        audit_record(
            actor=None,
            action="demo.notices",
            obj=community,
            area_path=community.path,
            fields=["notices"],
            purpose=f"demo data: {len(made)} notices, {len(receipts)} read receipts",
        )
        say(f"{loaded.plan.spec.name}: {len(made)} notices, {len(receipts):,} read")
    say(f"Notices: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' notices (targets, receipts, reminders with them)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    notices = Notice.objects.within(*paths) if paths else Notice.objects.none()
    count = notices.count()
    notices.delete()
    say(f"Removed the demo's notices ({count}).")
