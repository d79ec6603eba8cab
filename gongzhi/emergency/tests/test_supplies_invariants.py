"""Stock invariants under any sequence of movements (hypothesis): in, out, transfer, expiry
and stock counts over a few items keep every quantity at or above zero and equal to the sum
of its movements' deltas, with each movement's balance the running sum; transfers keep the
total; a refused movement writes nothing."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.emergency import supplies
from gongzhi.emergency.models import StockMovement, SupplyItem

move = st.one_of(
    st.tuples(st.just("in"), st.integers(0, 2), st.integers(1, 30)),
    st.tuples(st.just("out"), st.integers(0, 2), st.integers(-2, 30)),
    st.tuples(st.just("expiry"), st.integers(0, 2), st.integers(1, 30)),
    st.tuples(st.just("count"), st.integers(0, 2), st.integers(-1, 40)),
    st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(1, 30), st.integers(0, 2)),
)


def _state():
    quantities = dict(SupplyItem.objects.values_list("pk", "quantity"))
    return StockMovement.objects.count(), quantities


def _apply(step, items, actor):
    kind, which, quantity = step[:3]
    to_item = items[step[3]] if kind == "transfer" else None
    note = "盘点" if kind == "count" else ""
    supplies.stock_move(
        actor=actor, item=items[which], kind=kind, quantity=quantity, note=note, to_item=to_item
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(move, max_size=16))
def test_any_sequence_keeps_stock_equal_to_its_movements_and_never_negative(world, steps):
    with transaction.atomic():
        items = [
            supplies.item_create(actor=None, area=area, name="口罩", unit="个")
            for area in (world.community_a, world.grid_a1, world.grid_a2)
        ]
        for step in steps:
            before = _state()
            total_before = sum(before[1].values())
            try:
                with transaction.atomic():
                    _apply(step, items, world.secretary)
            except ValidationError:
                assert _state() == before, f"a refused {step[0]} wrote something"
                continue
            after = _state()[1]
            assert all(q >= 0 for q in after.values()), step
            if step[0] == "transfer":
                assert sum(after.values()) == total_before, "a transfer changed the total"
            for item in items:
                moves = StockMovement.objects.filter(item=item).order_by("at", "pk")
                total = moves.aggregate(s=Sum("delta"))["s"] or 0
                assert after[item.pk] == total, step
                running = 0
                for m in moves:
                    running += m.delta
                    assert m.balance_after == running
        transaction.set_rollback(True)
