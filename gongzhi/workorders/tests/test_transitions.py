"""Every move of the cycle from every status: allowed where `states.ACTIONS` says, refused
(409, nothing changed) everywhere else; and the parts people play."""

import pytest

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.workorders import services, states
from gongzhi.workorders.models import Offer, TimelineEntry, WorkOrder
from gongzhi.workorders.rules import AlreadyTaken, IllegalTransition
from gongzhi.workorders.states import Action, Status, Who
from gongzhi.workorders.tests.factories import order_in

MOVES = [a for a, m in states.ACTIONS.items() if Who.SYSTEM not in m.who or len(m.who) > 1]


def test_the_actions_table_only_uses_edges_of_the_graph():
    states.check_graph()


def _actor(people, action):
    who = states.ACTIONS[action].who
    if Who.DISPATCHER in who or Who.CALLER in who:
        return people.secretary  # decides at the grid and at the community alike
    if Who.ASSIGNEE in who:
        return people.volunteer
    return people.resident


def _arguments(people, action):
    return {
        Action.DISPATCH: {"handlers": [people.volunteer]},
        Action.RATE: {"rating": 4, "note": "不错"},
        Action.CALLBACK: {"rating": 4, "note": "电话回访"},
    }.get(action, {"note": "理由"})


def _filed(people, action):
    """A callback is for orders filed on a resident's behalf; the rest, as the resident."""
    if action == Action.CALLBACK:
        return {"actor": people.grid_worker, "person": people.world.person_a1}
    return {}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", MOVES)
def test_each_move_from_each_status(people, action, status):
    order = order_in(people, status, **_filed(people, action))
    before = WorkOrder.objects.get(pk=order.pk)
    steps = TimelineEntry.objects.filter(order=order).count()
    actor = _actor(people, action)
    move = states.ACTIONS[action]

    if status in move.sources:
        after = services.workorder_transition(
            actor=actor, order=order, action=action, **_arguments(people, action)
        )
        if move.target is None:
            assert after.status == status
        elif move.target == Status.NEW:
            assert after.status in (Status.NEW, Status.ESCALATED, Status.DISPATCHED)
        else:
            assert after.status == move.target
        assert after.status in states.ALLOWED_TRANSITIONS[status] | {status}
        assert TimelineEntry.objects.filter(order=order).count() == steps + 1
        assert AuditEntry.objects.filter(
            action=f"workorder.{action}", object_id=str(order.pk)
        ).exists()
    else:
        # The handler cannot even see an order that was never offered to them.
        never_offered = Who.ASSIGNEE in move.who and status in (
            Status.NEW,
            Status.ESCALATED,
            Status.CANCELLED,
        )
        expected = NotFound if never_offered else Conflict
        with pytest.raises(expected):
            services.workorder_transition(
                actor=actor, order=order, action=action, **_arguments(people, action)
            )
        after = WorkOrder.objects.get(pk=order.pk)
        assert after.status == before.status
        assert TimelineEntry.objects.filter(order=order).count() == steps


def test_rating_an_order_that_is_not_resolved_is_refused(people):
    order = order_in(people, Status.IN_PROGRESS)

    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=5
        )


def test_rating_twice_is_refused(people):
    order = order_in(people, Status.CLOSED)

    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=1
        )
    assert WorkOrder.objects.get(pk=order.pk).rating == 5


@pytest.mark.parametrize("stars", [0, 6, None])
def test_a_rating_is_one_to_five_stars(people, stars):
    from django.core.exceptions import ValidationError

    order = order_in(people, Status.RESOLVED)

    with pytest.raises(ValidationError) as caught:
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.RATE, rating=stars
        )
    assert "rating" in caught.value.message_dict


def test_accepting_an_escalated_order_is_refused(people):
    order = order_in(people, Status.DISPATCHED)
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.ESCALATE, note="超出网格能力"
    )

    with pytest.raises(IllegalTransition) as caught:
        services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)
    assert caught.value.status == 409
    assert Offer.objects.get(order=order, handler=people.volunteer).outcome == "withdrawn"
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ESCALATED


def test_resolving_someone_elses_order_is_forbidden(people):
    order = order_in(people, Status.DISPATCHED)
    services.workorder_transition(
        actor=people.grid_worker,
        order=order,
        action=Action.DISPATCH,
        handlers=[people.volunteer, people.party_member],
    )
    services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.party_member, order=order, action=Action.RESOLVE, note="我来办结"
        )


def test_the_second_of_two_offered_handlers_is_told_someone_was_first(people):
    order = order_in(people, Status.NEW)
    services.workorder_transition(
        actor=people.grid_worker,
        order=order,
        action=Action.DISPATCH,
        handlers=[people.volunteer, people.party_member],
    )
    services.workorder_transition(actor=people.party_member, order=order, action=Action.ACCEPT)

    with pytest.raises(AlreadyTaken) as caught:
        services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)
    assert caught.value.code == "already_taken"
    order.refresh_from_db()
    assert order.assignee == people.party_member
    assert Offer.objects.get(order=order, handler=people.volunteer).outcome == "taken"


def test_a_decline_keeps_the_order_offered_while_others_may_accept(people):
    order = order_in(people, Status.NEW)
    services.workorder_transition(
        actor=people.grid_worker,
        order=order,
        action=Action.DISPATCH,
        handlers=[people.volunteer, people.party_member],
    )

    order = services.workorder_transition(
        actor=people.volunteer, order=order, action=Action.DECLINE, note="今天不在家"
    )
    assert order.status == Status.DISPATCHED
    order = services.workorder_transition(
        actor=people.party_member, order=order, action=Action.DECLINE, note="生病"
    )
    assert order.status == Status.NEW


def test_a_decline_needs_a_reason(people):
    from django.core.exceptions import ValidationError

    order = order_in(people, Status.DISPATCHED)

    with pytest.raises(ValidationError) as caught:
        services.workorder_transition(actor=people.volunteer, order=order, action=Action.DECLINE)
    assert "note" in caught.value.message_dict


def test_escalation_climbs_grid_community_street_and_stops(people, world):
    order = order_in(people, Status.NEW)
    assert order.level == world.grid_a1

    order = services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.ESCALATE, note="需社区协调"
    )
    assert (order.level, order.status) == (world.community_a, Status.ESCALATED)
    order = services.workorder_transition(
        actor=people.secretary, order=order, action=Action.ESCALATE, note="需街道协调"
    )
    assert order.level == world.street
    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.street, order=order, action=Action.ESCALATE, note="再往上"
        )


def test_the_grid_no_longer_decides_once_the_order_went_up(people):
    order = order_in(people, Status.ESCALATED)

    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.grid_worker,
            order=order,
            action=Action.DISPATCH,
            handlers=[people.volunteer],
        )
    order = services.workorder_transition(
        actor=people.secretary, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )
    assert order.status == Status.DISPATCHED


def test_a_declined_escalated_order_goes_back_to_its_level(people):
    order = order_in(people, Status.ESCALATED)
    services.workorder_transition(
        actor=people.secretary, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )

    order = services.workorder_transition(
        actor=people.volunteer, order=order, action=Action.DECLINE, note="不会修"
    )
    assert order.status == Status.ESCALATED


def test_reopening_restarts_the_cycle_and_counts(people):
    order = order_in(people, Status.RESOLVED)

    order = services.workorder_transition(
        actor=people.resident, order=order, action=Action.REOPEN, note="还在漏水"
    )
    assert (order.status, order.assignee, order.reopen_count) == (Status.NEW, None, 1)
    assert order.due_at is not None


def test_a_grid_worker_of_another_grid_cannot_see_the_order(people):
    order = order_in(people, Status.NEW)

    with pytest.raises(NotFound):
        services.workorder_transition(
            actor=people.grid_worker_b, order=order, action=Action.SOLVE, note="已处理"
        )


@pytest.mark.parametrize("who", ["volunteer", "resident", "street"])
def test_only_staff_of_the_level_dispatch(people, who):
    order = order_in(people, Status.NEW)
    actor = getattr(people, who)

    if who == "street":  # sees the street's orders, decides on what reaches the street
        services.workorder_transition(
            actor=actor, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
        )
        return
    expected = NotFound if who == "volunteer" else Forbidden
    with pytest.raises(expected):
        services.workorder_transition(
            actor=actor, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
        )


def test_dispatching_to_someone_outside_the_area_names_the_field(people, world):
    from django.core.exceptions import ValidationError

    order = order_in(people, Status.NEW)

    with pytest.raises(ValidationError) as caught:
        services.workorder_transition(
            actor=people.grid_worker,
            order=order,
            action=Action.DISPATCH,
            handlers=[people.grid_worker_b],
        )
    assert "handlers" in caught.value.message_dict


def test_staff_may_solve_it_themselves(people):
    order = order_in(people, Status.NEW)

    order = services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.SOLVE, note="电话指导已解决"
    )
    assert (order.status, order.resolved_by, order.assignee) == (
        Status.RESOLVED,
        people.grid_worker,
        None,
    )


def test_the_resident_may_cancel_before_anyone_accepts(people):
    order = order_in(people, Status.DISPATCHED)

    order = services.workorder_transition(
        actor=people.resident, order=order, action=Action.CANCEL, note="已自行解决"
    )
    assert order.status == Status.CANCELLED
    assert not Offer.objects.filter(order=order, closed_at__isnull=True).exists()


def test_every_move_has_a_row_in_the_step_table_and_the_fan_out():
    from gongzhi.workorders import fanout

    assert set(services.STEPS) == set(states.ACTIONS)
    # Every step but the handler's evidence has a row (the request itself too); the start
    # tells nobody (the resident sees it on the timeline).
    assert set(fanout.AUDIENCES) == set(Action) - {Action.EVIDENCE}
    assert fanout.AUDIENCES[Action.START] == ()
