"""Bookings at the same moment never overrun a session's capacity, nor book one person
twice: the session's row is locked while a place is taken. Real concurrent writers need
PostgreSQL (SQLite serialises writers, so bookings could never race there)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gongzhi.health import sessions
from gongzhi.health.models import Booking, TestingSession
from gongzhi.health.tests.session_factories import resident_of, session
from gongzhi.registry import services as registry
from gongzhi.testing import build_world, make_id_number


def _race(session_id: int, user_ids: list[int], workers: int) -> dict[str, int]:
    start = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(user_id: int) -> None:
        try:
            user = get_user_model().objects.select_related("person").get(pk=user_id)
            target = TestingSession.objects.get(pk=session_id)
            start.wait(timeout=30)
            try:
                sessions.booking_create(actor=user, session=target)
                outcome = "booked"
            except ValidationError as exc:
                outcome = "refused: " + ",".join(sorted(exc.message_dict))
            except Exception as exc:  # anything else fails the test
                outcome = f"error: {exc!r}"
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(attempt, user_id) for user_id in user_ids]
        start.set()
        for future in futures:
            future.result(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_60_concurrent_bookings_for_10_places_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    world = build_world()
    residents = []
    for i in range(30):
        person = registry.person_create(
            actor=None,
            household=world.household_a1,
            data={
                "name": "预约" + "甲乙丙丁戊己庚辛壬癸"[i % 10] * (1 + i // 10),
                "id_number": make_id_number(),
            },
        )
        residents.append(resident_of(person, username=f"race_{i}"))
    target = session(world.community_a, capacity=10)
    attempts = [u.pk for u in residents] * 2  # each tries twice at once
    outcomes = _race(target.pk, attempts, workers=20)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.get("booked") == 10, outcomes
    assert outcomes.get("refused: session") == 50, outcomes
    booked = Booking.objects.filter(session=target, status="booked")
    assert booked.count() == 10
    assert booked.values("person").distinct().count() == 10
