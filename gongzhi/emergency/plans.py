"""Emergency plans (应急预案): drafted from the community's real profile, edited by staff,
versioned with who changed what, approved, retired, linked to lessons.

A plan belongs to a community. Its content is a list of sections, each
`{"key", "title", "body", "tables": [{"caption", "columns", "rows"}], "edited"}`: the
body is text staff may edit; the tables are the register's figures (counts only, see
`plan_profile`) and are redrawn on every refresh. A refresh keeps the text of sections
staff edited and redraws the rest. Every write makes a new `PlanVersion` (never changes an
old one) and is audited. The approved version is recorded on the plan
(`approved_number`); later versions wait for their own approval.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import Actor, Viewer
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.validation import raise_errors
from gongzhi.emergency import plan_profile
from gongzhi.emergency.models import (
    Drill,
    EmergencyKind,
    Lesson,
    Plan,
    PlanStatus,
    PlanVersion,
)
from gongzhi.registry.models import Area, AreaKind

TITLE_MAX = 100
NOTE_MAX = 200
SECTION_TITLE_MAX = 60
SECTION_BODY_MAX = 8000
LESSONS_MAX = 50
TOP_BUILDINGS = 5

KIND_NAMES: dict[str, str] = {
    EmergencyKind.EPIDEMIC: "突发公共卫生事件（疫情防控）",
    EmergencyKind.FLOOD: "防汛",
    EmergencyKind.FIRE: "火灾",
    EmergencyKind.EARTHQUAKE: "地震",
    EmergencyKind.TYPHOON: "台风",
    EmergencyKind.OTHER: "突发事件",
}
FIGURE_COLUMNS = {
    "households": "户数",
    "persons": "人数",
    "elderly_alone": "独居老人",
    "aged_65": "65岁以上",
    "disabled": "残疾人",
    "chronic_illness": "慢性病",
    "children": "14岁以下儿童",
    "tenants": "租户",
    "party_members": "党员",
    "volunteers": "志愿者",
}
VULNERABLE = ("elderly_alone", "aged_65", "disabled", "chronic_illness", "children", "tenants")


# --- reads ---------------------------------------------------------------------------------


def plan_list_for(*, user: Viewer) -> QuerySet[Plan]:
    """Plans of the communities the user works in (a grid worker reads their community's
    plans: plans are drawn up for a community, and hold counts only)."""
    return Plan.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True).select_related("area")


def plan_get_for(*, user: Viewer, plan_id: Any) -> Plan:
    """A plan the user may read (emergency.view where it is); NotFound otherwise."""
    return get_by_id(plan_list_for(user=user), plan_id)


def can_write(user: Viewer, plan: Plan) -> bool:
    return access.can(user, Perm.EMERGENCY_PLAN, plan.area_path)


def latest_version(plan: Plan) -> PlanVersion:
    return plan.versions.order_by("-number").select_related("created_by").first()  # type: ignore[return-value]


def version_get(plan: Plan, number: Any) -> PlanVersion:
    try:
        return plan.versions.select_related("created_by").get(number=int(number))
    except (ValueError, TypeError, PlanVersion.DoesNotExist):
        raise NotFound() from None


def community_choices_for(*, user: Viewer) -> QuerySet[Area]:
    """The communities where the user may draft plans."""
    return (
        Area.objects.restrict(user, Perm.EMERGENCY_PLAN, overlapping=False)
        .filter(kind=AreaKind.COMMUNITY, closed_at__isnull=True)
        .order_by("path")
    )


def lessons_visible_to(*, user: Viewer, plan: Plan) -> QuerySet[Lesson]:
    """Lessons the user may link to `plan`: those they may read, and those shared in the
    plan's street."""
    above = scope.ancestors(plan.area_path)
    street = above[-1] if above else ""
    readable = Lesson.objects.restrict(user, Perm.EMERGENCY_VIEW).values("pk")
    shared = Q(shared=True, street_path=street) if street else Q(pk__in=[])
    return Lesson.objects.filter(Q(pk__in=readable) | shared).order_by("-created_at", "-id")


# --- the content ---------------------------------------------------------------------------


def _table(caption: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    return {"caption": caption, "columns": list(columns), "rows": [list(r) for r in rows]}


def _section(key: str, title: str, body: str, tables: list[dict[str, Any]] | None = None):
    return {"key": key, "title": title, "body": body, "tables": tables or [], "edited": False}


def _people(profile: dict[str, Any], role: str) -> list[str]:
    for contact in profile["contacts"]:
        if contact["role"] == role:
            return [p["name"] for p in contact["people"]]
    return []


def _names(names: list[str], empty: str = "（待指定）") -> str:
    return "、".join(names) if names else empty


def _top_buildings(profile: dict[str, Any], figure: str) -> list[tuple[str, str, int]]:
    rows = [
        (g["name"], b["name"], b[figure])
        for g in profile["grids"]
        for b in g["buildings"]
        if b[figure]
    ]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return rows[:TOP_BUILDINGS]


def _top_text(profile: dict[str, Any], figure: str) -> str:
    top = _top_buildings(profile, figure)
    if not top:
        return "无"
    return "、".join(f"{grid}{building}（{n}人）" for grid, building, n in top)


def _spaces_of(profile: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in profile["spaces"] if s["kind"] == kind and s["status"] != "closed"]


def _space_text(profile: dict[str, Any], kind: str, empty: str) -> str:
    spaces = _spaces_of(profile, kind)
    if not spaces:
        return empty
    return "、".join(
        f"{s['name']}（{s['location'] or '位置待补'}，容量{s['capacity']}）" for s in spaces
    )


def _procedures(kind: str, profile: dict[str, Any]) -> str:
    t = profile["totals"]
    grids = [g["name"] for g in profile["grids"] if g["name"]]
    assembly = _space_text(profile, "assembly", "（尚未登记集合点，请在“弹性空间”中登记）")
    isolation = _space_text(profile, "isolation", "（尚未登记隔离房间，请在“弹性空间”中登记）")
    sampling = _space_text(profile, "sampling", "（尚未登记采样点）")
    shelter = _space_text(profile, "shelter", "（尚未登记避难场所）")
    helpers = sum(h["volunteers"] + h["party_members"] for h in profile["helpers"])
    common_head = (
        f"一、接报与响应：任何人员发现险情后立即报告社区值班电话；社区书记接报后 10 分钟内"
        f"启动本预案，在平台将社区切换为应急模式，通知 {len(grids)} 个网格"
        f"（{_names(grids, '—')}）的网格员到岗。\n"
    )
    if kind == EmergencyKind.EPIDEMIC:
        return common_head + (
            f"二、封控与排查：三人小组（书记、社区民警、社区医生）按重点人员名单开展排查、"
            f"采样、转运和居家隔离，每日 08:00 汇总体温与症状。采样点：{sampling}。"
            f"隔离房间：{isolation}。\n"
            f"三、重点人群保障：全社区独居老人 {t['elderly_alone']} 人、65 岁以上老人 "
            f"{t['aged_65']} 人、残疾人 {t['disabled']} 人、慢性病患者 {t['chronic_illness']} 人，"
            f"由网格员每日电话问候一次；独居老人最多的楼栋为：{_top_text(profile, 'elderly_alone')}，"
            f"优先安排上门服务和药品代购。\n"
            f"四、生活物资保供：居民在“/m/”提交代购清单（子女可代父母提交），"
            f"{helpers} 名志愿者和党员按楼栋合并采购、分楼配送，居民确认签收。\n"
            f"五、信息发布：通过社区公告和短信每日发布一次防控信息；租户 {t['tenants']} 人"
            f"由楼栋长逐户告知。\n"
            f"六、解除：接上级通知后切换回常态化模式，疫情期间收集的个人信息按规定期限清除。"
        )
    if kind == EmergencyKind.FIRE:
        return common_head + (
            f"二、疏散：按“先老弱、后青壮”的顺序疏散，集合点：{assembly}。"
            f"独居老人和残疾人由网格员、楼栋长和结对党员逐户敲门确认，"
            f"重点楼栋：独居老人 {_top_text(profile, 'elderly_alone')}；"
            f"残疾人 {_top_text(profile, 'disabled')}。\n"
            f"三、初期扑救：义务消防队（志愿者、党员共 {helpers} 人）使用楼道灭火器、"
            f"消火栓进行初期扑救，同时拨打 119 并派人到小区路口引导消防车。\n"
            f"四、清点人数：各网格在集合点按楼栋清点，对照本预案的楼栋人数表"
            f"（全社区 {t['households']} 户、{t['persons']} 人）逐楼核对，未到人员立即报告。\n"
            f"五、医疗救护：社区医生在集合点设临时救护点，慢性病患者"
            f"（{t['chronic_illness']} 人）优先检查；伤员拨打 120 转运。\n"
            f"六、善后：排查火灾原因，统计损失，做好受灾住户临时安置（{shelter}）。"
        )
    if kind == EmergencyKind.FLOOD:
        return common_head + (
            f"二、预警：收到暴雨、洪水预警后，网格员 1 小时内排查低洼处、地下室和地下车库，"
            f"提醒住户转移车辆和贵重物品。\n"
            f"三、转移：行动不便人员（独居老人 {t['elderly_alone']} 人、残疾人 {t['disabled']} 人）"
            f"由网格员和结对党员提前转移到安置点：{shelter}；集合点：{assembly}。"
            f"重点楼栋：{_top_text(profile, 'elderly_alone')}。\n"
            f"四、抢险：志愿者和党员（{helpers} 人）分组值守，使用沙袋、抽水泵封堵排水，"
            f"严禁人员进入积水区域。\n"
            f"五、保障：安置点按人数准备饮用水、食品、药品，清单见物资一节。\n"
            f"六、恢复：退水后清淤消杀，排查房屋和电路安全后有序返回。"
        )
    if kind == EmergencyKind.EARTHQUAKE:
        return common_head + (
            f"二、避险与疏散：震后组织居民沿楼梯有序撤离，禁止乘坐电梯，集合点：{assembly}。\n"
            f"三、搜救：各网格按楼栋清点人数（全社区 {t['households']} 户、{t['persons']} 人），"
            f"优先确认独居老人 {t['elderly_alone']} 人、残疾人 {t['disabled']} 人、"
            f"14 岁以下儿童 {t['children']} 人；重点楼栋：{_top_text(profile, 'elderly_alone')}。\n"
            f"四、救护：社区医生在集合点设救护点，重伤员拨打 120。\n"
            f"五、安置：受损楼栋住户转移至 {shelter}，志愿者和党员（{helpers} 人）负责发放物资。\n"
            f"六、排查：余震期间组织专业人员对楼栋进行安全排查，确认安全后方可返回。"
        )
    return common_head + (
        f"二、处置：三人小组研判事态，网格员逐户排查，重点关注独居老人 {t['elderly_alone']} 人、"
        f"残疾人 {t['disabled']} 人、慢性病患者 {t['chronic_illness']} 人；"
        f"重点楼栋：{_top_text(profile, 'elderly_alone')}。\n"
        f"三、转移安置：集合点 {assembly}；安置点 {shelter}。\n"
        f"四、保障：志愿者和党员（{helpers} 人）负责物资发放和信息传递。\n"
        f"五、恢复：事态解除后切换回常态化模式，总结经验写入经验库。"
    )


def _drills_table(community: Area, kind: str) -> dict[str, Any]:
    rows = [
        [d.title, d.scheduled_at.date().isoformat(), str(d.get_status_display())]
        for d in Drill.objects.within(community.path)
        .filter(kind=kind)
        .order_by("-scheduled_at")[:10]
    ]
    return _table("已组织的同类演练", ["演练", "日期", "状态"], rows)


def generate_sections(community: Area, kind: str, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections of a plan of `kind`, written from `profile` (counts and staff only), in
    Chinese whatever the page's language."""
    with translation.override(plan_profile.PLAN_LANGUAGE):
        return _sections(community, kind, profile)


def _sections(community: Area, kind: str, profile: dict[str, Any]) -> list[dict[str, Any]]:
    name = community.name
    kind_name = KIND_NAMES.get(kind, KIND_NAMES[EmergencyKind.OTHER])
    t = profile["totals"]
    grids = [g for g in profile["grids"] if g["name"]]
    secretary = _people(profile, "secretary")
    police = _people(profile, "police")
    doctor = _people(profile, "doctor")
    staff = _people(profile, "community_staff")
    columns = [FIGURE_COLUMNS[f] for f in plan_profile.FIGURES]

    sections = [
        _section(
            "overview",
            "总则",
            f"为有效应对{name}辖区内可能发生的{kind_name}事件，最大限度保障居民生命财产安全，"
            f"依据《中华人民共和国突发事件应对法》和上级应急预案，结合本社区实际，制定本预案。\n"
            f"本预案适用于{name}辖区 {len(grids)} 个网格、{profile['building_count']} 栋楼、"
            f"{t['households']} 户、{t['persons']} 名居民（截至 {profile['as_of']} 的社区登记数据）。\n"
            f"工作原则：以人为本、平急结合、属地管理、网格到户，重点人群优先。",
        ),
        _section(
            "organisation",
            "组织机构与职责",
            f"社区成立应急工作领导小组，社区党组织书记{_names(secretary)}任组长，"
            f"社区工作人员{_names(staff)}任成员，负责预案启动、指挥调度和信息报送。\n"
            f"三人小组：社区书记{_names(secretary)}、社区民警{_names(police)}、"
            f"社区医生{_names(doctor)}，负责重点人员排查、转运、隔离和健康监测。\n"
            f"网格责任：各网格网格员负责本网格的人员排查、转移和信息上报，"
            f"网格长负责协调志愿者和党员。",
            [
                _table(
                    "网格责任分工",
                    ["网格", "楼栋数", "户数", "人数", "网格员"],
                    [
                        [
                            g["name"],
                            len(g["buildings"]),
                            g["totals"]["households"],
                            g["totals"]["persons"],
                            _names(_grid_workers(profile, g["name"])),
                        ]
                        for g in grids
                    ],
                )
            ],
        ),
        _section(
            "risk",
            "社区概况与风险评估",
            f"社区共有 {t['households']} 户、{t['persons']} 人，其中 65 岁以上老人 "
            f"{t['aged_65']} 人（占 {_share(t['aged_65'], t['persons'])}），独居老人 "
            f"{t['elderly_alone']} 人，残疾人 {t['disabled']} 人，慢性病患者 "
            f"{t['chronic_illness']} 人，14 岁以下儿童 {t['children']} 人，租户 {t['tenants']} 人。\n"
            f"独居老人最集中的楼栋：{_top_text(profile, 'elderly_alone')}。\n"
            f"65 岁以上老人最集中的楼栋：{_top_text(profile, 'aged_65')}。\n"
            f"租户最多的楼栋：{_top_text(profile, 'tenants')}（人员流动大，信息告知需逐户到位）。",
            [
                _table(
                    "各网格人员统计",
                    ["网格", *columns],
                    [[g["name"], *[g["totals"][f] for f in plan_profile.FIGURES]] for g in grids],
                )
            ],
        ),
        _section(
            "vulnerable",
            "重点人群分布（按楼栋）",
            "下表为各楼栋重点人群人数（仅统计数量，不含个人信息）。名单由网格员在平台中查看，"
            "不随预案印发。应急时按本表逐楼逐户确认。",
            [
                _table(
                    f"{g['name'] or '未划入网格'}：各楼栋重点人群",
                    ["楼栋", *[FIGURE_COLUMNS[f] for f in ("households", "persons", *VULNERABLE)]],
                    [
                        [b["name"], *[b[f] for f in ("households", "persons", *VULNERABLE)]]
                        for b in g["buildings"]
                    ],
                )
                for g in profile["grids"]
                if g["buildings"]
            ],
        ),
        _section(
            "teams",
            "应急队伍",
            f"社区登记党员 {t['party_members']} 人、志愿者 {t['volunteers']} 人；"
            f"平台中在册的志愿者和党员账号按网格编组如下，按技能分工（维修、代购、陪诊、"
            f"环境消杀、调解、照护）。应急时由网格长按技能派单。",
            [
                _table(
                    "各网格志愿者与党员（平台账号）",
                    ["网格", "志愿者", "党员", "技能（人数）"],
                    [
                        [
                            h["grid"] or "社区统筹",
                            h["volunteers"],
                            h["party_members"],
                            "、".join(f"{k}{v}" for k, v in h["skills"].items()) or "—",
                        ]
                        for h in profile["helpers"]
                    ],
                ),
                _table(
                    "各网格登记党员与志愿者（户籍登记标签）",
                    ["网格", "党员", "志愿者"],
                    [
                        [g["name"], g["totals"]["party_members"], g["totals"]["volunteers"]]
                        for g in grids
                    ],
                ),
            ],
        ),
        _section(
            "resources",
            "应急场所与物资",
            (
                f"社区已登记应急场所 {len(profile['spaces'])} 处、物资 {len(profile['supplies'])} 种。"
                if profile["spaces"] or profile["supplies"]
                else "社区尚未在平台登记应急场所和物资，请在“弹性空间”和“物资”中登记后刷新本预案。"
            )
            + "物资低于最低储备时平台提示补充。",
            [
                _table(
                    "应急场所",
                    ["名称", "类型", "位置", "容量", "已用", "状态"],
                    [
                        [
                            s["name"],
                            s["kind_label"],
                            s["location"],
                            s["capacity"],
                            s["occupied"],
                            s["status_label"],
                        ]
                        for s in profile["spaces"]
                    ],
                ),
                _table(
                    "应急物资",
                    ["物资", "类别", "数量", "最低储备", "单位"],
                    [
                        [i["name"], i["category"], i["quantity"], i["minimum"], i["unit"]]
                        for i in profile["supplies"]
                    ],
                ),
            ],
        ),
        _section(
            "contacts",
            "联系人",
            "社区工作人员联系方式由社区值班室统一掌握，不随预案印发。"
            "报警 110，火警 119，急救 120。",
            [
                _table(
                    "应急联系人（社区工作人员）",
                    ["职务", "姓名", "负责区域"],
                    [
                        [c["label"], p["name"], p["area"]]
                        for c in profile["contacts"]
                        for p in c["people"]
                    ],
                )
            ],
        ),
        _section("procedures", f"{kind_name}处置流程", _procedures(kind, profile)),
        _section(
            "drills",
            "演练与经验",
            f"每年至少组织一次{kind_name}演练，演练后在平台记录签到、用时和结果，"
            f"经验教训写入经验库并关联到本预案；预案每年根据社区登记数据刷新一次，"
            f"人员变动较大时随时刷新。",
            [_drills_table(community, kind)],
        ),
    ]
    return sections


def _grid_workers(profile: dict[str, Any], grid_name: str) -> list[str]:
    for contact in profile["contacts"]:
        if contact["role"] == "grid_worker":
            return [p["name"] for p in contact["people"] if p["area"] == grid_name]
    return []


def _share(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "0%"


# --- writes --------------------------------------------------------------------------------


def _community_for_plan(actor: Actor, area: Area | None) -> Area:
    if area is None or area.kind != AreaKind.COMMUNITY:
        raise_errors({"area": [_("Choose a community: a plan is drawn up for a community.")]})
    assert area is not None
    if actor is not None and not access.can(actor, Perm.EMERGENCY_PLAN, area.path):
        raise_errors({"area": [_("No such record in your area.")]})
    return area


def _check_title(title: Any) -> str:
    title = " ".join(str(title or "").split())
    if not title:
        raise_errors({"title": [_("Give the plan a title.")]})
    if len(title) > TITLE_MAX:
        raise_errors({"title": [_("At most %(n)d characters.") % {"n": TITLE_MAX}]})
    return title


def _check_note(note: Any, *, required: bool = True) -> str:
    note = " ".join(str(note or "").split())
    if required and not note:
        raise_errors({"note": [_("Say what changed.")]})
    if len(note) > NOTE_MAX:
        raise_errors({"note": [_("At most %(n)d characters.") % {"n": NOTE_MAX}]})
    return note


def _locked(actor: Actor, plan: Plan) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if actor is not None and not access.can(actor, Perm.EMERGENCY_PLAN, plan.area_path):
        raise Forbidden()
    return plan


def _refuse_retired(plan: Plan) -> None:
    if plan.status == PlanStatus.RETIRED:
        raise_errors({"status": [_("This plan is retired: it cannot be changed.")]})


def _new_version(
    actor: Actor, plan: Plan, content: dict[str, Any], profile: dict[str, Any], note: str
) -> PlanVersion:
    last = plan.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = PlanVersion.objects.create(
        plan=plan,
        number=last + 1,
        content=content,
        profile=profile,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    plan.save(update_fields=["updated_at"])
    return version


@transaction.atomic
def plan_draft(*, actor: Actor, area: Area | None, kind: Any, title: Any) -> Plan:
    """A new plan for a community (emergency.plan there), version 1 drafted from the
    register's figures."""
    community = _community_for_plan(actor, area)
    if kind not in EmergencyKind.values:
        raise_errors({"kind": [_("Choose the kind of emergency.")]})
    title = _check_title(title)
    profile = plan_profile.community_profile(community)
    plan = Plan.objects.create(
        area=community,
        area_path=community.path,
        kind=kind,
        title=title,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    sections = generate_sections(community, kind, profile)
    version = _new_version(actor, plan, {"sections": sections}, profile, "根据社区登记数据生成初稿")
    audit_record(
        actor=actor,
        action="plan.draft",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
        purpose=f"kind {kind}; version {version.number}",
    )
    return plan


def _clean_sections(current: list[dict[str, Any]], sections: Any) -> list[dict[str, Any]]:
    """The edited sections over `current`: only existing keys, titles and bodies checked;
    tables stay the register's."""
    if not isinstance(sections, (list, tuple)):
        raise_errors({"sections": [_("Send the sections as a list.")]})
    by_key = {s["key"]: s for s in current}
    edits: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for raw in sections:
        key = str((raw or {}).get("key", "")) if isinstance(raw, dict) else ""
        if key not in by_key:
            errors.setdefault("sections", []).append(_("No such section in this plan."))
            continue
        title = " ".join(str(raw.get("title", by_key[key]["title"]) or "").split())
        body = str(raw.get("body", by_key[key]["body"]) or "").replace("\r\n", "\n").strip()
        if not title or len(title) > SECTION_TITLE_MAX:
            errors.setdefault(f"title_{key}", []).append(
                _("A section's title: 1 to %(n)d characters.") % {"n": SECTION_TITLE_MAX}
            )
        if len(body) > SECTION_BODY_MAX:
            errors.setdefault(f"body_{key}", []).append(
                _("At most %(n)d characters.") % {"n": SECTION_BODY_MAX}
            )
        edits[key] = {"title": title, "body": body}
    raise_errors(errors)
    result = []
    for section in current:
        new = dict(section)
        edit = edits.get(section["key"])
        if edit and (edit["title"] != section["title"] or edit["body"] != section["body"]):
            new.update(edit, edited=True)
        result.append(new)
    return result


@transaction.atomic
def plan_edit(*, actor: Actor, plan: Plan, sections: Any, note: Any) -> PlanVersion:
    """A new version with staff's text (emergency.plan where the plan is)."""
    plan = _locked(actor, plan)
    _refuse_retired(plan)
    note = _check_note(note)
    last = latest_version(plan)
    current = last.content.get("sections", [])
    edited = _clean_sections(current, sections)
    changed = [s["key"] for s, old in zip(edited, current, strict=True) if s != old]
    if not changed:
        raise_errors({"sections": [_("Nothing changed: edit a section first.")]})
    version = _new_version(actor, plan, {**last.content, "sections": edited}, last.profile, note)
    audit_record(
        actor=actor,
        action="plan.edit",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
        fields=changed,
        purpose=f"version {version.number}",
    )
    return version


@transaction.atomic
def plan_refresh(*, actor: Actor, plan: Plan, note: Any = "") -> PlanVersion:
    """A new version with the register's figures of today; sections staff edited keep
    their text (their tables are redrawn)."""
    plan = _locked(actor, plan)
    _refuse_retired(plan)
    note = _check_note(note, required=False) or "根据最新登记数据刷新"
    last = latest_version(plan)
    community = plan.area
    profile = plan_profile.community_profile(community)
    fresh = generate_sections(community, plan.kind, profile)
    kept = {s["key"]: s for s in last.content.get("sections", []) if s.get("edited")}
    sections = []
    for section in fresh:
        old = kept.get(section["key"])
        if old:
            section.update(title=old["title"], body=old["body"], edited=True)
        sections.append(section)
    version = _new_version(actor, plan, {**last.content, "sections": sections}, profile, note)
    audit_record(
        actor=actor,
        action="plan.refresh",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
        purpose=f"version {version.number}",
    )
    return version


@transaction.atomic
def plan_approve(*, actor: Actor, plan: Plan) -> Plan:
    """The latest version is approved and in force (emergency.plan where the plan is)."""
    plan = _locked(actor, plan)
    _refuse_retired(plan)
    last = latest_version(plan)
    if plan.approved_number == last.number:
        raise_errors({"status": [_("This version is already approved.")]})
    plan.status = PlanStatus.APPROVED
    plan.approved_number = last.number
    plan.approved_at = clock.now()
    plan.approved_by = actor if getattr(actor, "pk", None) else None
    plan.save(
        update_fields=["status", "approved_number", "approved_at", "approved_by", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="plan.approve",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
        purpose=f"version {last.number}",
    )
    return plan


@transaction.atomic
def plan_retire(*, actor: Actor, plan: Plan) -> Plan:
    plan = _locked(actor, plan)
    _refuse_retired(plan)
    plan.status = PlanStatus.RETIRED
    plan.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="plan.retire",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
    )
    return plan


@transaction.atomic
def plan_link_lessons(*, actor: Actor, plan: Plan, lesson_ids: Any) -> list[Lesson]:
    """The plan's linked lessons become `lesson_ids` (each one the actor may read, or shared
    in the plan's street)."""
    plan = _locked(actor, plan)
    _refuse_retired(plan)
    try:
        wanted = sorted({int(i) for i in (lesson_ids or [])})
    except (TypeError, ValueError):
        raise_errors({"lessons": [_("Choose lessons from the list.")]})
        wanted = []
    if len(wanted) > LESSONS_MAX:
        raise_errors({"lessons": [_("At most %(n)d lessons.") % {"n": LESSONS_MAX}]})
    lessons = list(
        lessons_visible_to(user=actor, plan=plan).filter(pk__in=wanted)  # type: ignore[arg-type]
    )
    if len(lessons) != len(wanted):
        raise_errors({"lessons": [_("No such record in your area.")]})
    before = set(plan.lessons.values_list("pk", flat=True))
    plan.lessons.set(lessons)
    plan.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="plan.lessons",
        obj=plan,
        object_label=f"#{plan.pk}",
        area_path=plan.area_path,
        purpose=f"linked {len(set(wanted) - before)}; unlinked {len(before - set(wanted))}",
    )
    return lessons


# --- versions side by side -----------------------------------------------------------------


def _table_text(tables: list[dict[str, Any]]) -> list[str]:
    lines = []
    for table in tables:
        for row in table.get("rows", []):
            lines.append(f"{table.get('caption', '')}｜" + "｜".join(str(c) for c in row))
    return lines


def version_diff(old: PlanVersion | None, new: PlanVersion) -> list[dict[str, Any]]:
    """Per section: what changed from `old` to `new` (title, text lines, table rows)."""
    before = {s["key"]: s for s in (old.content.get("sections", []) if old else [])}
    after = {s["key"]: s for s in new.content.get("sections", [])}
    keys = list(after) + [k for k in before if k not in after]
    result = []
    for key in keys:
        a, b = before.get(key), after.get(key)
        if a is None or b is None:
            shown = b or a
            assert shown is not None
            result.append(
                {"key": key, "title": shown["title"], "status": "added" if b else "removed"}
            )
            continue
        text = [
            line
            for line in difflib.ndiff(a["body"].splitlines(), b["body"].splitlines())
            if line[:1] in "+-"
        ]
        rows = [
            line
            for line in difflib.ndiff(_table_text(a["tables"]), _table_text(b["tables"]))
            if line[:1] in "+-"
        ]
        status = "changed" if text or rows or a["title"] != b["title"] else "same"
        result.append(
            {
                "key": key,
                "title": b["title"],
                "old_title": a["title"] if a["title"] != b["title"] else "",
                "status": status,
                "text": [{"sign": line[0], "line": line[2:]} for line in text],
                "rows": [{"sign": line[0], "line": line[2:]} for line in rows],
            }
        )
    return result


def previous_version(version: PlanVersion) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(plan_id=version.plan_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def require_plan_write(user: Viewer, plan: Plan) -> None:
    if not can_write(user, plan):
        raise Forbidden()
