"""Ledger invariants under any sequence of movements (hypothesis): awards, redemptions,
reversals, expiries, adjustments and replays keep every balance equal to the sum of its
entries and never negative; a refused move writes nothing; a replay credits nothing."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.accounts.models import Role
from gongzhi.core.errors import DomainError
from gongzhi.points import expiry, ledger
from gongzhi.points.adjustments import adjustment_decide, adjustment_propose, award_reverse
from gongzhi.points.models import EntryKind, LedgerEntry, PointsAccount

YEARS = (2023, 2024, 2025)

move = st.one_of(
    st.tuples(st.just("award"), st.integers(0, 1), st.integers(1, 50), st.sampled_from(YEARS)),
    st.tuples(st.just("redeem"), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-40, 40)),
    st.tuples(st.just("replay"), st.integers(0, 30)),
    st.tuples(st.just("expire"), st.sampled_from((dt.date(2025, 1, 1), dt.date(2026, 1, 1)))),
)


def _state():
    accounts = dict(PointsAccount.objects.values_list("holder_id", "balance"))
    return LedgerEntry.objects.count(), accounts


def _apply(step, holders, staff, secretary, counter):
    kind = step[0]
    if kind == "award":
        _, who, points, year = step
        at = timezone.make_aware(dt.datetime(year, 5, 1))
        ledger.entry_post(
            holder=holders[who], kind=EntryKind.AWARD, points=points, hours=1,
            source=f"signup:{next(counter)}", at=at,
        )  # fmt: skip
    elif kind == "redeem":
        _, who, points = step
        ledger.entry_post(
            holder=holders[who], kind=EntryKind.REDEMPTION, points=-points,
            source=f"redemption:{next(counter)}",
        )  # fmt: skip
    elif kind == "reverse":
        awards = list(LedgerEntry.objects.filter(kind=EntryKind.AWARD).order_by("pk"))
        if awards:
            award_reverse(actor=staff, entry=awards[step[1] % len(awards)], reason="更正")
    elif kind == "adjust":
        _, who, points = step
        proposed = adjustment_propose(actor=staff, holder=holders[who], points=points, reason="补")
        adjustment_decide(actor=secretary, adjustment=proposed, approve=True)
    elif kind == "replay":
        entries = list(LedgerEntry.objects.order_by("pk"))
        if entries:
            old = entries[step[1] % len(entries)]
            before = _state()
            again, created = ledger.entry_post(
                holder=old.holder, kind=old.kind, points=old.points or 1, hours=old.hours,
                source=old.source,
            )  # fmt: skip
            assert (again.pk, created) == (old.pk, False) and _state() == before
    elif kind == "expire":
        expiry.points_expire(today=step[1])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(move, max_size=14))
def test_any_sequence_keeps_balance_equal_to_sum_and_never_negative(world, steps):
    import itertools

    holders = [world.by_role[Role.VOLUNTEER], world.resident]
    staff, secretary = world.by_role[Role.COMMUNITY_STAFF], world.secretary
    counter = itertools.count(1)
    with transaction.atomic():
        for step in steps:
            before = _state()
            try:
                with transaction.atomic():
                    _apply(step, holders, staff, secretary, counter)
            except (ValidationError, DomainError):
                assert _state() == before, f"a refused {step[0]} wrote something"
            for holder in holders:
                balance = ledger.balance_of(holder)
                assert balance == ledger.sum_of(holder), step
                assert balance >= 0
        transaction.set_rollback(True)
