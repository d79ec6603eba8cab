"""Deadlines, the SLA sweep with a frozen clock, and the worker's periodic job."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongzhi.core import clock
from gongzhi.notifications.models import Notification
from gongzhi.workorders import sla, sweep, tasks
from gongzhi.workorders.models import Sla, TimelineEntry, WorkOrder
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import category, new_order, order_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)  # a Monday


def test_calendar_deadlines_count_every_minute():
    assert sla.add_time(MONDAY_9, 90, working_hours=False) == MONDAY_9 + dt.timedelta(minutes=90)


def test_working_hours_skip_lunch_nights_and_weekends():
    friday_5pm = dt.datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)

    # 30 minutes left on Friday, the other 30 on Monday from 08:30.
    assert sla.add_time(friday_5pm, 60, working_hours=True) == dt.datetime(
        2026, 12, 7, 9, 0, tzinfo=SHANGHAI
    )
    # 11:30 + 60 min: 30 before lunch, 30 after 13:30.
    eleven_thirty = MONDAY_9.replace(hour=11, minute=30)
    assert sla.add_time(eleven_thirty, 60, working_hours=True) == MONDAY_9.replace(
        hour=14, minute=0
    )
    saturday = dt.datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    assert sla.add_time(saturday, 15, working_hours=True) == dt.datetime(
        2026, 12, 7, 8, 45, tzinfo=SHANGHAI
    )


def test_an_order_gets_its_categorys_deadlines_at_its_priority(people):
    with clock.freeze(MONDAY_9):
        order = new_order(people, priority="urgent")

    rule = Sla.objects.get(category=category("repair"), priority="urgent")
    assert order.response_due == MONDAY_9 + dt.timedelta(minutes=rule.response_minutes)
    assert order.resolve_due == MONDAY_9 + dt.timedelta(minutes=rule.resolution_minutes)
    assert order.due_at == order.response_due
    assert MONDAY_9 < order.remind_at < order.due_at


def test_a_breached_order_is_escalated_one_level_on_the_next_sweep(people, world):
    with clock.freeze(MONDAY_9):
        order = new_order(people)
    due = order.due_at

    with clock.freeze(due - dt.timedelta(minutes=1)):
        report = sweep.sla_sweep()
    assert report.escalated == 0
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW

    with clock.freeze(due + dt.timedelta(minutes=1)):
        report = sweep.sla_sweep()
    order.refresh_from_db()
    assert report.escalated == 1
    assert (order.status, order.level, order.escalations) == (
        Status.ESCALATED,
        world.community_a,
        1,
    )
    entry = TimelineEntry.objects.filter(order=order, action=Action.ESCALATE).get()
    assert entry.actor is None and "办理时限" in entry.note
    # The community gets a fresh response window, not an immediate second escalation.
    assert order.due_at > due + dt.timedelta(minutes=1)

    with clock.freeze(due + dt.timedelta(minutes=2)):
        assert sweep.sla_sweep().escalated == 0  # safe to run again


def test_an_accepted_order_runs_against_its_resolution_deadline(people):
    with clock.freeze(MONDAY_9):
        order = order_in(people, Status.ACCEPTED)
    assert order.due_at == order.resolve_due

    with clock.freeze(order.response_due + dt.timedelta(minutes=5)):
        assert sweep.sla_sweep().escalated == 0
    with clock.freeze(order.resolve_due + dt.timedelta(minutes=5)):
        assert sweep.sla_sweep().escalated == 1
    order.refresh_from_db()
    assert (order.status, order.assignee) == (Status.ESCALATED, None)


def test_at_the_street_a_breach_is_recorded_once(people, world):
    with clock.freeze(MONDAY_9):
        order = new_order(people)
    moment = MONDAY_9
    for _ in range(2):  # grid -> community -> street
        order.refresh_from_db()
        moment = order.due_at + dt.timedelta(minutes=1)
        with clock.freeze(moment):
            sweep.sla_sweep()
    order.refresh_from_db()
    assert order.level == world.street

    with clock.freeze(order.due_at + dt.timedelta(minutes=1)):
        report = sweep.sla_sweep()
        again = sweep.sla_sweep()
    order.refresh_from_db()
    assert (report.breached, again.breached) == (1, 0)
    assert order.level == world.street and order.due_at is None
    assert TimelineEntry.objects.filter(order=order, action=Action.BREACH).count() == 1


def test_a_reminder_goes_out_before_the_deadline_once(people, django_capture_on_commit_callbacks):
    with clock.freeze(MONDAY_9):
        order = order_in(people, Status.ACCEPTED)

    with clock.freeze(order.remind_at + dt.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            first = sweep.sla_sweep()
        second = sweep.sla_sweep()

    assert (first.reminded, second.reminded) == (1, 0)
    assert Notification.objects.filter(recipient=people.volunteer, kind="workorder.remind").exists()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ACCEPTED


def test_the_periodic_task_runs_the_sweep(people):
    with clock.freeze(MONDAY_9):
        order = new_order(people)

    with clock.freeze(order.due_at + dt.timedelta(minutes=1)):
        result = tasks.sweep_slas.call()

    assert result["escalated"] == 1


def test_resolved_and_closed_orders_are_not_watched(people):
    with clock.freeze(MONDAY_9):
        order = order_in(people, Status.RESOLVED)

    assert order.due_at is None and order.remind_at is None
    with clock.freeze(MONDAY_9 + dt.timedelta(days=30)):
        assert sweep.sla_sweep() == sweep.SweepReport(0, 0, 0, 0)


@pytest.mark.parametrize("priority", ["low", "normal", "high", "urgent"])
def test_every_priority_of_every_category_has_a_deadline(db, priority):
    from gongzhi.workorders.models import Category

    for item in Category.objects.all():
        assert sla.deadlines_for(item, priority) is not None, item.code


FRIDAY_5PM = dt.datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)


def test_a_day_of_working_time_is_one_office_day():
    """Working-hours defaults count days of 7.5 office hours, not 24 hours of them."""
    complaint = Sla.objects.get(category=category("complaint"), priority="normal")

    assert complaint.working_hours
    assert (complaint.response_minutes, complaint.resolution_minutes) == (450, 5 * 450)


def test_a_working_hours_complaint_is_escalated_only_after_office_time_ran_out(people, world):
    # Filed on Friday at 17:00: 30 minutes that day, the rest of a day on Monday (17:00).
    with clock.freeze(FRIDAY_5PM):
        order = new_order(people, code="complaint", description="垃圾站异味")
    monday_5pm = dt.datetime(2026, 12, 7, 17, 0, tzinfo=SHANGHAI)
    assert order.response_due == monday_5pm

    for moment in (  # the weekend and Monday's office hours do not breach it
        dt.datetime(2026, 12, 5, 17, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 12, 6, 23, 0, tzinfo=SHANGHAI),
        monday_5pm - dt.timedelta(minutes=1),
    ):
        with clock.freeze(moment):
            assert sweep.sla_sweep().escalated == 0, moment

    with clock.freeze(monday_5pm + dt.timedelta(minutes=1)):
        assert sweep.sla_sweep().escalated == 1
    order.refresh_from_db()
    assert (order.status, order.level) == (Status.ESCALATED, world.community_a)


def test_an_automatic_escalation_is_on_the_timeline_and_in_the_audit_log(people):
    from gongzhi.audit.models import AuditEntry

    with clock.freeze(MONDAY_9):
        order = new_order(people)
    with clock.freeze(order.due_at + dt.timedelta(minutes=1)):
        sweep.sla_sweep()

    step = TimelineEntry.objects.get(order=order, action=Action.ESCALATE)
    audit = AuditEntry.objects.get(action="workorder.escalate", object_id=str(order.pk))
    assert step.actor is None and audit.actor_id is None
    assert "status" in audit.fields and "level" in audit.fields
