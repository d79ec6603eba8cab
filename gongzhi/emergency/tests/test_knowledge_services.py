"""Writing, editing and sharing lessons: who may, where they are read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.emergency import knowledge
from gongzhi.emergency.tests.lesson_fixtures import other_street_community, staff, write

pytestmark = pytest.mark.django_db


def test_staff_write_a_lesson_of_their_community_with_its_street(world):
    lesson = knowledge.lesson_write(
        actor=staff(world), area=world.community_a, source="incident", kind="flood",
        title="内涝转移", body="低洼楼栋老人转移慢。", tags="内涝，转移",
    )  # fmt: skip
    assert lesson.street_path == world.street.path and lesson.tags == "内涝 转移"
    entry = AuditEntry.objects.get(action="lesson.write")
    assert "老人" not in entry.purpose


def test_a_grid_worker_cannot_write(world):
    with pytest.raises(Forbidden):
        knowledge.lesson_write(
            actor=world.grid_worker_a, area=world.community_a, source="incident",
            kind="flood", title="x", body="y",
        )  # fmt: skip


def test_staff_cannot_write_for_another_community(world):
    with pytest.raises(Forbidden):
        knowledge.lesson_write(
            actor=staff(world), area=world.community_b, source="incident", kind="flood",
            title="x", body="y",
        )  # fmt: skip


def test_bad_input_names_the_fields(world):
    with pytest.raises(ValidationError) as exc:
        knowledge.lesson_write(
            actor=staff(world), area=world.community_a, source="rumour", kind="meteor",
            title="", body="",
        )  # fmt: skip
    assert {"source", "kind", "title", "body"} <= set(exc.value.message_dict)


def test_sharing_widens_reading_to_the_street_only(world):
    lesson = write(world.community_b, title="江边经验")
    far = other_street_community(world)
    assert lesson not in knowledge.lessons_visible_to(world.grid_worker_a)
    knowledge.lesson_share(actor=None, lesson=lesson, shared=True)
    assert lesson in knowledge.lessons_visible_to(world.grid_worker_a)
    assert lesson in knowledge.lessons_visible_to(world.secretary)
    far_lesson = write(far, title="南海经验", shared=True)
    assert far_lesson not in knowledge.lessons_visible_to(world.secretary)
    assert far_lesson not in knowledge.lessons_visible_to(world.by_role[Role.STREET_OFFICER])
    knowledge.lesson_share(actor=None, lesson=lesson, shared=False)
    assert lesson not in knowledge.lessons_visible_to(world.grid_worker_a)
    assert AuditEntry.objects.filter(action__in=["lesson.share", "lesson.unshare"]).count() == 2


def test_a_shared_lesson_is_read_but_not_edited_by_the_other_community(world):
    lesson = write(world.community_b, title="江边经验", shared=True)
    seen = knowledge.lesson_get_for(user=staff(world), lesson_id=lesson.pk)
    assert not knowledge.can_write(staff(world), seen)
    with pytest.raises(Forbidden):
        knowledge.lesson_edit(actor=staff(world), lesson=seen, kind="fire", title="改", body="改")
    with pytest.raises(Forbidden):
        knowledge.lesson_share(actor=staff(world), lesson=seen, shared=False)


def test_an_unshared_lesson_of_another_community_is_not_found(world):
    lesson = write(world.community_b)
    with pytest.raises(NotFound):
        knowledge.lesson_get_for(user=staff(world), lesson_id=lesson.pk)


def test_an_edit_records_which_fields_changed(world):
    lesson = write(world.community_a, title="旧", body="旧内容")
    knowledge.lesson_edit(
        actor=staff(world), lesson=lesson, kind="epidemic", title="新", body="旧内容"
    )
    entry = AuditEntry.objects.get(action="lesson.edit")
    assert list(entry.fields) == ["title"]
