"""Corrections: adjustments (four eyes, reason required), reversals, expiry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.points import expiry, ledger
from gongzhi.points.adjustments import adjustment_decide, adjustment_propose, award_reverse
from gongzhi.points.ledger_selectors import hours_of
from gongzhi.points.models import AdjustmentStatus, EntryKind, LedgerEntry


@pytest.fixture
def staff(world):
    return world.by_role[Role.COMMUNITY_STAFF]


@pytest.fixture
def volunteer(world):
    return world.by_role[Role.VOLUNTEER]


def _award(holder, points, source, at=None, hours=0):
    entry, _ = ledger.entry_post(
        holder=holder, kind=EntryKind.AWARD, points=points, hours=hours, source=source, at=at
    )
    return entry


# --- adjustments ------------------------------------------------------------------------


def test_an_adjustment_is_posted_when_another_person_approves(world, staff, volunteer):
    proposed = adjustment_propose(
        actor=staff, holder=volunteer, points=15, hours="1.5", reason="补录三月活动"
    )
    assert proposed.status == AdjustmentStatus.PROPOSED and not LedgerEntry.objects.exists()
    done = adjustment_decide(actor=world.secretary, adjustment=proposed, approve=True)
    entry = LedgerEntry.objects.get(source=f"adjustment:{proposed.pk}")
    assert done.entry == entry and entry.kind == EntryKind.ADJUSTMENT
    assert (entry.created_by, entry.approved_by) == (staff, world.secretary)
    assert ledger.balance_of(volunteer) == 15 and hours_of(volunteer) == Decimal("1.5")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"points.adjustment_propose", "points.adjustment_approve"} <= actions
    with pytest.raises(IllegalTransition):
        adjustment_decide(actor=world.secretary, adjustment=proposed, approve=True)
    assert LedgerEntry.objects.count() == 1


def test_an_adjustment_without_a_reason_is_refused(staff, volunteer):
    with pytest.raises(ValidationError) as refused:
        adjustment_propose(actor=staff, holder=volunteer, points=5, reason=" ")
    assert "reason" in refused.value.message_dict


def test_a_mobile_number_in_a_reason_never_reaches_the_ledger(world, staff, volunteer):
    proposed = adjustment_propose(
        actor=staff, holder=volunteer, points=5, reason="电话13912345678确认补录"
    )
    adjustment_decide(actor=world.secretary, adjustment=proposed, approve=True)
    entry = LedgerEntry.objects.get()
    assert "13912345678" not in entry.reason and "13912345678" not in proposed.reason
    reversal = award_reverse(
        actor=staff, entry=_award(volunteer, 3, "signup:99"), reason="13912345678说重复了"
    )
    assert "13912345678" not in reversal.reason


def test_an_adjustment_moves_something(staff, volunteer):
    with pytest.raises(ValidationError) as refused:
        adjustment_propose(actor=staff, holder=volunteer, points=0, hours=0, reason="无")
    assert "points" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        adjustment_propose(actor=staff, holder=volunteer, points="x", reason="无")
    assert "points" in refused.value.message_dict


def test_the_proposer_never_approves(staff, volunteer):
    proposed = adjustment_propose(actor=staff, holder=volunteer, points=5, reason="补录")
    with pytest.raises(Forbidden):
        adjustment_decide(actor=staff, adjustment=proposed, approve=True)
    assert not LedgerEntry.objects.exists()


def test_nobody_adjusts_their_own_points(world, staff):
    with pytest.raises(Forbidden):
        adjustment_propose(actor=staff, holder=staff, points=5, reason="自己")
    proposed = adjustment_propose(actor=world.secretary, holder=staff, points=5, reason="补录")
    with pytest.raises(Forbidden):
        adjustment_decide(actor=staff, adjustment=proposed, approve=True)


def test_adjusting_needs_points_adjust_where_the_holder_counts(world, volunteer):
    with pytest.raises(NotFound):  # grid workers hold no points.adjust
        adjustment_propose(actor=world.grid_worker_a, holder=volunteer, points=5, reason="补录")
    third = world.community_b
    from gongzhi.testing import _user

    other = _user("staff_b", third, Role.COMMUNITY_STAFF)
    with pytest.raises(NotFound):
        adjustment_propose(actor=other, holder=volunteer, points=5, reason="补录")


def test_a_refused_adjustment_posts_nothing(world, staff, volunteer):
    proposed = adjustment_propose(actor=staff, holder=volunteer, points=5, reason="补录")
    done = adjustment_decide(actor=world.secretary, adjustment=proposed, approve=False)
    assert done.status == AdjustmentStatus.REFUSED and not LedgerEntry.objects.exists()


def test_a_debit_past_the_balance_is_refused_and_stays_proposed(world, staff, volunteer):
    proposed = adjustment_propose(actor=staff, holder=volunteer, points=-5, reason="多记了")
    with pytest.raises(ValidationError) as refused:
        adjustment_decide(actor=world.secretary, adjustment=proposed, approve=True)
    assert "points" in refused.value.message_dict
    proposed.refresh_from_db()
    assert proposed.status == AdjustmentStatus.PROPOSED and not LedgerEntry.objects.exists()


# --- reversals --------------------------------------------------------------------------


def test_staff_reverse_an_award_with_a_reason(staff, volunteer):
    award = _award(volunteer, 10, "signup:1", hours=2)
    with pytest.raises(ValidationError) as refused:
        award_reverse(actor=staff, entry=award, reason="")
    assert "reason" in refused.value.message_dict
    reversal = award_reverse(actor=staff, entry=award, reason="照片重复")
    assert (reversal.points, reversal.hours, reversal.reverses) == (-10, -2, award)
    assert ledger.balance_of(volunteer) == 0 and hours_of(volunteer) == 0
    with pytest.raises(ValidationError) as again:
        award_reverse(actor=staff, entry=award, reason="再来")
    assert "entry" in again.value.message_dict
    assert AuditEntry.objects.filter(action="points.reverse").count() == 1


def test_a_reversal_that_would_go_negative_is_refused_saying_so(staff, volunteer):
    award = _award(volunteer, 10, "signup:2")
    ledger.entry_post(holder=volunteer, kind=EntryKind.REDEMPTION, points=-8, source="redemption:1")
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        award_reverse(actor=staff, entry=award, reason="照片重复")
    assert "below zero" in refused.value.message_dict["points"][0]
    assert ledger.balance_of(volunteer) == ledger.sum_of(volunteer) == 2


def test_only_awards_are_reversed_and_only_by_adjusters(world, staff, volunteer):
    ledger.entry_post(holder=volunteer, kind=EntryKind.AWARD, points=5, source="signup:3")
    spent, _ = ledger.entry_post(
        holder=volunteer, kind=EntryKind.REDEMPTION, points=-5, source="redemption:2"
    )
    with pytest.raises(ValidationError) as refused:
        award_reverse(actor=staff, entry=spent, reason="取消")
    assert "entry" in refused.value.message_dict
    with pytest.raises(NotFound):
        award_reverse(actor=world.grid_worker_a, entry=spent, reason="取消")


# --- expiry -----------------------------------------------------------------------------


def _at(year, month=6):
    from django.utils import timezone

    return timezone.make_aware(dt.datetime(year, month, 1))


def test_points_expire_after_the_next_calendar_year_once(volunteer):
    _award(volunteer, 30, "signup:10", at=_at(2024))
    _award(volunteer, 20, "signup:11", at=_at(2025))
    ledger.entry_post(
        holder=volunteer, kind=EntryKind.REDEMPTION, points=-10, source="redemption:9",
        at=_at(2025, 9),
    )  # fmt: skip
    assert expiry.points_expire(today=dt.date(2025, 12, 31)) == 0  # 2024's last until 2025 ends
    assert expiry.points_expire(today=dt.date(2026, 1, 1)) == 1
    gone = LedgerEntry.objects.get(kind=EntryKind.EXPIRY)
    assert (gone.points, gone.source) == (-20, f"expiry:{volunteer.pk}:2024")  # 30 - 10 spent
    assert expiry.points_expire(today=dt.date(2026, 6, 1)) == 0  # idempotent
    assert expiry.points_expire(today=dt.date(2027, 1, 1)) == 1  # 2025's 20
    assert ledger.balance_of(volunteer) == ledger.sum_of(volunteer) == 0


def test_expiry_never_takes_more_than_the_balance_and_keeps_hours(volunteer):
    _award(volunteer, 10, "signup:12", at=_at(2020), hours=3)
    ledger.entry_post(holder=volunteer, kind=EntryKind.REDEMPTION, points=-10, source="r:12")
    assert expiry.points_expire(today=dt.date(2026, 1, 1)) == 0
    assert ledger.balance_of(volunteer) == 0 and hours_of(volunteer) == 3


@override_settings(GONGZHI_POINTS_EXPIRY_YEARS=0)
def test_no_expiry_when_the_setting_is_zero(volunteer):
    _award(volunteer, 10, "signup:13", at=_at(2000))
    assert expiry.points_expire(today=dt.date(2026, 1, 1)) == 0
