"""Two people switching the same community at the same moment (the secretary and the street
officer): exactly one switch, the other is told the community is in that mode already.
Real concurrent writers need PostgreSQL (SQLite serialises them)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gongzhi.accounts.models import Role
from gongzhi.emergency import switching
from gongzhi.emergency.models import Mode, ModeState, ModeSwitch
from gongzhi.registry.models import Area


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_switches_in_parallel_on_postgresql_make_one(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    actors = [world.secretary, world.by_role[Role.STREET_OFFICER]]
    barrier = threading.Barrier(len(actors))
    outcomes: dict[str, str] = {}

    def switch(user_id: int) -> None:
        user = get_user_model().objects.get(pk=user_id)
        try:
            barrier.wait(timeout=10)
            switching.mode_switch(
                actor=user, area=Area.objects.get(pk=world.community_a.pk),
                to_mode=Mode.EMERGENCY, kind="fire", reason="火情",
            )  # fmt: skip
            outcomes[user.username] = "switched"
        except ValidationError as exc:
            outcomes[user.username] = f"refused: {sorted(exc.message_dict)}"
        except Exception as exc:  # anything else is a failure of the test
            outcomes[user.username] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=switch, args=(a.pk,)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused: ['mode']", "switched"], outcomes
    assert ModeState.objects.filter(area=world.community_a).count() == 1
    assert ModeSwitch.objects.filter(area=world.community_a).count() == 1
