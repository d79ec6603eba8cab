"""Demo data for drills (演练), see gongzhi/demo/extras.py. Qifu: a fire drill, finished, with
staff and residents of one building as participants, their tasks, check-ins at the assembly
point (timings), results and the lessons written up (in the knowledge base); and an
epidemic-lockdown drill scheduled for next month. Yuling: a flood drill, finished; Tielu:
an earthquake drill, scheduled. Made through the services as the system (`actor=None`)
at past times (`clock.freeze`); check-in times are written in bulk. Every community stays
in normal mode."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.emergency import drills
from gongzhi.emergency.models import Drill, DrillParticipant, Space, SpaceKind
from gongzhi.registry.models import Area, Person

ASSEMBLY = "中心广场应急集合点"
PERSONS = 18  # residents of one building taking part
RESULTS = ("按时到达集合点", "引导到位", "清点准确", "到达偏慢，需加强")


def _assembly_point(community: Area) -> Space:
    space, _ = Space.objects.get_or_create(
        area=community,
        name=ASSEMBLY,
        defaults={
            "area_path": community.path,
            "kind": SpaceKind.ASSEMBLY,
            "capacity": 400,
            "location": "社区服务中心南侧广场",
        },
    )
    return space


def _staff(community: Area) -> list[int]:
    return list(
        access.within_column(
            Membership.objects.filter(is_active=True, user__is_active=True),
            "area__path",
            community.path,
        )
        .exclude(role__in=[Role.RESIDENT, Role.VOLUNTEER])
        .order_by("pk")
        .values_list("user_id", flat=True)
        .distinct()[:6]
    )


def _persons(loaded: Any) -> list[int]:
    building = loaded.buildings[0]
    return list(
        Person.objects.within(building.path)
        .filter(moved_out_on__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:PERSONS]
    )


def _finished(
    loaded: Any, *, kind: str, title: str, days_ago: int, result: str, lessons: str, seed: int
) -> Drill:
    community = loaded.community
    rng = random.Random(f"{seed}:drill:{loaded.plan.spec.slug}:{kind}")
    at = (clock.now() - dt.timedelta(days=days_ago)).replace(hour=9, minute=30, second=0)
    with clock.freeze(at - dt.timedelta(days=14)):
        drill = drills.drill_schedule(
            actor=None, area=community, kind=kind, title=title, scheduled_at=at,
            assembly_point=_assembly_point(community),
        )  # fmt: skip
        staff = _staff(community)
        drills.drill_participants_add(
            actor=None, drill=drill, user_ids=staff[:3], task="现场指挥与清点人数"
        )
        drills.drill_participants_add(
            actor=None, drill=drill, user_ids=staff[3:], task="楼栋引导疏散"
        )
        drills.drill_participants_add(
            actor=None, drill=drill, person_ids=_persons(loaded), task="听到广播后到集合点报到"
        )
    with clock.freeze(at):
        drill = drills.drill_start(actor=None, drill=drill)
    rows = list(drill.participants.order_by("pk"))
    for index, row in enumerate(rows):
        if index % 8 != 5:  # one in eight never arrived
            row.checked_in_at = at + dt.timedelta(seconds=rng.randint(90, 540))
            row.result = rng.choice(RESULTS) if rng.random() < 0.5 else ""
            if row.user_id:
                row.task_done_at = row.checked_in_at + dt.timedelta(minutes=5)
    DrillParticipant.objects.bulk_update(rows, ["checked_in_at", "result", "task_done_at"])
    with clock.freeze(at + dt.timedelta(minutes=25)):
        return drills.drill_finish(actor=None, drill=drill, result=result, lessons_text=lessons)


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    for loaded in communities:
        slug, community = loaded.plan.spec.slug, loaded.community
        made: list[Drill] = []
        if slug == "qifu":
            made.append(
                _finished(
                    loaded,
                    kind="fire",
                    title="高层住宅火灾疏散演练",
                    days_ago=40,
                    seed=seed,
                    result="广播后9分钟内大部分参演居民到达集合点，2人未到；"
                    "东侧楼梯拥堵，灭火器1具压力不足。",
                    lessons="1. 东侧楼梯堆物需清理，疏散时分两路下楼。\n"
                    "2. 楼栋长要提前掌握行动不便老人的楼层，演练时安排专人协助。\n"
                    "3. 灭火器每月检查压力，纳入网格巡查。\n"
                    "4. 集合点清点名单提前打印，手机签到与纸质名单互为备份。",
                )
            )
            made.append(
                drills.drill_schedule(
                    actor=None,
                    area=community,
                    kind="epidemic",
                    title="封控管理桌面推演与物资配送演练",
                    scheduled_at=(clock.now() + dt.timedelta(days=21)).replace(hour=14, minute=30),
                    assembly_point=_assembly_point(community),
                )
            )
        elif slug == "yuling":
            made.append(
                _finished(
                    loaded,
                    kind="flood",
                    title="暴雨内涝转移演练",
                    days_ago=75,
                    seed=seed,
                    result="低洼楼栋居民转移用时比预计多6分钟，地下车库挡水板安装顺利。",
                    lessons="转移名单要按楼层排序；行动不便老人由下沉党员一对一负责。",
                )
            )
        else:
            made.append(
                drills.drill_schedule(
                    actor=None,
                    area=community,
                    kind="earthquake",
                    title="地震应急避险演练",
                    scheduled_at=(clock.now() + dt.timedelta(days=30)).replace(hour=10, minute=0),
                    assembly_point=_assembly_point(community),
                )
            )
        audit_record(
            actor=None,
            action="demo.emergency_drills",
            obj=community,
            area_path=community.path,
            purpose=f"demo data: {len(made)} drills",
        )
        say(f"{loaded.plan.spec.name}: {len(made)} drills")
    say(f"Drills: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    found = Drill.objects.within(*paths) if paths else Drill.objects.none()
    count = found.count()
    found.delete()
    (Space.objects.within(*paths) if paths else Space.objects.none()).filter(
        name=ASSEMBLY, drills__isnull=True
    ).delete()
    say(f"Removed the demo's drills ({count}).")
