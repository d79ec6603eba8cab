"""Demo data for emergency plans (应急预案), see gongzhi/demo/extras.py: in every community an
epidemic plan drafted from its register by its secretary and approved; in Qifu also a fire
plan whose version 2 the secretary edited (the procedures, with the community's own
evacuation order), waiting for approval. Written through `emergency.plans` (audited like
any plan), with one `demo.emergency_plans` audit entry per community. Every community stays
in normal mode."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.audit.services import audit_record
from gongzhi.emergency import plans
from gongzhi.emergency.models import Plan
from gongzhi.registry.models import Area

FIRE_ADDITION = (
    "补充：高层楼栋疏散时由楼栋长在各单元一楼守候，清点下楼人数后向网格员报告；"
    "独居老人家中钥匙由结对党员保管的，由结对党员上门协助撤离。"
)


def _secretary(community: Area) -> User | None:
    membership = (
        Membership.objects.filter(area=community, role=Role.SECRETARY, is_active=True)
        .select_related("user")
        .order_by("-user__is_demo", "pk")
        .first()
    )
    return membership.user if membership else None


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    for loaded in communities:
        community = loaded.community
        secretary = _secretary(community)
        epidemic = plans.plan_draft(
            actor=secretary,
            area=community,
            kind="epidemic",
            title=f"{community.name}突发公共卫生事件（疫情防控）应急预案",
        )
        plans.plan_approve(actor=secretary, plan=epidemic)
        made = [epidemic]
        if loaded.plan.spec.slug == "qifu":
            fire = plans.plan_draft(
                actor=secretary, area=community, kind="fire", title=f"{community.name}火灾应急预案"
            )
            plans.plan_approve(actor=secretary, plan=fire)
            procedures = next(
                s for s in plans.latest_version(fire).content["sections"]
                if s["key"] == "procedures"
            )  # fmt: skip
            plans.plan_edit(
                actor=secretary,
                plan=fire,
                sections=[{**procedures, "body": procedures["body"] + "\n" + FIRE_ADDITION}],
                note="补充高层楼栋疏散与独居老人协助撤离",
            )
            made.append(fire)
        audit_record(
            actor=None,
            action="demo.emergency_plans",
            obj=community,
            area_path=community.path,
            fields=["plans"],
            purpose="demo data: plans " + ", ".join(f"#{p.pk}" for p in made),
        )
        say(f"{loaded.plan.spec.name}: {len(made)} emergency plan(s)")
    say(f"Emergency plans: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' plans (their versions and lesson links with them)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    found = Plan.objects.within(*paths) if paths else Plan.objects.none()
    count = found.count()
    found.delete()
    say(f"Removed the demo's emergency plans ({count}).")
