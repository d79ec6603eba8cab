"""Rewards (能量仓): the catalogue, redemption, vouchers and the hand-over, and every refusal."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import proxy_link_create, user_create
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.points import ledger, reward_selectors, rewards
from gongzhi.points.models import EntryKind, LedgerEntry, Redemption, RedemptionStatus, Reward

_award = itertools.count(1)


def give(holder, points):
    ledger.entry_post(
        holder=holder, kind=EntryKind.AWARD, points=points, source=f"test-award:{next(_award)}"
    )


@pytest.fixture
def staff(world):
    return world.by_role[Role.COMMUNITY_STAFF]


@pytest.fixture
def reward(world, staff):
    return rewards.reward_create(
        actor=staff, community=world.community_a, name="洗衣液", price=30, stock=2
    )


def fields(excinfo):
    return excinfo.value.message_dict


def code_of(excinfo, field):
    return excinfo.value.error_dict[field][0].code


# --- the catalogue ------------------------------------------------------------------------


def test_staff_keep_the_catalogue_of_their_community(world, staff, reward):
    assert (reward.area_path, reward.stock, reward.active) == (world.community_a.path, 2, True)
    rewards.reward_update(actor=staff, reward=reward, name="大瓶洗衣液", price=40)
    rewards.reward_restock(actor=staff, reward=reward, add=3)
    reward.refresh_from_db()
    assert (reward.name, reward.price, reward.stock) == ("大瓶洗衣液", 40, 5)
    rewards.reward_retire(actor=staff, reward=reward)
    reward.refresh_from_db()
    assert not reward.active
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"rewards.reward_create", "rewards.reward_restock", "rewards.reward_retire"} <= actions


def test_a_grid_worker_cannot_keep_the_catalogue(world):
    with pytest.raises(Forbidden):
        rewards.reward_create(
            actor=world.grid_worker_a, community=world.community_a, name="x", price=1
        )


def test_staff_of_another_community_cannot_keep_this_catalogue(world, staff):
    with pytest.raises(Forbidden):
        rewards.reward_create(actor=staff, community=world.community_b, name="x", price=1)


def test_a_reward_needs_a_name_a_positive_price_and_a_community(world, staff):
    with pytest.raises(ValidationError) as refused:
        rewards.reward_create(actor=staff, community=world.grid_a1, name=" ", price=0, stock=-1)
    assert set(fields(refused)) == {"community", "name", "price", "stock"}


def test_restock_needs_a_positive_number(staff, reward):
    with pytest.raises(ValidationError) as refused:
        rewards.reward_restock(actor=staff, reward=reward, add=0)
    assert "add" in fields(refused)


# --- redemption ---------------------------------------------------------------------------


def test_a_resident_redeems_and_gets_a_voucher(world, reward):
    resident = world.resident
    give(resident, 50)
    redemption = rewards.redeem(actor=resident, reward=reward)
    reward.refresh_from_db()
    assert reward.stock == 1
    assert ledger.balance_of(resident) == ledger.sum_of(resident) == 20
    entry = LedgerEntry.objects.get(source=f"redemption:{redemption.pk}")
    assert (entry.kind, entry.points, entry.created_by) == (EntryKind.REDEMPTION, -30, resident)
    assert redemption.entry == entry and redemption.status == RedemptionStatus.ISSUED
    assert len(redemption.voucher) == rewards.VOUCHER_LENGTH
    assert set(redemption.voucher) <= set(rewards.VOUCHER_ALPHABET)


def test_redeeming_more_than_the_balance_is_refused_and_writes_nothing(world, reward):
    give(world.resident, 29)
    with pytest.raises(ValidationError) as refused:
        rewards.redeem(actor=world.resident, reward=reward)
    assert code_of(refused, "points") == "not_enough_points"
    assert "30" in fields(refused)["points"][0]
    reward.refresh_from_db()
    assert reward.stock == 2
    assert not Redemption.objects.exists()
    assert ledger.balance_of(world.resident) == ledger.sum_of(world.resident) == 29


def test_redeeming_out_of_stock_is_refused(world, staff):
    empty = rewards.reward_create(
        actor=staff, community=world.community_a, name="月饼", price=5, stock=0
    )
    give(world.resident, 50)
    with pytest.raises(ValidationError) as refused:
        rewards.redeem(actor=world.resident, reward=empty)
    assert code_of(refused, "reward") == "out_of_stock"
    assert ledger.balance_of(world.resident) == 50


def test_the_last_item_goes_once(world, reward):
    volunteer = world.by_role[Role.VOLUNTEER]
    give(world.resident, 100)
    give(volunteer, 100)
    rewards.redeem(actor=world.resident, reward=reward)
    rewards.redeem(actor=volunteer, reward=reward)
    with pytest.raises(ValidationError):
        rewards.redeem(actor=world.resident, reward=reward)
    reward.refresh_from_db()
    assert reward.stock == 0
    assert ledger.balance_of(world.resident) == 70


def test_a_withdrawn_reward_cannot_be_redeemed(world, staff, reward):
    rewards.reward_retire(actor=staff, reward=reward)
    give(world.resident, 50)
    with pytest.raises(ValidationError) as refused:
        rewards.redeem(actor=world.resident, reward=reward)
    assert code_of(refused, "reward") == "inactive"


def test_a_holder_outside_the_community_cannot_redeem(world, reward):
    give(world.outsider, 50)
    worker_b_elsewhere = world.grid_worker_b  # grid A2: inside community A, may redeem
    give(worker_b_elsewhere, 50)
    with pytest.raises(ValidationError) as refused:
        rewards.redeem(actor=world.outsider, reward=reward)
    assert code_of(refused, "reward") == "outside"
    street = world.by_role[Role.STREET_OFFICER]  # above the community, not inside it
    give(street, 50)
    with pytest.raises(ValidationError):
        rewards.redeem(actor=street, reward=reward)
    rewards.redeem(actor=worker_b_elsewhere, reward=reward)


def test_a_resident_living_in_the_community_may_redeem_without_a_role(world, reward):
    parent = user_create(username="parent", password=None, display_name="parent")
    parent.person = world.person_a1  # household in building A1
    parent.save()
    give(parent, 30)
    assert rewards.redeem(actor=parent, reward=reward).holder == parent


def test_a_proxy_redeems_with_the_parents_points(world, reward):
    parent = user_create(username="parent", password=None, display_name="parent")
    parent.person = world.person_a2
    parent.save()
    child = user_create(username="child", password=None, display_name="child")
    give(parent, 40)
    with pytest.raises(Forbidden):  # no link yet
        rewards.redeem(actor=child, reward=reward, holder=parent)
    proxy_link_create(user=child, person=world.person_a2, relation="child")
    redemption = rewards.redeem(actor=child, reward=reward, holder=parent)
    assert (redemption.holder, redemption.redeemed_by) == (parent, child)
    assert ledger.balance_of(parent) == 10 and ledger.balance_of(child) == 0
    assert reward_selectors.voucher_get_own(user=child, redemption_id=redemption.pk)


def test_voucher_codes_differ(world, staff):
    many = rewards.reward_create(
        actor=staff, community=world.community_a, name="纸巾", price=1, stock=20
    )
    give(world.resident, 20)
    codes = {rewards.redeem(actor=world.resident, reward=many).voucher for _ in range(20)}
    assert len(codes) == 20


# --- cancel ------------------------------------------------------------------------------


def test_cancel_before_hand_over_gives_stock_and_points_back_once(world, reward):
    give(world.resident, 30)
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    rewards.redemption_cancel(actor=world.resident, redemption=redemption)
    reward.refresh_from_db()
    assert reward.stock == 2
    assert ledger.balance_of(world.resident) == ledger.sum_of(world.resident) == 30
    with pytest.raises(ValidationError) as refused:
        rewards.redemption_cancel(actor=world.resident, redemption=redemption)
    assert "voucher" in fields(refused)
    reward.refresh_from_db()
    assert reward.stock == 2 and ledger.balance_of(world.resident) == 30
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


def test_someone_else_cannot_cancel_a_voucher(world, reward):
    give(world.resident, 30)
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    with pytest.raises(Forbidden):
        rewards.redemption_cancel(actor=world.by_role[Role.VOLUNTEER], redemption=redemption)


# --- hand-over ---------------------------------------------------------------------------


def test_hand_over_by_scanning_or_typing_once(world, reward):
    give(world.resident, 60)
    first = rewards.redeem(actor=world.resident, reward=reward)
    typed = rewards.voucher_display(first.voucher).lower()  # typed with a dash, lower case
    handed = rewards.voucher_hand_over(actor=world.grid_worker_a, code=typed)
    assert handed.status == RedemptionStatus.HANDED_OVER
    assert handed.handed_over_by == world.grid_worker_a
    audit = AuditEntry.objects.get(action="rewards.hand_over")
    assert first.voucher not in (audit.purpose + audit.object_label)
    with pytest.raises(ValidationError) as refused:
        rewards.voucher_hand_over(actor=world.grid_worker_a, code=first.voucher)
    assert code_of(refused, "code") == "handed_over"
    with pytest.raises(ValidationError):
        rewards.redemption_cancel(actor=world.resident, redemption=first)


def test_a_cancelled_voucher_is_not_handed_over(world, reward):
    give(world.resident, 30)
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    rewards.redemption_cancel(actor=world.resident, redemption=redemption)
    with pytest.raises(ValidationError) as refused:
        rewards.voucher_hand_over(actor=world.grid_worker_a, code=redemption.voucher)
    assert code_of(refused, "code") == "cancelled"


def test_staff_of_another_community_see_an_unknown_code(world, reward):
    give(world.resident, 30)
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    other = user_create(username="worker_b1", password=None, display_name="b1")
    from gongzhi.accounts.services import membership_grant

    membership_grant(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    with pytest.raises(ValidationError) as refused:
        rewards.voucher_hand_over(actor=other, code=redemption.voucher)
    with pytest.raises(ValidationError) as unknown:
        rewards.voucher_hand_over(actor=other, code="ZZZZZZZZZZ")
    assert fields(refused) == fields(unknown)  # no oracle: the same answer
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.ISSUED


def test_roles_without_hand_out_cannot_look_up_vouchers(world):
    with pytest.raises(NotFound):
        rewards.voucher_hand_over(actor=world.resident, code="ABCDEFGHJK")


@override_settings(GONGZHI_RATE_VOUCHER_MISS="3/10min")
def test_wrong_codes_are_throttled_per_staff_member_and_audited(world, reward):
    give(world.resident, 30)
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    for _ in range(3):
        with pytest.raises(ValidationError):
            rewards.voucher_hand_over(actor=world.grid_worker_a, code="ZZZZZZZZZZ")
    with pytest.raises(rewards.TooManyWrongVouchers):  # even the right code, for a while
        rewards.voucher_hand_over(actor=world.grid_worker_a, code=redemption.voucher)
    assert AuditEntry.objects.filter(action="rewards.voucher_lookup_refused").count() == 1
    # Another staff member is not held up by the first one's typing.
    staff = world.by_role[Role.COMMUNITY_STAFF]
    assert rewards.voucher_hand_over(actor=staff, code=redemption.voucher).handed_over_by == staff


def test_the_catalogue_shows_the_holders_communities_only(world, staff, reward):
    rewards.reward_create(
        actor=world.secretary, community=world.community_a, name="香皂", price=5, stock=1
    )
    assert {r.name for r in reward_selectors.catalogue_for(holder=world.resident)} == {
        "洗衣液",
        "香皂",
    }
    assert not reward_selectors.catalogue_for(holder=world.outsider).exists()
    rewards.reward_retire(actor=staff, reward=reward)
    assert {r.name for r in reward_selectors.catalogue_for(holder=world.resident)} == {"香皂"}
    assert list(Reward.objects.restrict(world.grid_worker_a, rewards.Perm.REWARDS_MANAGE)) == []
