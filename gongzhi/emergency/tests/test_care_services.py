"""The team's steps as a table, deadlines, daily checks and who may act (emergency.care)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, CareStep, CareTask, HealthCheck
from gongzhi.emergency.tests.care_factories import case_for
from gongzhi.health import services as health
from gongzhi.health.sunset import retain_until
from gongzhi.health.tests.factories import entry_for

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("screening", "sampling"),
    ("screening", "released"),
    ("sampling", "transfer"),
    ("sampling", "isolation"),
    ("sampling", "released"),
    ("transfer", "released"),
    ("isolation", "transfer"),
    ("isolation", "released"),
}


def test_the_table_allows_exactly_the_moves_of_the_product():
    table = {(a, b) for a, tos in care.MOVES.items() for b in tos}
    assert table == ALLOWED
    assert set(care.MOVES) == set(CareStep.values)


@pytest.mark.parametrize(
    ("start", "to"), sorted(itertools.product(CareStep.values, CareStep.values))
)
def test_every_move_is_allowed_or_refused_by_the_table(world, start, to):
    case = case_for(world.person_a1, step=start)
    if (start, to) in ALLOWED:
        moved = care.case_advance(actor=world.secretary, case=case, to_step=to, note="测试原因")
        assert moved.step == to
        assert CareTask.objects.filter(case=case, step=to, done_at__isnull=True).count() == 1
    else:
        with pytest.raises(ValidationError) as info:
            care.case_advance(actor=world.secretary, case=case, to_step=to, note="测试原因")
        assert "step" in info.value.message_dict
        assert CareCase.objects.get(pk=case.pk).step == start


def test_an_unknown_step_is_refused_naming_step(world):
    case = case_for(world.person_a1)
    with pytest.raises(ValidationError) as info:
        care.case_advance(actor=world.secretary, case=case, to_step="nowhere")
    assert "step" in info.value.message_dict


def test_opening_makes_the_screening_task_for_the_grid_worker_with_its_deadline(world):
    at = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    entry = entry_for(world.person_a1, world.community_a)
    with clock.freeze(at):
        case = care.case_open_from_entry(actor=world.grid_worker_a, entry=entry)
    task = case.tasks.get()
    assert (case.step, task.step, task.owner_role) == ("screening", "screening", Role.GRID_WORKER)
    assert task.due_at == at + dt.timedelta(hours=24)
    assert case.area_path == world.person_a1.area_path
    assert case.retain_until == task.retain_until == retain_until("emergency", at)


def test_a_second_open_of_the_same_entry_returns_the_case(world):
    entry = entry_for(world.person_a1, world.community_a)
    first = care.case_open_from_entry(actor=world.secretary, entry=entry)
    again = care.case_open_from_entry(actor=world.secretary, entry=entry)
    assert again.pk == first.pk
    assert CareCase.objects.count() == 1 and CareTask.objects.count() == 1


def test_a_person_on_the_board_through_another_entry_is_refused(world):
    case_for(world.person_a1)
    other = entry_for(world.person_a1, world.community_a)
    other.merged_into = None
    with pytest.raises(ValidationError) as info:
        care.case_open_from_entry(actor=world.secretary, entry=other)
    assert "entry" in info.value.message_dict


def test_a_closed_entry_is_refused(world):
    entry = entry_for(world.person_a1, world.community_a)
    health.watch_entry_transition(
        actor=None, entry=entry, action="dismiss", data={"note": "误报，不需跟进"}
    )
    with pytest.raises(ValidationError) as info:
        care.case_open_from_entry(actor=world.secretary, entry=entry)
    assert "entry" in info.value.message_dict


def test_an_unmatched_entry_is_refused(world):
    from gongzhi.health.tests.factories import matched

    upstream = matched(world.community_a, [["路人甲", "", "", "武汉市", "2022-03-14", ""]])
    entry = upstream.entries.get()
    assert entry.person_id is None
    with pytest.raises(ValidationError) as info:
        care.case_open_from_entry(actor=world.secretary, entry=entry)
    assert "entry" in info.value.message_dict


@override_settings(GONGZHI_CARE_STEP_HOURS={"sampling": 3})
def test_each_step_takes_its_deadline_from_the_table_and_the_setting(world):
    at = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    case = case_for(world.person_a1)
    with clock.freeze(at):
        care.case_advance(actor=world.secretary, case=case, to_step="sampling")
    sampling = case.tasks.get(step="sampling")
    assert sampling.due_at == at + dt.timedelta(hours=3)
    assert sampling.owner_role == Role.DOCTOR
    screening = case.tasks.get(step="screening")
    assert screening.done_at == at and screening.done_by == world.secretary
    with clock.freeze(at + dt.timedelta(hours=1)):
        care.case_advance(actor=world.secretary, case=case, to_step="transfer")
    transfer = case.tasks.get(step="transfer")
    assert (transfer.owner_role, transfer.due_at) == (
        Role.POLICE,
        at + dt.timedelta(hours=7),
    )


@override_settings(GONGZHI_CARE_ISOLATION_DAYS=7)
def test_home_isolation_lasts_the_set_days(world):
    at = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    case = case_for(world.person_a1, step="sampling")
    with clock.freeze(at):
        case = care.case_advance(actor=world.secretary, case=case, to_step="isolation")
    assert case.isolation_until == dt.date(2026, 3, 8)
    task = case.tasks.get(step="isolation")
    assert (task.owner_role, task.due_at) == (Role.DOCTOR, at + dt.timedelta(days=7))


def test_isolation_defaults_to_fourteen_days(world):
    case = case_for(world.person_a1, step="isolation")
    assert case.isolation_until == clock.today() + dt.timedelta(days=14)


def test_release_from_isolation_before_its_end_needs_a_reason(world):
    case = case_for(world.person_a1, step="isolation")
    with pytest.raises(ValidationError) as info:
        care.case_release(actor=world.secretary, case=case)
    assert "reason" in info.value.message_dict
    released = care.case_release(actor=world.secretary, case=case, reason="复核阴性，提前解除")
    assert released.step == "released" and released.released_at is not None
    assert released.tasks.get(step="released").owner_role == Role.SECRETARY


def test_release_after_isolation_ended_needs_no_reason(world):
    case = case_for(world.person_a1, step="isolation")
    later = clock.now() + dt.timedelta(days=15)
    with clock.freeze(later):
        assert care.case_release(actor=world.secretary, case=case).step == "released"


def test_release_from_screening_needs_a_reason_naming_note(world):
    case = case_for(world.person_a1)
    with pytest.raises(ValidationError) as info:
        care.case_advance(actor=world.secretary, case=case, to_step="released")
    assert "note" in info.value.message_dict


# --- daily checks ------------------------------------------------------------------------------


def test_a_check_is_recorded_in_tenths(world):
    case = case_for(world.person_a1, step="isolation")
    check = care.check_record(
        actor=world.by_role[Role.DOCTOR], case=case, day=clock.today(), temperature="36.6",
        symptoms=False,
    )  # fmt: skip
    assert check.temperature_tenths == 366
    assert check.retain_until == retain_until("emergency", clock.today())


@pytest.mark.parametrize("value", ["33.9", "43.1", "abc", "", "nan", "-1"])
def test_a_temperature_outside_34_to_43_is_refused(world, value):
    case = case_for(world.person_a1, step="isolation")
    with pytest.raises(ValidationError) as info:
        care.check_record(
            actor=world.secretary, case=case, day=clock.today(), temperature=value, symptoms=False
        )
    assert "temperature" in info.value.message_dict
    assert not HealthCheck.objects.exists()


@pytest.mark.parametrize("value", ["34.0", "43.0", "37.25"])
def test_the_bounds_are_allowed(world, value):
    case = case_for(world.person_a1, step="isolation")
    care.check_record(
        actor=world.secretary, case=case, day=clock.today(), temperature=value, symptoms=True
    )
    assert HealthCheck.objects.count() == 1


def test_a_second_check_for_the_same_day_is_refused(world):
    case = case_for(world.person_a1, step="isolation")
    care.check_record(
        actor=world.secretary, case=case, day=clock.today(), temperature="36.5", symptoms=False
    )
    with pytest.raises(ValidationError) as info:
        care.check_record(
            actor=world.secretary, case=case, day=clock.today(), temperature="36.8", symptoms=False
        )
    assert "day" in info.value.message_dict
    assert HealthCheck.objects.count() == 1


def test_a_check_for_a_future_day_is_refused(world):
    case = case_for(world.person_a1, step="isolation")
    with pytest.raises(ValidationError) as info:
        care.check_record(
            actor=world.secretary, case=case, day=clock.today() + dt.timedelta(days=1),
            temperature="36.5", symptoms=False,
        )  # fmt: skip
    assert "day" in info.value.message_dict


def test_a_check_for_a_day_before_isolation_began_is_refused(world):
    case = case_for(world.person_a1, step="isolation")
    with pytest.raises(ValidationError) as info:
        care.check_record(
            actor=world.secretary, case=case, day=clock.today() - dt.timedelta(days=1),
            temperature="36.5", symptoms=False,
        )  # fmt: skip
    assert "day" in info.value.message_dict


@pytest.mark.parametrize("step", ["screening", "sampling", "transfer", "released"])
def test_a_check_outside_home_isolation_is_refused(world, step):
    case = case_for(world.person_a1, step=step)
    with pytest.raises(ValidationError) as info:
        care.check_record(
            actor=world.secretary, case=case, day=clock.today(), temperature="36.5", symptoms=False
        )
    assert "step" in info.value.message_dict


# --- tasks -------------------------------------------------------------------------------------


def test_any_team_member_may_take_and_finish_the_open_task(world):
    case = case_for(world.person_a1, step="sampling")
    police = world.by_role[Role.POLICE]
    task = care.task_take(actor=police, case=case)
    assert task.owner == police and task.owner_role == Role.DOCTOR  # shown, not enforced
    done = care.task_done(actor=police, case=case)
    assert done.done_at is not None and done.done_by == police
    with pytest.raises(ValidationError) as info:
        care.task_done(actor=police, case=case)
    assert "task" in info.value.message_dict


# --- who may act -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.GRID_WORKER, Role.GRID_LEADER, Role.SECRETARY, Role.POLICE, Role.DOCTOR]
)
def test_team_roles_may_move_a_case(world, role):
    case = case_for(world.person_a1)
    assert care.case_advance(actor=world.by_role[role], case=case, to_step="sampling").step == (
        "sampling"
    )


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.PARTY_MEMBER, Role.RESIDENT, Role.STREET_OFFICER]
)
def test_other_roles_may_not(world, role):
    case = case_for(world.person_a1)
    user = world.by_role[role]
    for call in (
        lambda: care.case_advance(actor=user, case=case, to_step="sampling"),
        lambda: care.task_take(actor=user, case=case),
        lambda: care.task_done(actor=user, case=case),
    ):
        with pytest.raises(Forbidden):
            call()
    assert CareCase.objects.get(pk=case.pk).step == "screening"


def test_a_team_member_of_another_grid_or_community_may_not(world):
    case = case_for(world.person_a1)  # grid A1
    with pytest.raises(Forbidden):
        care.case_advance(actor=world.grid_worker_b, case=case, to_step="sampling")
    other = case_for(world.person_b1)  # community B
    with pytest.raises(Forbidden):
        care.case_advance(actor=world.secretary, case=other, to_step="sampling")


# --- audit -------------------------------------------------------------------------------------


def test_every_write_is_audited_with_the_case_and_step_only(world):
    person = world.person_a1
    case = case_for(person, step="isolation")
    care.check_record(
        actor=world.secretary, case=case, day=clock.today(), temperature="38.2", symptoms=True
    )
    care.case_release(actor=world.secretary, case=case, reason=f"{person.name}提前解除")
    entries = AuditEntry.objects.filter(action__startswith="care.").order_by("seq")
    assert [e.action for e in entries] == [
        "care.open", "care.advance", "care.advance", "care.check", "care.advance",
    ]  # fmt: skip
    plain = [person.name, person.id_number.reveal(), person.phone.reveal(), "38.2", "382"]
    for e in entries:
        text = f"{e.object_label} {e.purpose} {e.fields}"
        assert e.object_type == "emergency.carecase" and e.object_id == str(case.pk)
        assert not [v for v in plain if v in text], text
