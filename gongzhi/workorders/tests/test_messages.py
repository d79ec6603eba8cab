"""Who hears of each step (issue 12 §5 "Notifications"): one message per person per step,
the resident's messages to the resident served, handled means read."""

from collections import Counter

import pytest

from gongzhi.accounts.models import User
from gongzhi.notifications.models import Notification
from gongzhi.workorders import services
from gongzhi.workorders.states import Action
from gongzhi.workorders.tests.factories import new_order

pytestmark = pytest.mark.django_db


def _step(capture, actor, order, action, **kw):
    with capture(execute=True):
        return services.workorder_transition(actor=actor, order=order, action=action, **kw)


def _messages() -> Counter:
    """(username, step) → how many messages; then forget them, for the next step."""
    found = Counter(
        (n.recipient.username, n.kind) for n in Notification.objects.select_related("recipient")
    )
    Notification.objects.all().delete()
    return found


def _cycle(people, capture, **filing):
    """A whole order: filed, dispatched, accepted, started, resolved; messages per step."""
    with capture(execute=True):
        order = new_order(people, **filing)
    steps = {"create": _messages()}
    order = _step(capture, people.grid_worker, order, Action.DISPATCH, handlers=[people.volunteer])
    steps["dispatch"] = _messages()
    for action in (Action.ACCEPT, Action.START):
        order = _step(capture, people.volunteer, order, action)
        steps[action] = _messages()
    order = _step(capture, people.volunteer, order, Action.RESOLVE, note="已修好")
    steps["resolve"] = _messages()
    return order, steps


def test_nobody_gets_two_messages_for_one_step(people, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    # The secretary files for a resident in grid A1; the grid worker escalates it to the
    # community, where the secretary decides: one message to them, not two alike.
    order = new_order(people, actor=people.secretary, person=people.world.person_a1)
    Notification.objects.all().delete()
    _step(capture, people.grid_worker, order, Action.ESCALATE, note="需社区协调")
    counts = _messages()
    assert counts[(people.secretary.username, "workorder.escalate")] == 1
    by_user = Counter(user for user, _kind in counts)
    assert by_user and max(by_user.values()) == 1, by_user


def test_a_resident_hears_only_the_steps_that_concern_them(
    people, django_capture_on_commit_callbacks
):
    # Filed by the building head for the resident: received, accepted, resolved — once each.
    _order, steps = _cycle(
        people,
        django_capture_on_commit_callbacks,
        actor=people.building_head,
        person=people.world.person_a1,
    )
    resident = people.resident.username
    heard = {
        step: sum(n for (u, _k), n in counts.items() if u == resident)
        for step, counts in steps.items()
    }
    assert heard == {"create": 1, "dispatch": 0, "accept": 1, "start": 0, "resolve": 1}


def test_a_resident_who_filed_it_is_not_told_they_filed_it(
    people, django_capture_on_commit_callbacks
):
    _order, steps = _cycle(people, django_capture_on_commit_callbacks)
    resident = people.resident.username
    total = sum(
        n for counts in steps.values() for (user, _k), n in counts.items() if user == resident
    )
    assert total == 2  # accepted; resolved, please rate


def test_a_staff_filed_order_never_sends_the_residents_messages_to_the_filer(
    people, django_capture_on_commit_callbacks
):
    # The person has no account: the grid worker who filed it is told nothing meant for the
    # resident ("您的诉求 … 请评价"); staff are asked to call the resident back instead.
    User.objects.filter(person=people.world.person_a1).update(person=None)
    _order, steps = _cycle(
        people,
        django_capture_on_commit_callbacks,
        actor=people.grid_worker,
        person=people.world.person_a1,
    )
    for counts in steps.values():
        for (user, kind), _n in counts.items():
            assert not (user == people.grid_worker.username and kind == "workorder.resolve")
    callers = {user for (user, kind) in steps["resolve"] if kind == "workorder.callback_due"}
    assert callers and people.volunteer.username not in callers
    assert people.grid_worker.username not in {
        user for (user, kind) in steps["resolve"] if kind == "workorder.resolve"
    }


def test_a_staff_filed_order_tells_the_person_served_through_their_account(
    people, django_capture_on_commit_callbacks
):
    _order, steps = _cycle(
        people,
        django_capture_on_commit_callbacks,
        actor=people.grid_worker,
        person=people.world.person_a1,
    )
    assert steps["resolve"][(people.resident.username, "workorder.resolve")] == 1
    assert steps["resolve"][(people.grid_worker.username, "workorder.resolve")] == 0


def test_each_escalation_sends_one_message_to_each_decider(
    people, django_capture_on_commit_callbacks
):
    order = new_order(people)
    Notification.objects.all().delete()
    _step(
        django_capture_on_commit_callbacks,
        people.grid_worker,
        order,
        Action.ESCALATE,
        note="需协调",
    )
    counts = _messages()
    assert counts[(people.secretary.username, "workorder.escalate")] == 1
    assert counts[(people.resident.username, "workorder.escalate")] == 0
    assert set(counts.values()) == {1}


def test_opening_the_order_marks_its_messages_read(
    people, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = new_order(people)
    note = Notification.objects.get(recipient=people.grid_worker, kind="workorder.create")
    other = Notification.objects.create(recipient=people.grid_worker, kind="system", title="x")
    client.force_login(people.grid_worker)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.is_read and not other.is_read


def test_acting_on_the_order_marks_its_messages_read(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = new_order(people)
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )
    assert not Notification.objects.filter(recipient=people.grid_worker, read_at__isnull=True)


def test_a_resident_opening_their_request_reads_its_messages(
    people, client, django_capture_on_commit_callbacks
):
    order = new_order(people, actor=people.building_head, person=people.world.person_a1)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.workorder_transition(
            actor=people.grid_worker,
            order=order,
            action=Action.DISPATCH,
            handlers=[people.volunteer],
        )
        order = services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.ACCEPT
        )
    assert Notification.objects.filter(recipient=people.resident, read_at__isnull=True).exists()
    client.force_login(people.resident)
    assert client.get(f"/m/orders/{order.pk}/").status_code == 200
    assert not Notification.objects.filter(recipient=people.resident, read_at__isnull=True).exists()
