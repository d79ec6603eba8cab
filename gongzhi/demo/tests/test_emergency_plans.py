"""The demo's emergency plans: an approved epidemic plan per community drafted from its
register, and Qifu's fire plan with a version 2 edited by the secretary."""

from gongzhi.accounts.models import User
from gongzhi.emergency import plans
from gongzhi.emergency.models import PlanStatus
from gongzhi.emergency.modes import mode_of


def test_each_community_has_an_approved_epidemic_plan_from_its_register(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        found = {p.kind: p for p in plans.plan_list_for(user=secretary)}
        epidemic = found["epidemic"]
        assert (epidemic.status, epidemic.approved_number) == (PlanStatus.APPROVED, 1), slug
        version = plans.latest_version(epidemic)
        assert version.profile["totals"]["persons"] > 0, slug
        assert version.profile["totals"]["elderly_alone"] > 0, slug
        assert not mode_of(epidemic.area_path).emergency, slug


def test_qifus_fire_plan_has_an_edited_version_two(demo):
    secretary = User.objects.get(username="qifu-secretary")
    fire = next(p for p in plans.plan_list_for(user=secretary) if p.kind == "fire")
    latest = plans.latest_version(fire)
    assert latest.number == 2 and latest.created_by == secretary
    diff = {
        d["key"]: d["status"] for d in plans.version_diff(plans.previous_version(latest), latest)
    }
    assert diff["procedures"] == "changed"
