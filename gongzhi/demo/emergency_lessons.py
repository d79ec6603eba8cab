"""Demo data for the knowledge base (经验库), see gongzhi/demo/extras.py: lessons drawn from
the field study of the three communities (plans too generic, no drills, supply runs over
WeChat groups, elderly living alone missed, one new app per crisis …), written by the
system (`lesson_write` with `actor=None`) in each community; some shared with the street.
No person is named."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.audit.services import audit_record
from gongzhi.emergency import knowledge
from gongzhi.emergency.models import Lesson
from gongzhi.registry.models import Area

# (community slug, source, kind, title, body, tags, days ago, shared)
LESSONS: tuple[tuple[str, str, str, str, str, str, int, bool], ...] = (
    (
        "qifu",
        "incident",
        "epidemic",
        "预案太笼统：封控第一天找不到可用的隔离点",
        "2022年封控首日，预案只写了“启用临时隔离点”，没有写哪一处、谁开门、能住几人。"
        "社区临时联系学校借教室，耽误了半天。改进：预案按楼栋写明隔离点、钥匙保管人和床位数，"
        "每季度核对一次；弹性空间在系统里登记容量和状态。",
        "预案 隔离点 弹性空间",
        420,
        True,
    ),
    (
        "qifu",
        "incident",
        "epidemic",
        "微信群接龙买菜：漏单、重复、对不上账",
        "封控期间居民在微信群里发购物清单，志愿者手工汇总，一栋楼一百多条消息，"
        "漏单和重复购买很多，老人不会接龙只能打电话。改进：清单统一在居民端填写，"
        "按楼栋和品类自动合并，子女可以代父母下单，送达后由居民确认收货。",
        "物资 微信群 团购 代下单",
        400,
        True,
    ),
    (
        "qifu",
        "incident",
        "epidemic",
        "独居老人漏访：三天后才发现缺药",
        "居家隔离期间一位独居老人的降压药吃完，没有人知道，三天后网格员电话问候才发现。"
        "改进：封控开始当天按登记的独居、慢病标签生成每日问候名单，电话不通的当天上门；"
        "药品需求列入代购清单优先配送。",
        "独居老人 慢病 药品 居家隔离",
        395,
        True,
    ),
    (
        "qifu",
        "incident",
        "epidemic",
        "三人小组各用各的表，数据对不上",
        "社区书记、民警、医生三人小组分别用自己的表格记录筛查、转运和居家隔离人员，"
        "每天晚上对表一小时。改进：同一张看板，每个步骤写明负责人和时限，逾期自动提醒。",
        "三人小组 看板 居家隔离",
        380,
        False,
    ),
    (
        "qifu",
        "case",
        "epidemic",
        "外呼机器人：先短信，后电话，再上门",
        "入郑人员报到靠智能外呼和短信提醒，未应答的人员转网格员上门核实。"
        "经验：外呼要避开休息时间，三次未应答就转线下，不要一直重拨。",
        "外呼 报到 上门核实",
        360,
        True,
    ),
    (
        "qifu",
        "incident",
        "fire",
        "楼道堆物堵住疏散通道",
        "3号楼一次电动车充电起火，楼道里堆放的纸箱和旧家具让疏散变慢。"
        "改进：每月网格巡查楼道，堆物拍照建工单限期清理；电动车集中充电点纳入应急预案。",
        "消防 楼道 电动车 疏散",
        200,
        False,
    ),
    (
        "yuling",
        "incident",
        "epidemic",
        "下沉党员包干到户，名单要当天更新",
        "“一社一户一册”数据库让下沉党员包干到户，但搬入搬出没有及时更新，"
        "有党员按旧名单上门。改进：户册变动当天同步到包干名单，党员手机上看到的是最新名单。",
        "下沉党员 户册 包干",
        410,
        True,
    ),
    (
        "yuling",
        "incident",
        "epidemic",
        "返城人员登记：二维码有效，但核实跟不上",
        "返城人员扫码登记很快，但后台核实靠人工比对，高峰期积压上百条。"
        "改进：登记后自动与户册匹配，匹配不上的才进入人工核实队列，分给所在网格。",
        "返城人员 登记 核实 二维码",
        405,
        False,
    ),
    (
        "yuling",
        "case",
        "epidemic",
        "能量广场积分激励志愿者",
        "居民在小程序参加防疫志愿活动、上传照片视频，网格员审核后赋分，可到能量仓兑换奖品。"
        "经验：审核要及时，积分规则要公开，否则志愿者积极性下降。",
        "志愿者 积分 能量广场",
        300,
        True,
    ),
    (
        "yuling",
        "incident",
        "flood",
        "暴雨内涝：低洼楼栋老人转移慢",
        "一场暴雨后地下车库进水，低洼楼栋的老人转移靠物业逐户敲门。"
        "改进：预案写明低洼楼栋和行动不便老人名单（只在系统内查看），转移路线和集合点提前演练。",
        "内涝 转移 老人 集合点",
        150,
        False,
    ),
    (
        "tielu",
        "incident",
        "epidemic",
        "每次危机换一个系统，居民不会用",
        "疫情期间先后用了三个不同的登记小程序，居民和网格员都要重新学习，老人干脆不用。"
        "改进：平时和应急用同一个平台，应急时只是切换模式，入口不变。",
        "平台 小程序 平急结合",
        390,
        True,
    ),
    (
        "tielu",
        "incident",
        "epidemic",
        "没有演练：物资仓库钥匙找不到人",
        "封控当晚需要开物资仓库，负责人在外地，备用钥匙不知道在谁手里。"
        "社区此前从未演练过。改进：每年至少一次封控演练，检查钥匙、名单、物资和联系电话。",
        "演练 物资 仓库",
        385,
        True,
    ),
    (
        "tielu",
        "case",
        "earthquake",
        "地震避险演练：老人和孩子先走",
        "参考兄弟社区的地震演练：先广播，后按楼层疏散，老人和孩子由楼栋长带领先走，"
        "集合后按名单清点。经验：清点名单要提前打印，集合点要有明显标识。",
        "地震 演练 集合点 清点",
        100,
        False,
    ),
)


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    from gongzhi.core import clock

    started = time.perf_counter()
    today = clock.today()
    by_slug = {loaded.plan.spec.slug: loaded for loaded in communities}
    for slug, loaded in by_slug.items():
        community = loaded.community
        rows = [row for row in LESSONS if row[0] == slug]
        for _slug, source, kind, title, body, tags, days, shared in rows:
            knowledge.lesson_write(
                actor=None, area=community, source=source, kind=kind, title=title, body=body,
                tags=tags, occurred_on=today - dt.timedelta(days=days), shared=shared,
            )  # fmt: skip
        audit_record(
            actor=None,
            action="demo.emergency_lessons",
            obj=community,
            area_path=community.path,
            purpose=f"demo data: {len(rows)} lessons",
        )
        say(f"{loaded.plan.spec.name}: {len(rows)} lessons in the knowledge base")
    say(f"Lessons: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    lessons = Lesson.objects.within(*paths) if paths else Lesson.objects.none()
    count, _ = lessons.delete()
    say(f"Removed the demo's lessons ({count}).")
