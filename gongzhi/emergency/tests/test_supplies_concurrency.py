"""Outs at the same moment never take more than is in stock, and opposite transfers between
two stores never deadlock: the item rows are locked (both of a transfer's, in id order).
Real concurrent writers need PostgreSQL (SQLite serialises writers)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from gongzhi.emergency import supplies
from gongzhi.emergency.models import StockMovement, SupplyItem
from gongzhi.testing import build_world


def _race(calls, workers: int) -> dict[str, int]:
    start = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(call) -> None:
        try:
            start.wait(timeout=30)
            try:
                call()
                outcome = "moved"
            except ValidationError as exc:
                outcome = "refused: " + ",".join(sorted(exc.message_dict))
            except Exception as exc:  # anything else (a deadlock) fails the test
                outcome = f"error: {exc!r}"
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(attempt, call) for call in calls]
        start.set()
        for future in futures:
            future.result(timeout=120)
    return outcomes


def _out(item_id: int, secretary_id: int):
    def call():
        from gongzhi.accounts.models import User

        item = SupplyItem.objects.get(pk=item_id)
        supplies.stock_move(
            actor=User.objects.get(pk=secretary_id), item=item, kind="out", quantity=1
        )

    return call


def _transfer(from_id: int, to_id: int, secretary_id: int):
    def call():
        from gongzhi.accounts.models import User

        supplies.stock_move(
            actor=User.objects.get(pk=secretary_id),
            item=SupplyItem.objects.get(pk=from_id),
            kind="transfer",
            quantity=1,
            to_item=SupplyItem.objects.get(pk=to_id),
        )

    return call


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_outs_of_1_on_a_stock_of_10_leave_0_and_refuse_10():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    world = build_world()
    item = supplies.item_create(actor=None, area=world.community_a, name="口罩", unit="箱")
    supplies.stock_move(actor=None, item=item, kind="in", quantity=10)
    outcomes = _race([_out(item.pk, world.secretary.pk)] * 20, workers=20)
    assert outcomes == {"moved": 10, "refused: quantity": 10}, outcomes
    item.refresh_from_db()
    assert item.quantity == 0
    assert StockMovement.objects.filter(item=item, kind="out").count() == 10
    assert StockMovement.objects.filter(item=item).aggregate(s=Sum("delta"))["s"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_concurrent_transfers_neither_deadlock_nor_lose_stock():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises writers")
    world = build_world()
    a = supplies.item_create(actor=None, area=world.community_a, name="消毒液", unit="瓶")
    b = supplies.item_create(actor=None, area=world.grid_a1, name="消毒液", unit="瓶")
    supplies.stock_move(actor=None, item=a, kind="in", quantity=10)
    supplies.stock_move(actor=None, item=b, kind="in", quantity=10)
    calls = [_transfer(a.pk, b.pk, world.secretary.pk), _transfer(b.pk, a.pk, world.secretary.pk)]
    outcomes = _race(calls * 10, workers=20)
    assert outcomes == {"moved": 20}, outcomes
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.quantity + b.quantity == 20
    for item in (a, b):
        total = StockMovement.objects.filter(item=item).aggregate(s=Sum("delta"))["s"]
        assert item.quantity == total
