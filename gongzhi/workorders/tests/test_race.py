"""Two handlers accepting the same order at the same moment: exactly one wins, the other
is told clearly. Real concurrent writers need PostgreSQL (SQLite serialises them)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from gongzhi.workorders import services
from gongzhi.workorders.models import Offer, TimelineEntry, WorkOrder
from gongzhi.workorders.rules import AlreadyTaken
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import new_order

ROUNDS = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_in_parallel_on_postgresql_have_one_winner(people):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers, "
            "so two accepts could never race"
        )
    handlers = [people.volunteer, people.party_member]
    for _round in range(ROUNDS):
        order = new_order(people)
        services.workorder_transition(
            actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=handlers
        )
        barrier = threading.Barrier(len(handlers))
        outcomes: dict[str, str] = {}

        def accept(user_id: int, order_id: int = order.pk, barrier=barrier, outcomes=outcomes):
            user = get_user_model().objects.get(pk=user_id)  # own connection, own user object
            try:
                barrier.wait(timeout=10)
                services.workorder_transition(actor=user, order=order_id, action=Action.ACCEPT)
                outcomes[user.username] = "won"
            except AlreadyTaken as exc:
                outcomes[user.username] = f"taken: {exc.message}"
            except Exception as exc:  # anything else is a failure of the test
                outcomes[user.username] = f"error: {exc!r}"
            finally:
                connections.close_all()

        threads = [threading.Thread(target=accept, args=(h.pk,)) for h in handlers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        results = sorted(outcomes.values())
        assert len(results) == 2, outcomes
        assert results[1] == "won", outcomes
        assert results[0].startswith("taken: "), outcomes
        order = WorkOrder.objects.get(pk=order.pk)
        winner = next(name for name, result in outcomes.items() if result == "won")
        assert (order.status, order.assignee.username) == (Status.ACCEPTED, winner)
        assert TimelineEntry.objects.filter(order=order, action=Action.ACCEPT).count() == 1
        assert Offer.objects.filter(order=order, outcome="accepted").count() == 1
        assert Offer.objects.filter(order=order, outcome="taken").count() == 1
