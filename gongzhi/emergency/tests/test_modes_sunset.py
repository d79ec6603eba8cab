"""The data sunset and the mode: nothing collected in a community is purged while it is in
emergency mode; switching back dates everything collected since the emergency began."""

import datetime as dt
from zoneinfo import ZoneInfo

from gongzhi.core import clock
from gongzhi.emergency import switching
from gongzhi.emergency.models import CareCase, CareTask, HealthCheck, Mode
from gongzhi.health import sunset

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEGAN = dt.datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI)
ENDED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)


def _case(person, made: dt.datetime, retain_until=None) -> CareCase:
    case = CareCase.objects.create(
        person=person, area_path=person.area_path, opened_at=made, retain_until=retain_until
    )
    CareCase.objects.filter(pk=case.pk).update(created_at=made)
    task = CareTask.objects.create(
        case=case, step="screening", owner_role="doctor", due_at=made, retain_until=retain_until
    )
    CareTask.objects.filter(pk=task.pk).update(created_at=made)
    check = HealthCheck.objects.create(case=case, day=made.date(), retain_until=retain_until)
    HealthCheck.objects.filter(pk=check.pk).update(created_at=made)
    return case


def _switch(world, to_mode, at):
    with clock.freeze(at):
        return switching.mode_switch(
            actor=world.secretary, area=world.community_a, to_mode=to_mode, kind="epidemic",
            reason="测试",
        )  # fmt: skip


def test_switching_back_dates_what_was_collected_during_the_emergency(world, settings):
    settings.GONGZHI_EMERGENCY_SUNSET_DAYS = 30
    before = _case(world.person_a1, BEGAN - dt.timedelta(days=3))
    _switch(world, Mode.EMERGENCY, BEGAN)
    during = _case(world.person_a2, BEGAN + dt.timedelta(days=2))
    elsewhere = _case(world.person_b1, BEGAN + dt.timedelta(days=2))

    back = _switch(world, Mode.NORMAL, ENDED)

    day = dt.date(2026, 12, 20)
    assert back.sunset_on == day
    assert CareCase.objects.get(pk=during.pk).retain_until == day
    assert set(CareTask.objects.filter(case=during).values_list("retain_until", flat=True)) == {day}
    assert set(HealthCheck.objects.filter(case=during).values_list("retain_until", flat=True)) == {
        day
    }
    for untouched in (before, elsewhere):
        assert CareCase.objects.get(pk=untouched.pk).retain_until is None
        assert not CareTask.objects.filter(case=untouched, retain_until__isnull=False).exists()
        assert not HealthCheck.objects.filter(case=untouched, retain_until__isnull=False).exists()


def test_the_purge_deletes_them_on_that_date_and_not_before(world):
    _switch(world, Mode.EMERGENCY, BEGAN)
    during = _case(world.person_a2, BEGAN + dt.timedelta(days=2))
    back = _switch(world, Mode.NORMAL, ENDED)

    sunset.purge_due(today=back.sunset_on)  # due that day: kept until the next day's run
    assert CareCase.objects.filter(pk=during.pk).exists()
    assert CareTask.objects.filter(case_id=during.pk).exists()

    sunset.purge_due(today=back.sunset_on + dt.timedelta(days=1))
    assert not CareCase.objects.filter(pk=during.pk).exists()
    assert not CareTask.objects.filter(case_id=during.pk).exists()
    assert not HealthCheck.objects.filter(case_id=during.pk).exists()


def test_nothing_in_a_community_in_emergency_is_purged(world):
    past = dt.date(2026, 10, 1)
    _switch(world, Mode.EMERGENCY, BEGAN)
    held = _case(world.person_a1, BEGAN - dt.timedelta(days=60), retain_until=past)
    elsewhere = _case(world.person_b1, BEGAN - dt.timedelta(days=60), retain_until=past)

    sunset.purge_due(today=ENDED.date())

    assert CareCase.objects.filter(pk=held.pk).exists()
    assert CareTask.objects.filter(case=held).exists()  # a task lies where its case does
    assert HealthCheck.objects.filter(case=held).exists()
    assert not CareCase.objects.filter(pk=elsewhere.pk).exists()

    _switch(world, Mode.NORMAL, ENDED)
    sunset.purge_due(today=ENDED.date())
    assert not CareCase.objects.filter(pk=held.pk).exists()  # made before: its own date


def test_a_model_that_lies_nowhere_waits_while_anything_is_on_hold(world, monkeypatch):
    case = _case(world.person_b1, BEGAN)  # the case itself is not due
    CareTask.objects.filter(case=case).update(retain_until=dt.date(2026, 10, 1))
    monkeypatch.delattr(CareTask, "retention_path")
    _switch(world, Mode.EMERGENCY, BEGAN)

    sunset.purge_due(today=ENDED.date())
    assert CareTask.objects.filter(case=case).exists()

    _switch(world, Mode.NORMAL, ENDED)
    sunset.purge_due(today=ENDED.date())
    assert not CareTask.objects.filter(case=case).exists()
