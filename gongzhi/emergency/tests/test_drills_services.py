"""Drills: scheduling in one's community, participants, start, check-in once, results only
for participants, finishing writes a lesson, every write audited without personal values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition
from gongzhi.emergency import drills
from gongzhi.emergency.models import DrillStatus, Lesson, LessonSource, Plan, Space

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.UTC)


def _staff(world):
    return world.by_role[Role.COMMUNITY_STAFF]


def _schedule(world, actor=None, **extra):
    data = {"kind": "fire", "title": "消防疏散演练", "scheduled_at": AT}
    data.update(extra)
    return drills.drill_schedule(actor=actor or _staff(world), area=world.community_a, **data)


def test_staff_schedule_a_drill_with_a_random_code(world):
    one, two = _schedule(world), _schedule(world)
    assert one.status == DrillStatus.SCHEDULED and one.area_path == world.community_a.path
    assert one.checkin_code and one.checkin_code != two.checkin_code
    assert AuditEntry.objects.filter(action="drill.schedule", object_id=str(one.pk)).exists()


def test_a_grid_worker_cannot_schedule(world):
    with pytest.raises(Forbidden):
        _schedule(world, actor=world.grid_worker_a)


def test_the_grid_leader_on_a_grid_cannot_schedule_for_the_community(world):
    with pytest.raises(Forbidden):
        _schedule(world, actor=world.by_role[Role.GRID_LEADER])


def test_a_plan_of_another_community_is_refused_naming_plan(world):
    plan = Plan.objects.create(
        area=world.community_b, area_path=world.community_b.path, kind="fire", title="江边预案"
    )
    with pytest.raises(ValidationError) as exc:
        _schedule(world, plan=plan)
    assert "plan" in exc.value.message_dict


def test_an_assembly_point_of_another_community_is_refused(world):
    space = Space.objects.create(
        area=world.community_b, area_path=world.community_b.path, name="江边广场",
        kind="assembly", capacity=100,
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        _schedule(world, assembly_point=space)
    assert "assembly_point" in exc.value.message_dict


def test_a_drill_needs_a_title_and_a_kind(world):
    with pytest.raises(ValidationError) as exc:
        _schedule(world, title=" ", kind="meteor")
    assert {"title", "kind"} <= set(exc.value.message_dict)


def test_participants_are_persons_in_scope_and_staff(world):
    drill = _schedule(world)
    added = drills.drill_participants_add(
        actor=_staff(world), drill=drill, person_ids=[world.person_a1.pk],
        user_ids=[world.grid_worker_a.pk], task="引导疏散",
    )  # fmt: skip
    assert added == 2
    again = drills.drill_participants_add(
        actor=_staff(world), drill=drill, person_ids=[world.person_a1.pk], task="x"
    )
    assert again == 0
    assert {p.task for p in drill.participants.all()} == {"引导疏散"}


def test_a_person_of_another_community_is_refused_and_nothing_is_added(world):
    drill = _schedule(world)
    with pytest.raises(ValidationError) as exc:
        drills.drill_participants_add(
            actor=_staff(world), drill=drill, person_ids=[world.person_a1.pk, world.person_b1.pk]
        )
    assert f"#{world.person_b1.pk}" in exc.value.message_dict["persons"][0]
    assert world.person_b1.name not in str(exc.value)
    assert drill.participants.count() == 0


def test_a_user_without_a_role_in_the_community_is_refused(world):
    drill = _schedule(world)
    with pytest.raises(ValidationError) as exc:
        drills.drill_participants_add(
            actor=_staff(world), drill=drill, user_ids=[world.outsider.pk]
        )
    assert "users" in exc.value.message_dict


def _running(world):
    drill = _schedule(world)
    drills.drill_participants_add(
        actor=_staff(world), drill=drill, person_ids=[world.person_a1.pk, world.person_a2.pk],
        user_ids=[world.grid_worker_a.pk], task="到集合点报到",
    )  # fmt: skip
    with clock.freeze(AT):
        return drills.drill_start(actor=_staff(world), drill=drill)


def test_a_participant_checks_in_once_and_the_second_scan_says_when(world):
    drill = _running(world)
    with clock.freeze(AT + dt.timedelta(minutes=3, seconds=20)):
        first = drills.drill_checkin(actor=world.grid_worker_a, drill=drill)
    with clock.freeze(AT + dt.timedelta(minutes=9)):
        second = drills.drill_checkin(actor=world.grid_worker_a, drill=drill)
    assert not first.already and second.already
    assert second.participant.checked_in_at == AT + dt.timedelta(minutes=3, seconds=20)
    assert AuditEntry.objects.filter(action="drill.checkin").count() == 1


def test_a_resident_checks_in_as_their_register_person(world):
    drill = _running(world)
    world.resident.person = world.person_a1
    world.resident.save()
    result = drills.drill_checkin(actor=world.resident, drill=drill)
    assert result.participant.person_id == world.person_a1.pk


def test_someone_not_in_the_drill_is_refused(world):
    drill = _running(world)
    with pytest.raises(Forbidden):
        drills.drill_checkin(actor=world.secretary, drill=drill)


def test_check_in_before_the_start_is_refused_naming_the_drill(world):
    drill = _schedule(world)
    drills.drill_participants_add(
        actor=_staff(world), drill=drill, user_ids=[world.grid_worker_a.pk]
    )
    with pytest.raises(ValidationError) as exc:
        drills.drill_checkin(actor=world.grid_worker_a, drill=drill)
    assert "drill" in exc.value.message_dict


def test_timings_from_the_start(world):
    drill = _running(world)
    rows = drills.participant_rows(drill)
    with clock.freeze(AT + dt.timedelta(minutes=2)):
        drills.drill_checkin(actor=world.grid_worker_a, drill=drill)
    world.resident.person = world.person_a1
    world.resident.save()
    with clock.freeze(AT + dt.timedelta(minutes=5, seconds=30)):
        drills.drill_checkin(actor=world.resident, drill=drill)
    timings = drills.drill_timings(drill)
    assert timings.total == 3 and timings.checked_in == 2 and timings.share == 67
    assert timings.slowest_seconds == 330
    assert sorted(timings.elapsed.values()) == [120, 330]
    assert len(rows) == 3


def test_a_result_for_someone_not_in_the_drill_names_the_participant(world):
    drill = _running(world)
    other = _running(world)
    stranger = other.participants.first()
    with pytest.raises(ValidationError) as exc:
        drills.drill_result_record(
            actor=_staff(world), drill=drill, participant_id=stranger.pk, result="合格"
        )
    assert f"#{stranger.pk}" in exc.value.message_dict["participant"][0]


def test_a_result_and_a_task_done_are_recorded(world):
    drill = _running(world)
    row = drill.participants.first()
    drills.drill_result_record(
        actor=_staff(world), drill=drill, participant_id=row.pk, result="3分钟到位"
    )
    drills.drill_task_done(actor=_staff(world), drill=drill, participant_id=row.pk)
    row.refresh_from_db()
    assert row.result == "3分钟到位" and row.task_done_at is not None
    entry = AuditEntry.objects.get(action="drill.result")
    assert "3分钟" not in entry.purpose and world.person_a1.name not in entry.object_label


def test_finishing_writes_a_lesson_of_the_community(world):
    drill = _running(world)
    done = drills.drill_finish(
        actor=_staff(world),
        drill=drill,
        result="全员疏散用时6分钟",
        lessons_text="2号楼楼道堆物，需清理。",
    )
    assert done.status == DrillStatus.DONE and done.ended_at is not None
    lesson = Lesson.objects.get(drill=drill)
    assert lesson.source == LessonSource.DRILL and lesson.area_path == world.community_a.path
    assert lesson.street_path == world.street.path and not lesson.shared
    assert "楼道堆物" in lesson.body


def test_finishing_needs_result_and_lessons(world):
    drill = _running(world)
    with pytest.raises(ValidationError) as exc:
        drills.drill_finish(actor=_staff(world), drill=drill, result="", lessons_text=" ")
    assert {"result", "lessons_text"} <= set(exc.value.message_dict)


def test_a_scheduled_drill_cannot_be_finished_and_a_done_one_not_started(world):
    drill = _schedule(world)
    with pytest.raises(IllegalTransition):
        drills.drill_finish(actor=_staff(world), drill=drill, result="x", lessons_text="y")
    drills.drill_start(actor=_staff(world), drill=drill)
    with pytest.raises(IllegalTransition):
        drills.drill_start(actor=_staff(world), drill=drill)


def test_cancel(world):
    drill = drills.drill_cancel(actor=_staff(world), drill=_schedule(world))
    assert drill.status == DrillStatus.CANCELLED


def test_the_grid_worker_sees_the_communitys_drills_and_not_the_others(world):
    mine = _schedule(world)
    theirs = drills.drill_schedule(
        actor=None, area=world.community_b, kind="fire", title="江边演练", scheduled_at=AT
    )
    seen = set(drills.drills_visible_to(world.grid_worker_a))
    assert mine in seen and theirs not in seen
    assert set(drills.drills_visible_to(world.resident)) == set()
