"""Points from rated work orders and service hours from resolved ones: the receivers, the
catch-up job, and replays that never credit twice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from gongzhi.points import awards, ledger
from gongzhi.points.ledger_selectors import hours_of
from gongzhi.points.models import EventCursor, LedgerEntry
from gongzhi.workorders import services
from gongzhi.workorders.events import events_since, order_rated, publish
from gongzhi.workorders.models import TimelineEntry, WorkOrder
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import People, order_in


@pytest.fixture(autouse=True)
def _categories(db):
    from gongzhi.workorders.defaults import ensure_default_categories

    ensure_default_categories()


@pytest.fixture
def people(world):
    return People.of(world)


def _rated(people, rating, callbacks):
    order = order_in(people, Status.RESOLVED)
    with callbacks(execute=True):
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=rating, note="评价"
        )
    return order


def _rated_points(volunteer) -> int:
    rows = LedgerEntry.objects.filter(holder=volunteer, source__startswith="order-rated:")
    return sum(e.points for e in rows)


@pytest.mark.parametrize("rating", [4, 5])
def test_a_good_rating_awards_the_handler_once(people, rating, django_capture_on_commit_callbacks):
    order = _rated(people, rating, django_capture_on_commit_callbacks)
    assert _rated_points(people.volunteer) == 10
    entry = TimelineEntry.objects.get(order=order, action=Action.RATE)
    event = next(e for e in events_since(0) if e.id == entry.pk)
    order_rated.send(sender=WorkOrder, event=event)  # the signal sent twice
    publish(entry, order)
    awards.catch_up_order_events()  # and the catch-up replays everything
    awards.catch_up_order_events()
    assert _rated_points(people.volunteer) == 10
    assert ledger.balance_of(people.volunteer) == ledger.sum_of(people.volunteer) == 10


@pytest.mark.parametrize("rating", [1, 2, 3])
def test_a_low_rating_awards_nothing(people, rating, django_capture_on_commit_callbacks):
    _rated(people, rating, django_capture_on_commit_callbacks)
    awards.catch_up_order_events()
    assert _rated_points(people.volunteer) == 0
    assert ledger.balance_of(people.volunteer) == 0


@override_settings(GONGZHI_POINTS_PER_GOOD_RATING=25)
def test_the_award_is_the_setting(people, django_capture_on_commit_callbacks):
    _rated(people, 5, django_capture_on_commit_callbacks)
    assert _rated_points(people.volunteer) == 25


def test_missed_signals_are_caught_up_from_the_cursor(people):
    """Without on-commit callbacks run, no signal reaches the receivers (a worker down)."""
    order = order_in(people, Status.RESOLVED)
    services.workorder_transition(actor=people.resident, order=order, action=Action.RATE, rating=5)
    assert not LedgerEntry.objects.exists()
    applied = awards.catch_up_order_events()
    assert applied == 2  # resolved, then rated
    assert _rated_points(people.volunteer) == 10
    assert hours_of(people.volunteer) > 0
    cursor = EventCursor.objects.get(name=awards.CURSOR)
    assert cursor.last_id == TimelineEntry.objects.get(order=order, action=Action.RATE).pk
    assert awards.catch_up_order_events() == 0  # nothing new after the cursor


def test_the_catch_up_job_reads_in_pages(people):
    for _ in range(2):
        order = order_in(people, Status.RESOLVED)
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=4
        )
    assert awards.catch_up_order_events(limit=1) == 4
    assert _rated_points(people.volunteer) == 20


def test_a_resolved_order_credits_hours_from_start_to_resolution(
    people, django_capture_on_commit_callbacks
):
    order = order_in(people, Status.IN_PROGRESS)
    start = TimelineEntry.objects.get(order=order, action=Action.START)
    TimelineEntry.objects.filter(pk=start.pk).update(at=start.at - dt.timedelta(minutes=90))
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.RESOLVE, note="修好了"
        )
    entry = LedgerEntry.objects.get(source__startswith="order-resolved:")
    assert (entry.holder, entry.points, entry.hours) == (people.volunteer, 0, Decimal("1.5"))


def test_hours_are_capped(people, django_capture_on_commit_callbacks):
    order = order_in(people, Status.IN_PROGRESS)
    TimelineEntry.objects.filter(order=order, action=Action.START).update(
        at=order.created_at - dt.timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.RESOLVE, note="修好了"
        )
    assert hours_of(people.volunteer) == Decimal("4.0")


def test_an_order_staff_solved_credits_nobody(people, django_capture_on_commit_callbacks):
    order = order_in(people, Status.NEW)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.grid_worker, order=order, action=Action.SOLVE, note="电话已解决"
        )
    awards.catch_up_order_events()
    assert not LedgerEntry.objects.exists()


def test_a_receiver_failure_does_not_break_the_step(people, monkeypatch, caplog):
    order = order_in(people, Status.RESOLVED)
    entry = TimelineEntry.objects.get(order=order, action=Action.RESOLVE)

    def broken(event):
        raise RuntimeError("database away")

    monkeypatch.setattr(awards, "order_event_apply", broken)
    publish(entry, order)  # logged, not raised
    assert "not applied yet" in caplog.text


def test_a_rating_given_on_a_callback_counts_the_same(
    world, people, django_capture_on_commit_callbacks
):
    """回访: the resident rated on the phone, staff who did not handle it recorded it."""
    from gongzhi.workorders.filing import workorder_create
    from gongzhi.workorders.tests.factories import category

    order = workorder_create(
        actor=people.grid_worker,
        category=category(),
        description="电话报修",
        person=world.person_a1,
    )
    for actor, action, extra in (
        (people.grid_worker, Action.DISPATCH, {"handlers": [people.volunteer]}),
        (people.volunteer, Action.ACCEPT, {}),
        (people.volunteer, Action.RESOLVE, {"note": "修好了"}),
    ):
        order = services.workorder_transition(actor=actor, order=order, action=action, **extra)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.secretary, order=order, action=Action.CALLBACK, rating=4, note="电话回访"
        )
    assert _rated_points(people.volunteer) == 10
    awards.catch_up_order_events()
    assert _rated_points(people.volunteer) == 10


def test_the_periodic_jobs_name_tasks_that_run(people):
    from django.utils.module_loading import import_string

    from gongzhi.jobs import PERIODIC_JOBS

    order = order_in(people, Status.RESOLVED)
    services.workorder_transition(actor=people.resident, order=order, action=Action.RATE, rating=5)
    ours = {job.name: job for job in PERIODIC_JOBS if job.name.startswith("points.")}
    assert set(ours) == {"points.catch_up_order_events", "points.expire"}
    assert import_string(ours["points.catch_up_order_events"].task).call() == {"applied": 2}
    assert import_string(ours["points.expire"].task).call() == {"expired": 0}
    assert _rated_points(people.volunteer) == 10
