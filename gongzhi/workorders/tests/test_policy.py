"""The per-object rules (`policy.py`): which part each person plays for an order, and
which steps the workbench offers them."""

from gongzhi.workorders import filing, policy, services
from gongzhi.workorders.states import ACTIONS, Action, Status, Who
from gongzhi.workorders.tests.factories import category, order_in


def _parts(people, order, action):
    cast = {
        "resident": people.resident,
        "volunteer": people.volunteer,
        "grid_worker": people.grid_worker,
        "grid_worker_b": people.grid_worker_b,
        "secretary": people.secretary,
    }
    return {name: policy.part(user, order, ACTIONS[action].who) for name, user in cast.items()}


def test_the_parts_people_play_in_rating_an_order_the_resident_asked_for(people):
    order = order_in(people, Status.RESOLVED)

    assert _parts(people, order, Action.RATE) == {
        "resident": Who.SERVED,
        "volunteer": None,
        "grid_worker": None,
        "grid_worker_b": None,
        "secretary": None,
    }
    assert _parts(people, order, Action.DISPATCH)["grid_worker"] == Who.DISPATCHER
    assert _parts(people, order, Action.RESOLVE)["volunteer"] == Who.ASSIGNEE
    assert policy.part(None, order, ACTIONS[Action.ESCALATE].who) == Who.SYSTEM
    assert policy.part(None, order, ACTIONS[Action.RATE].who) is None


def test_staff_who_filed_for_a_resident_are_requesters_but_not_served(people, world):
    order = filing.workorder_create(
        actor=people.grid_worker, category=category(), description="x", person=world.person_a1
    )

    assert policy.is_requester(people.grid_worker, order)
    assert not policy.is_served(people.grid_worker, order)
    assert policy.is_served(people.resident, order)
    assert policy.acting_for(people.resident, order, Who.SERVED) is None  # their own record
    assert policy.acting_for(people.secretary, order, Who.CALLER) == world.person_a1


def test_the_workbench_offers_the_callback_only_to_staff_who_did_not_handle_it(people, world):
    order = filing.workorder_create(
        actor=people.grid_worker, category=category(), description="x", person=world.person_a1
    )
    order = services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.SOLVE, note="已处理"
    )

    assert policy.rights(people.secretary, order)["callback"]
    assert not policy.rights(people.grid_worker, order)["callback"]
    assert not policy.rights(people.volunteer, order)["callback"]
    assert not any(policy.rights(people.secretary, order_in(people, Status.RESOLVED)).values())
