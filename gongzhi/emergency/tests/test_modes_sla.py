"""Work orders filed in a community in emergency mode are due sooner by its profile's
`sla_factor`; in normal mode (and in other communities) unchanged."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongzhi.core import clock
from gongzhi.emergency import switching
from gongzhi.emergency.models import Mode
from gongzhi.workorders import sla
from gongzhi.workorders.models import Sla
from gongzhi.workorders.tests.factories import People, category, new_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(world):
    return People.of(world)


@pytest.fixture
def calendar_rule():
    rule = Sla.objects.get(category=category("repair"), priority="normal")
    rule.working_hours = False
    rule.save()
    return rule


def _emergency(world, factor=None):
    if factor is not None:
        switching.profile_save(
            actor=world.secretary, area=world.community_a, mode=Mode.EMERGENCY,
            config={"sla_factor": factor}, reason="收紧时限",
        )  # fmt: skip
    switching.mode_switch(
        actor=world.secretary, area=world.community_a, to_mode=Mode.EMERGENCY,
        kind="flood", reason="防汛",
    )  # fmt: skip


def test_the_hook_is_installed():
    assert switching.sla_factor_at in sla.FACTORS


def test_in_normal_mode_deadlines_are_unchanged(people, calendar_rule):
    with clock.freeze(NOON):
        order = new_order(people)
    assert order.response_due == NOON + dt.timedelta(minutes=calendar_rule.response_minutes)
    assert order.resolve_due == NOON + dt.timedelta(minutes=calendar_rule.resolution_minutes)


def test_in_emergency_mode_an_order_is_due_sooner_by_the_factor(world, people, calendar_rule):
    _emergency(world, factor=0.25)
    with clock.freeze(NOON):
        order = new_order(people)
    assert order.response_due == NOON + dt.timedelta(
        minutes=round(calendar_rule.response_minutes * 0.25)
    )
    assert order.resolve_due == NOON + dt.timedelta(
        minutes=round(calendar_rule.resolution_minutes * 0.25)
    )


def test_the_default_emergency_factor_halves_the_deadlines(world, people, calendar_rule):
    _emergency(world)
    with clock.freeze(NOON):
        order = new_order(people)
    assert order.resolve_due == NOON + dt.timedelta(
        minutes=round(calendar_rule.resolution_minutes * 0.5)
    )


def test_another_community_keeps_its_deadlines(world, calendar_rule):
    _emergency(world, factor=0.25)
    assert sla.factor_for(world.building_b1.path) == 1.0
    assert sla.factor_for(world.building_a1.path) == 0.25
    assert sla.factor_for(world.street.path) == 1.0


def test_back_in_normal_mode_deadlines_are_unchanged_again(world, people, calendar_rule):
    _emergency(world, factor=0.25)
    switching.mode_switch(
        actor=world.secretary, area=world.community_a, to_mode=Mode.NORMAL, kind="",
        reason="解除",
    )  # fmt: skip
    with clock.freeze(NOON):
        order = new_order(people)
    assert order.resolve_due == NOON + dt.timedelta(minutes=calendar_rule.resolution_minutes)
