"""Who rates and reopens an order (群众评单): the resident it serves, or their proxy — never
the staff who filed it for them or handled it. An order filed on a resident's behalf is
rated on a callback (回访): staff who did not handle it record what the resident said on
the phone, and the order, its timeline and its event say so."""

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.api.tests.conftest import Caller, assert_error
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.notifications.models import Notification
from gongzhi.workorders import events, filing, services
from gongzhi.workorders.models import Channel, TimelineEntry, WorkOrder
from gongzhi.workorders.rules import IllegalTransition
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import category, order_in


def _filed_and_solved_by_the_grid_worker(people, world) -> WorkOrder:
    """Issue 10's case: a grid worker files for 张晓明 (a phone call) and solves it."""
    order = filing.workorder_create(
        actor=people.grid_worker,
        category=category(),
        description="老人来电：楼道灯坏了",
        person=world.person_a1,
    )
    assert order.channel == Channel.STAFF
    return services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.SOLVE, note="已换灯泡"
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _still_waiting_for_the_resident(order: WorkOrder) -> None:
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.RESOLVED, None)
    assert not order.timeline.filter(action__in=[Action.RATE, Action.CALLBACK]).exists()


# --- staff cannot rate their own work ------------------------------------------------------------


def test_staff_who_filed_and_solved_an_order_cannot_rate_it(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.grid_worker, order=order, action=Action.RATE, rating=5
        )
    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.grid_worker, order=order, action=Action.REOPEN, note="再看看"
        )
    _still_waiting_for_the_resident(order)


def test_staff_cannot_rate_through_the_residents_pages(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)
    client = _client(people.grid_worker)

    page = client.get(reverse("workorders_resident:detail", args=[order.pk]))
    assert page.status_code == 200 and 'id="rate"' not in page.content.decode()
    rated = client.post(reverse("workorders_resident:rate", args=[order.pk]), {"rating": "5"})
    reopened = client.post(reverse("workorders_resident:reopen", args=[order.pk]), {"note": "x"})

    assert (rated.status_code, reopened.status_code) == (403, 403)
    _still_waiting_for_the_resident(order)


def test_staff_cannot_rate_through_the_api(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)
    worker = Caller(_client(people.grid_worker))

    assert_error(worker.post(f"/workorders/{order.pk}/rate", {"rating": 5}), 403, "forbidden")
    assert_error(worker.post(f"/workorders/{order.pk}/reopen", {"note": "x"}), 403, "forbidden")
    _still_waiting_for_the_resident(order)


def test_a_building_head_who_filed_for_a_household_cannot_rate_it(people, world):
    order = filing.workorder_create(
        actor=people.building_head,
        category=category(),
        description="101 室老人家水管爆了",
        household=world.household_a1,
    )
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.SOLVE, note="已修"
    )

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.building_head, order=order, action=Action.RATE, rating=5
        )
    _still_waiting_for_the_resident(order)


def test_the_resident_still_rates_after_staff_solved_it(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)
    client = _client(people.resident)

    page = client.get(reverse("workorders_resident:detail", args=[order.pk]))
    assert 'id="rate"' in page.content.decode()
    client.post(reverse("workorders_resident:rate", args=[order.pk]), {"rating": "4"})

    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_by_callback) == (Status.CLOSED, 4, False)
    entry = order.timeline.get(action=Action.RATE)
    assert entry.actor == people.resident and entry.on_behalf_of is None


def test_a_proxy_still_rates_for_the_person_they_act_for(people, world):
    from gongzhi.accounts.services import proxy_link_create

    proxy_link_create(
        user=people.resident, person=world.person_a2, relation="child", label="妈妈",
        actor=world.secretary,
    )  # fmt: skip
    order = filing.workorder_create(
        actor=people.secretary, category=category(), description="x", person=world.person_a2
    )
    services.workorder_transition(
        actor=people.grid_worker_b, order=order, action=Action.SOLVE, note="已处理"
    )
    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.secretary, order=order, action=Action.RATE, rating=5
        )

    services.workorder_transition(actor=people.resident, order=order, action=Action.RATE, rating=5)

    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.CLOSED, 5)


# --- the callback (回访) ---------------------------------------------------------------------------


def test_a_callback_by_whoever_solved_the_order_is_refused(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.grid_worker, order=order, action=Action.CALLBACK, rating=5
        )
    worker = Caller(_client(people.grid_worker))
    assert_error(worker.post(f"/workorders/{order.pk}/callback", {"rating": 5}), 403, "forbidden")
    page = _client(people.grid_worker).post(
        reverse("workorders:callback", args=[order.pk]), {"rating": "5"}
    )
    assert page.status_code == 403
    _still_waiting_for_the_resident(order)


def test_a_callback_by_the_volunteer_who_did_the_work_is_refused(people, world):
    order = filing.workorder_create(
        actor=people.grid_worker, category=category(), description="x", person=world.person_a1
    )
    for actor, action, extra in (
        (people.grid_worker, Action.DISPATCH, {"handlers": [people.volunteer]}),
        (people.volunteer, Action.ACCEPT, {}),
        (people.volunteer, Action.RESOLVE, {"note": "已修好"}),
    ):
        order = services.workorder_transition(actor=actor, order=order, action=action, **extra)

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.CALLBACK, rating=5
        )
    # The grid worker filed it but did not do the work: their callback is accepted.
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.CALLBACK, rating=4
    )
    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_by_callback) == (Status.CLOSED, 4, True)


def test_a_callback_by_other_staff_of_the_area_records_the_residents_rating_marked(
    people, world, django_capture_on_commit_callbacks
):
    order = _filed_and_solved_by_the_grid_worker(people, world)
    rated = []

    def listener(sender, event, **kwargs):
        rated.append(event)

    events.order_rated.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.workorder_transition(
                actor=people.secretary,
                order=order,
                action=Action.CALLBACK,
                rating=4,
                note="电话回访：满意",
            )
    finally:
        events.order_rated.disconnect(listener)

    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_by_callback) == (Status.CLOSED, 4, True)
    assert order.rating_comment == "电话回访：满意"
    entry = order.timeline.get(action=Action.CALLBACK)
    assert (entry.actor, entry.on_behalf_of, entry.rating) == (
        people.secretary,
        world.person_a1,
        4,
    )
    assert [(e.kind, e.rating, e.via_callback, e.id) for e in rated] == [
        ("order.rated", 4, True, entry.pk)
    ]
    assert events.events_since(entry.pk - 1)[0].via_callback is True
    audit = AuditEntry.objects.get(action="workorder.callback", object_id=str(order.pk))
    assert audit.purpose == f"on behalf of person {world.person_a1.pk}"
    # The one who solved it hears of the rating.
    assert Notification.objects.filter(
        recipient=people.grid_worker, kind="workorder.callback"
    ).exists()
    # The resident sees the step on their timeline, and can no longer rate.
    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=1
        )


def test_a_residents_own_rating_fires_one_event_not_marked_as_callback(
    people, django_capture_on_commit_callbacks
):
    rated = []

    def listener(sender, event, **kwargs):
        rated.append(event)

    events.order_rated.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order_in(people, Status.CLOSED)
    finally:
        events.order_rated.disconnect(listener)

    assert [(e.kind, e.via_callback) for e in rated] == [("order.rated", False)]


def test_a_callback_is_only_for_orders_filed_on_a_residents_behalf(people):
    order = order_in(people, Status.RESOLVED)  # the resident asked themselves

    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.secretary, order=order, action=Action.CALLBACK, rating=5
        )
    _still_waiting_for_the_resident(order)


def test_a_callback_needs_the_right_to_decide_in_the_orders_area(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)

    with pytest.raises(NotFound):  # another grid's worker does not see it
        services.workorder_transition(
            actor=people.grid_worker_b, order=order, action=Action.CALLBACK, rating=5
        )
    with pytest.raises(Forbidden):  # the resident rates themselves, not by callback
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.CALLBACK, rating=5
        )
    _still_waiting_for_the_resident(order)


def test_a_callback_over_the_api_and_the_workbench(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)
    secretary = _client(people.secretary)

    page = secretary.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert 'id="callback"' in page
    worker_page = _client(people.grid_worker).get(reverse("workorders:detail", args=[order.pk]))
    assert 'id="callback"' not in worker_page.content.decode()

    answer = Caller(secretary).post(f"/workorders/{order.pk}/callback", {"rating": 3})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["rating"], answer.json()["rating_by_callback"]) == (3, True)
    again = secretary.post(reverse("workorders:callback", args=[order.pk]), {"rating": "5"})
    assert again.status_code == 302
    order.refresh_from_db()
    assert order.rating == 3
    assert TimelineEntry.objects.filter(order=order, action=Action.CALLBACK).count() == 1


def test_a_callback_on_the_workbench_records_the_rating(people, world):
    order = _filed_and_solved_by_the_grid_worker(people, world)

    _client(people.secretary).post(
        reverse("workorders:callback", args=[order.pk]), {"rating": "5", "note": "满意"}
    )

    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_by_callback) == (Status.CLOSED, 5, True)
