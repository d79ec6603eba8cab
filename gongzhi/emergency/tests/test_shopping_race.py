"""Two volunteers taking the same building's lists at the same moment: each list goes into
one run only, the other volunteer is told the lists are gone. Real concurrent writers need
PostgreSQL (SQLite serialises them)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gongzhi.accounts.models import Role
from gongzhi.emergency import shopping
from gongzhi.emergency.models import ShoppingList, SupplyRun
from gongzhi.emergency.tests.shopping_factories import (  # noqa: F401 (fixture)
    _default_categories,
    emergency,
    post,
    resident_of,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_in_parallel_on_postgresql_take_each_list_once(world):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers, "
            "so two runs could never race"
        )
    emergency(world.community_a)
    for n, name in enumerate(("陈一", "林二", "周三")):
        user = resident_of(world, world.building_a1, "2", f"{n + 1}01", name)
        post(user, user.person, ("大米", 1, "袋"))
    takers = [
        (world.by_role[Role.VOLUNTEER].pk, world.community_a),
        (world.grid_worker_a.pk, world.grid_a1),
    ]
    barrier = threading.Barrier(len(takers))
    outcomes: dict[int, str] = {}

    def take(user_id, area):
        user = get_user_model().objects.get(pk=user_id)  # own connection, own user object
        try:
            barrier.wait(timeout=10)
            shopping.run_create(actor=user, area=area, building_ids=[world.building_a1.pk])
            outcomes[user_id] = "run"
        except ValidationError as exc:
            outcomes[user_id] = f"refused: {exc.messages}"
        except Exception as exc:  # anything else is a failure of the test
            outcomes[user_id] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=taker) for taker in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    results = list(outcomes.values())
    assert len(results) == 2 and results.count("run") == 1, outcomes
    assert any(r.startswith("refused: ") for r in results), outcomes
    run = SupplyRun.objects.get()
    lists = ShoppingList.objects.all()
    assert {s.run_id for s in lists} == {run.pk}
    assert {s.workorder.assignee_id for s in lists} == {run.created_by_id}
