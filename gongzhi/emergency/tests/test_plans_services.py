"""Plans: drafted from the register, edited into versions, refreshed, approved, retired,
linked to lessons; refused outside one's scope; audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.emergency import plans
from gongzhi.emergency.models import Lesson, PlanStatus
from gongzhi.emergency.tests.plan_factories import AT, SECRET_NAME, build_register, person
from gongzhi.registry import services

pytestmark = pytest.mark.django_db


def _draft(world, kind="epidemic", actor=None):
    with clock.freeze(AT):
        return plans.plan_draft(
            actor=actor or world.secretary, area=world.community_a, kind=kind, title="疫情防控预案"
        )


def _sections(version):
    return {s["key"]: s for s in version.content["sections"]}


def test_draft_is_version_one_written_from_the_register(world):
    build_register(world)
    plan = _draft(world)
    version = plans.latest_version(plan)
    assert (version.number, plan.status, plan.area_path) == (
        1,
        PlanStatus.DRAFT,
        world.community_a.path,
    )
    s = _sections(version)
    assert list(s) == [
        "overview", "organisation", "risk", "vulnerable", "teams", "resources", "contacts",
        "procedures", "drills",
    ]  # fmt: skip
    # The vulnerable persons per grid and building, as tables of counts.
    tables = {t["caption"]: t for t in s["vulnerable"]["tables"]}
    grid1 = tables["第一网格：各楼栋重点人群"]
    assert grid1["columns"][:4] == ["楼栋", "户数", "人数", "独居老人"]
    assert ["玉岭花园1栋", 3, 4, 1, 1, 1, 1, 1, 1] in grid1["rows"]
    assert ["玉岭花园3栋", 1, 1, 1, 1, 1, 0, 0, 0] in grid1["rows"]
    # Specific: numbers and names, not boilerplate.
    assert "独居老人 2 人" in s["procedures"]["body"]
    assert "第一网格" in s["procedures"]["body"]
    assert "secretary" in s["organisation"]["body"]  # the secretary's display name
    assert "police" in s["organisation"]["body"] and "doctor" in s["organisation"]["body"]
    assert version.profile["totals"]["persons"] == 6


def test_each_kind_has_its_own_procedures(world):
    fire = _sections(plans.latest_version(_draft(world, "fire")))["procedures"]
    flood = _sections(plans.latest_version(_draft(world, "flood")))["procedures"]
    assert fire["title"] == "火灾处置流程" and "119" in fire["body"]
    assert flood["title"] == "防汛处置流程" and "积水" in flood["body"]


def test_no_personal_value_in_a_plan(world):
    register = build_register(world)
    version = plans.latest_version(_draft(world))
    text = json.dumps([version.content, version.profile], ensure_ascii=False)
    for value in (
        SECRET_NAME,
        register.elderly.id_number.reveal(),
        register.elderly.phone.reveal(),
    ):
        assert value not in text


def test_a_plan_outside_ones_scope_is_refused_naming_the_area(world):
    with pytest.raises(ValidationError) as refused:
        plans.plan_draft(actor=world.secretary, area=world.community_b, kind="fire", title="x")
    assert "area" in refused.value.message_dict


def test_a_plan_for_a_grid_is_refused_naming_the_area(world):
    with pytest.raises(ValidationError) as refused:
        plans.plan_draft(actor=world.secretary, area=world.grid_a1, kind="fire", title="x")
    assert "area" in refused.value.message_dict


def test_a_grid_worker_may_not_draft(world):
    with pytest.raises(ValidationError) as refused:
        plans.plan_draft(actor=world.grid_worker_a, area=world.community_a, kind="fire", title="x")
    assert "area" in refused.value.message_dict


def test_bad_kind_and_title_are_named(world):
    with pytest.raises(ValidationError) as refused:
        plans.plan_draft(actor=world.secretary, area=world.community_a, kind="meteor", title="x")
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        plans.plan_draft(actor=world.secretary, area=world.community_a, kind="fire", title="  ")
    assert "title" in refused.value.message_dict


def test_an_edit_is_a_new_version_with_who_and_what(world):
    plan = _draft(world)
    staff = world.by_role[Role.COMMUNITY_STAFF]
    version = plans.plan_edit(
        actor=staff, plan=plan,
        sections=[{"key": "overview", "title": "总则", "body": "新的总则。\n第二段。"}],
        note="改写总则",
    )  # fmt: skip
    assert (version.number, version.created_by, version.note) == (2, staff, "改写总则")
    assert _sections(version)["overview"]["edited"] is True
    old = plan.versions.get(number=1)
    assert _sections(old)["overview"]["body"] != "新的总则。\n第二段。"  # v1 unchanged
    diff = {d["key"]: d for d in plans.version_diff(old, version)}
    assert diff["overview"]["status"] == "changed"
    assert {"sign": "+", "line": "新的总则。"} in diff["overview"]["text"]
    assert diff["risk"]["status"] == "same"
    entry = AuditEntry.objects.filter(action="plan.edit").get()
    assert entry.fields == ["overview"]


def test_an_edit_that_changes_nothing_or_names_no_section_is_refused(world):
    plan = _draft(world)
    body = _sections(plans.latest_version(plan))["overview"]["body"]
    with pytest.raises(ValidationError) as refused:
        plans.plan_edit(
            actor=world.secretary, plan=plan,
            sections=[{"key": "overview", "title": "总则", "body": body}], note="无",
        )  # fmt: skip
    assert "sections" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        plans.plan_edit(
            actor=world.secretary, plan=plan, sections=[{"key": "nope", "body": "x"}], note="x"
        )
    assert "sections" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        plans.plan_edit(actor=world.secretary, plan=plan, sections=[], note="")
    assert "note" in refused.value.message_dict
    assert plan.versions.count() == 1


def test_a_grid_worker_may_not_edit(world):
    plan = _draft(world)
    with pytest.raises(Forbidden):
        plans.plan_edit(actor=world.grid_worker_a, plan=plan, sections=[], note="x")


def test_refresh_takes_fresh_figures_and_keeps_edited_text(world):
    plan = _draft(world)
    plans.plan_edit(
        actor=world.secretary, plan=plan,
        sections=[{"key": "overview", "title": "总则（修订）", "body": "我们自己写的总则。"}],
        note="改写",
    )  # fmt: skip
    household = services.household_create(
        actor=None, building=world.building_a2, unit="2", room="201"
    )
    person(household, "新来老人", dt.date(1940, 1, 1), tags=["elderly_alone"])
    with clock.freeze(AT):
        version = plans.plan_refresh(actor=world.secretary, plan=plan, note="")
    s = _sections(version)
    assert version.number == 3 and version.note
    assert (
        s["overview"]["body"] == "我们自己写的总则。" and s["overview"]["title"] == "总则（修订）"
    )
    assert version.profile["totals"]["elderly_alone"] == 1
    assert "独居老人 1 人" in s["procedures"]["body"]  # not edited: redrawn


def test_approve_then_retire(world):
    plan = _draft(world)
    with clock.freeze(AT):
        plan = plans.plan_approve(actor=world.secretary, plan=plan)
    assert (plan.status, plan.approved_number, plan.approved_by) == (
        PlanStatus.APPROVED, 1, world.secretary,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        plans.plan_approve(actor=world.secretary, plan=plan)  # already
    plan = plans.plan_retire(actor=world.secretary, plan=plan)
    assert plan.status == PlanStatus.RETIRED
    with pytest.raises(ValidationError) as refused:
        plans.plan_refresh(actor=world.secretary, plan=plan)
    assert "status" in refused.value.message_dict
    actions = list(
        AuditEntry.objects.filter(action__startswith="plan.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["plan.approve", "plan.draft", "plan.retire"]


def _lesson(area, street, shared=False, title="经验"):
    return Lesson.objects.create(
        area=area, area_path=area.path, street_path=street.path, source="drill", kind="fire",
        title=title, body="正文", shared=shared,
    )  # fmt: skip


def test_link_lessons_visible_or_shared_in_the_street(world):
    plan = _draft(world)
    own = _lesson(world.community_a, world.street)
    shared = _lesson(world.community_b, world.street, shared=True)
    private = _lesson(world.community_b, world.street)
    plans.plan_link_lessons(actor=world.secretary, plan=plan, lesson_ids=[own.pk, shared.pk])
    assert set(plan.lessons.all()) == {own, shared}
    with pytest.raises(ValidationError) as refused:
        plans.plan_link_lessons(actor=world.secretary, plan=plan, lesson_ids=[private.pk])
    assert "lessons" in refused.value.message_dict
    assert set(plan.lessons.all()) == {own, shared}


def test_plans_are_read_within_scope(world):
    plan = _draft(world)
    assert plans.plan_get_for(user=world.grid_worker_a, plan_id=plan.pk) == plan
    assert plans.plan_get_for(user=world.by_role[Role.STREET_OFFICER], plan_id=plan.pk) == plan
    for user in (world.resident, world.outsider, world.by_role[Role.VOLUNTEER]):
        with pytest.raises(NotFound):
            plans.plan_get_for(user=user, plan_id=plan.pk)
