"""Two votes for one person at the same moment (the person's own account and their proxy's,
in two transactions): the unique constraint lets exactly one through, the other is told on
`person`. Real concurrent writers need PostgreSQL (SQLite serialises them); on SQLite
`test_services.test_the_database_holds_one_vote_per_person` plays the losing side."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gongzhi.proposals import services
from gongzhi.proposals.models import Poll, Vote
from gongzhi.proposals.tests.conftest import open_poll

ROUNDS = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_votes_for_one_person_in_parallel_count_once(people):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    person_id = people.world.person_a1.pk
    for _round in range(ROUNDS):
        poll = open_poll(people)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def vote(user_id: int, poll_id: int = poll.pk, barrier=barrier, outcomes=outcomes):
            from gongzhi.registry.models import Person

            user = get_user_model().objects.get(pk=user_id)
            try:
                found = Poll.objects.get(pk=poll_id)
                barrier.wait(timeout=10)
                services.poll_vote(
                    actor=user, poll=found, person=Person.objects.get(pk=person_id),
                    option=found.options.first(),
                )  # fmt: skip
                outcomes[user.username] = "counted"
            except ValidationError as exc:
                outcomes[user.username] = f"refused on {sorted(exc.message_dict)}"
            except Exception as exc:  # anything else fails the test
                outcomes[user.username] = f"error: {exc!r}"
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=vote, args=(u.pk,)) for u in (people.resident, people.proxy)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes.values()) == ["counted", "refused on ['person']"], outcomes
        assert Vote.objects.filter(poll=poll).count() == 1
