"""The ledger's one write path: idempotent by cause, never below zero, balance = sum."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.points import ledger
from gongzhi.points.models import EntryKind, HolderKind, LedgerEntry


def test_a_replayed_cause_credits_once(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    first, created = ledger.entry_post(
        holder=volunteer, kind=EntryKind.AWARD, points=10, hours=2, source="proof:1"
    )
    again, created_again = ledger.entry_post(
        holder=volunteer, kind=EntryKind.AWARD, points=10, hours=2, source="proof:1"
    )
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert ledger.balance_of(volunteer) == ledger.sum_of(volunteer) == 10
    assert first.holder_kind == HolderKind.VOLUNTEER
    assert first.area_path == world.community_a.path  # where the role is held


def test_a_debit_past_the_balance_writes_nothing(world):
    resident = world.resident
    ledger.entry_post(holder=resident, kind=EntryKind.AWARD, points=5, source="proof:2")
    with pytest.raises(ValidationError) as refused:
        ledger.entry_post(
            holder=resident, kind=EntryKind.REDEMPTION, points=-6, source="redemption:1"
        )
    assert "points" in refused.value.message_dict
    assert not LedgerEntry.objects.filter(source="redemption:1").exists()
    assert ledger.balance_of(resident) == ledger.sum_of(resident) == 5


def test_a_reversal_is_a_new_entry_once_and_never_spends_what_is_gone(world):
    resident = world.resident
    award, _ = ledger.entry_post(
        holder=resident, kind=EntryKind.AWARD, points=8, hours=1, source="proof:3"
    )
    reversal, created = ledger.entry_reverse(entry=award, reason="duplicate", actor=None)
    again, created_again = ledger.entry_reverse(entry=award, reason="duplicate", actor=None)
    assert (created, created_again) == (True, False) and again.pk == reversal.pk
    assert (reversal.points, reversal.hours, reversal.reverses_id) == (-8, -1, award.pk)
    assert ledger.balance_of(resident) == 0 == ledger.sum_of(resident)
    award.refresh_from_db()
    assert award.points == 8  # the original entry is untouched
    spent, _ = ledger.entry_post(holder=resident, kind=EntryKind.AWARD, points=3, source="p:4")
    ledger.entry_post(holder=resident, kind=EntryKind.REDEMPTION, points=-3, source="r:2")
    with pytest.raises(ValidationError):
        ledger.entry_reverse(entry=spent, reason="mistake", actor=None)
    with pytest.raises(ValidationError):
        ledger.entry_reverse(entry=reversal, reason="undo", actor=None)
