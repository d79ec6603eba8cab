"""Warnings: items below their minimum and expiring within a week; the count for the
workbench; the daily notification of the community's supply managers, once a day."""

import datetime as dt

import pytest

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.emergency import supplies
from gongzhi.emergency.supply_selectors import warning_count_for
from gongzhi.emergency.tests.supply_factories import item
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _warnings(world):
    today = clock.today()
    low = item(world.community_a, "口罩", "个", stock=10, minimum=50)
    item(world.community_a, "大米", "袋", stock=60, minimum=50)
    soon = item(world.grid_a1, "消毒液", "瓶", stock=5, expires_on=today + dt.timedelta(days=3))
    item(world.grid_a1, "体温计", "支", stock=5, expires_on=today + dt.timedelta(days=30))
    item(world.grid_a1, "酒精棉片", "盒", stock=0, expires_on=today)  # none left: no warning
    item(world.community_b, "沙袋", "个", stock=1, minimum=100)
    return low, soon


def test_below_minimum_and_expiring_lists(world):
    low, soon = _warnings(world)
    paths = [world.community_a.path]
    assert list(supplies.items_below_minimum(paths)) == [low]
    assert list(supplies.items_expiring(paths)) == [soon]
    assert list(supplies.items_expiring(paths, days=1)) == []


def test_workbench_count_is_scoped(world):
    _warnings(world)
    assert warning_count_for(user=world.secretary) == 2
    assert warning_count_for(user=world.grid_worker_a) == 1  # grid A1's own
    assert warning_count_for(user=world.by_role[Role.STREET_OFFICER]) == 3
    assert warning_count_for(user=world.resident) == 0


def test_daily_job_notifies_supply_managers_once_a_day(world):
    _warnings(world)
    made = supplies.warnings_notify()
    notes = Notification.objects.filter(kind=supplies.WARNING_KIND)
    recipients = {n.recipient.username for n in notes if n.object_id == str(world.community_a.pk)}
    assert recipients == {"staff", "secretary"}
    assert made == notes.count()
    note = notes.filter(recipient=world.secretary).get()
    assert "1" in note.body and note.url == "/emergency/supplies/"
    # A second run the same day sends nothing more.
    assert supplies.warnings_notify() == 0
    assert Notification.objects.filter(kind=supplies.WARNING_KIND).count() == made


def test_the_daily_job_is_registered_once():
    from django.utils.module_loading import import_string

    from gongzhi.jobs import PERIODIC_JOBS

    ours = [job for job in PERIODIC_JOBS if job.task.endswith("warnings_notify_task")]
    assert len(ours) == 1 and ours[0].every == dt.timedelta(days=1)
    import_string(ours[0].task)


def test_every_movement_kind_has_an_audit_label():
    from gongzhi.audit.vocabulary import ACTIONS

    for kind in supplies.MOVE_KINDS:
        assert f"supply.{kind}" in ACTIONS
