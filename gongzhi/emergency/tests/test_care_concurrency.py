"""Moves and checks at the same moment: the case's row is locked for every write, so two
team members never move a case twice nor record two checks for one day. Real concurrent
writers need PostgreSQL (SQLite serialises writers)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gongzhi.core import clock
from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, CareTask, HealthCheck
from gongzhi.emergency.tests.care_factories import case_for
from gongzhi.testing import build_world


def _race(calls: list[Any]) -> dict[str, int]:
    start = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(call: Any) -> None:
        try:
            start.wait(timeout=30)
            try:
                call()
                outcome = "ok"
            except ValidationError as exc:
                outcome = "refused: " + ",".join(sorted(exc.message_dict))
            except Exception as exc:  # anything else fails the test
                outcome = f"error: {exc!r}"
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(attempt, call) for call in calls]
        start.set()
        for future in futures:
            future.result(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_and_checks_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    world = build_world()
    case = case_for(world.person_a1, step="sampling")

    def move() -> None:
        care.case_advance(actor=None, case=CareCase.objects.get(pk=case.pk), to_step="isolation")

    outcomes = _race([move] * 8)
    assert outcomes == {"ok": 1, "refused: step": 7}, outcomes
    assert CareTask.objects.filter(case=case, step="isolation").count() == 1

    def check() -> None:
        care.check_record(
            actor=None, case=CareCase.objects.get(pk=case.pk), day=clock.today(),
            temperature="36.6", symptoms=False,
        )  # fmt: skip

    outcomes = _race([check] * 8)
    assert outcomes == {"ok": 1, "refused: day": 7}, outcomes
    assert HealthCheck.objects.filter(case=case).count() == 1
