"""Supply items and stock movements: who may write, what is refused (naming the field,
writing nothing), what is recorded and audited."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.emergency import supplies
from gongzhi.emergency.models import StockMovement, SupplyItem
from gongzhi.emergency.tests.supply_factories import item, space

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.message_dict)


def test_staff_create_an_item_in_the_community_store(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    made = supplies.item_create(
        actor=staff, area=world.community_a, name=" 口罩 ", unit="个", category="防护",
        minimum=100, expires_on=dt.date(2027, 1, 1),
    )  # fmt: skip
    assert (made.name, made.quantity, made.area_path) == ("口罩", 0, world.community_a.path)
    entry = AuditEntry.objects.get(action="supply.item_create")
    assert entry.object_label == f"#{made.pk}" and entry.area_path == world.community_a.path


def test_grid_leader_creates_in_own_grid_but_not_the_community(world):
    leader = world.by_role[Role.GRID_LEADER]
    supplies.item_create(actor=leader, area=world.grid_a1, name="沙袋", unit="个")
    with pytest.raises(Forbidden):
        supplies.item_create(actor=leader, area=world.community_a, name="沙袋", unit="个")


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.POLICE, Role.DOCTOR, Role.RESIDENT])
def test_roles_without_supply_manage_cannot_create(world, role):
    with pytest.raises(Forbidden):
        supplies.item_create(actor=world.by_role[role], area=world.grid_a1, name="沙袋", unit="个")


def test_an_item_lives_in_a_community_or_grid_only(world):
    with pytest.raises(ValidationError) as exc:
        supplies.item_create(actor=None, area=world.building_a1, name="沙袋", unit="个")
    assert _fields(exc) == {"area"}


def test_the_same_name_and_unit_twice_in_a_store_is_refused_naming_name(world):
    item(world.community_a, "口罩", "个")
    with pytest.raises(ValidationError) as exc:
        supplies.item_create(actor=None, area=world.community_a, name="口罩", unit="个")
    assert _fields(exc) == {"name"}
    # another unit, or another store, is another item
    item(world.community_a, "口罩", "箱")
    item(world.grid_a1, "口罩", "个")


def test_bad_fields_are_all_named_at_once(world):
    with pytest.raises(ValidationError) as exc:
        supplies.item_create(
            actor=None, area=world.community_a, name="", unit="x" * 11, minimum=-1,
            expires_on="tomorrow",
        )  # fmt: skip
    assert _fields(exc) == {"name", "unit", "minimum", "expires_on"}
    assert not SupplyItem.objects.exists()


def test_a_space_of_another_community_is_refused(world):
    other = space(world.community_b, "江边仓库", "store", 1)
    with pytest.raises(ValidationError) as exc:
        supplies.item_create(actor=None, area=world.grid_a1, name="米", unit="袋", space=other)
    assert _fields(exc) == {"space"}
    own = space(world.community_a, "玉岭仓库", "store", 1)
    assert (
        supplies.item_create(actor=None, area=world.grid_a1, name="米", unit="袋", space=own).space
        == own
    )


def test_update_changes_fields_not_quantity_and_refuses_a_duplicate(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    rice = item(world.community_a, "大米", "袋", stock=5)
    item(world.community_a, "食用油", "桶")
    with pytest.raises(ValidationError) as exc:
        supplies.item_update(actor=staff, item=rice, name="食用油", unit="桶")
    assert _fields(exc) == {"name"}
    supplies.item_update(actor=staff, item=rice, name="大米", unit="袋", minimum=10)
    rice.refresh_from_db()
    assert (rice.minimum, rice.quantity) == (10, 5)
    assert AuditEntry.objects.filter(action="supply.item_update").get().fields == ["minimum"]


def test_update_outside_scope_is_forbidden(world):
    rice = item(world.community_b, "大米", "袋")
    with pytest.raises(Forbidden):
        supplies.item_update(actor=world.secretary, item=rice, name="大米", unit="袋")


# --- movements -------------------------------------------------------------------------------


def test_in_and_out_record_deltas_and_balances(world):
    masks = item(world.community_a, "口罩", "个")
    first = supplies.stock_move(actor=world.secretary, item=masks, kind="in", quantity=50)
    second = supplies.stock_move(actor=world.secretary, item=masks, kind="out", quantity=20)
    third = supplies.stock_move(actor=world.secretary, item=masks, kind="expiry", quantity=5)
    assert [(m.kind, m.delta, m.balance_after) for m in (first, second, third)] == [
        ("in", 50, 50), ("out", -20, 30), ("expiry", -5, 25),
    ]  # fmt: skip
    masks.refresh_from_db()
    assert masks.quantity == 25
    assert sorted(AuditEntry.objects.filter(action__startswith="supply.").values_list(
        "action", flat=True
    )) == ["supply.expiry", "supply.in", "supply.item_create", "supply.out"]  # fmt: skip


def test_going_below_zero_is_refused_naming_quantity_and_writes_nothing(world):
    masks = item(world.community_a, "口罩", "个", stock=3)
    before = StockMovement.objects.count(), AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        supplies.stock_move(actor=world.secretary, item=masks, kind="out", quantity=4)
    assert exc.value.message_dict == {"quantity": ["Not enough in stock: 3个 on hand."]}
    masks.refresh_from_db()
    assert masks.quantity == 3
    assert (StockMovement.objects.count(), AuditEntry.objects.count()) == before


def test_the_refusal_reads_in_chinese(world):
    masks = item(world.community_a, "口罩", "个", stock=3)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        supplies.stock_move(actor=world.secretary, item=masks, kind="expiry", quantity=9)
    assert exc.value.message_dict["quantity"] == ["库存不足：现有 3个"]


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "3", True, None, 10**7])
def test_quantity_is_a_positive_whole_number(world, quantity):
    masks = item(world.community_a, "口罩", "个", stock=3)
    with pytest.raises(ValidationError) as exc:
        supplies.stock_move(actor=world.secretary, item=masks, kind="in", quantity=quantity)
    assert _fields(exc) == {"quantity"}


def test_an_unknown_kind_is_refused(world):
    masks = item(world.community_a, "口罩", "个")
    with pytest.raises(ValidationError) as exc:
        supplies.stock_move(actor=world.secretary, item=masks, kind="transfer_in", quantity=1)
    assert "kind" in _fields(exc)


def test_count_sets_an_absolute_quantity_with_a_required_note(world):
    masks = item(world.community_a, "口罩", "个", stock=30)
    with pytest.raises(ValidationError) as exc:
        supplies.stock_move(actor=world.secretary, item=masks, kind="count", quantity=27)
    assert _fields(exc) == {"note"}
    moved = supplies.stock_move(
        actor=world.secretary, item=masks, kind="count", quantity=27, note="月末盘点"
    )
    assert (moved.delta, moved.balance_after, moved.note) == (-3, 27, "月末盘点")
    zero = supplies.stock_move(
        actor=world.secretary, item=masks, kind="count", quantity=0, note="清点"
    )
    assert (zero.delta, zero.balance_after) == (-27, 0)


def test_transfer_moves_stock_between_stores_as_two_linked_movements(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    here = item(world.community_a, "消毒液", "瓶", stock=10)
    there = item(world.grid_a1, "消毒液", "瓶")
    out = supplies.stock_move(actor=staff, item=here, kind="transfer", quantity=4, to_item=there)
    into = out.counterpart
    assert (out.kind, out.delta, out.balance_after) == ("transfer_out", -4, 6)
    assert (into.kind, into.delta, into.balance_after, into.item_id) == (
        "transfer_in",
        4,
        4,
        there.pk,
    )
    assert into.counterpart_id == out.pk
    assert AuditEntry.objects.filter(action="supply.transfer").count() == 2


def test_transfer_needs_the_same_item_in_another_store_of_the_actor(world):
    leader = world.by_role[Role.GRID_LEADER]
    here = item(world.grid_a1, "消毒液", "瓶", stock=10)
    other_unit = item(world.grid_a2, "消毒液", "箱")
    outside = item(world.grid_a2, "消毒液", "瓶")
    for target in (None, here, other_unit, outside):  # outside: grid A2 is not the leader's
        with pytest.raises(ValidationError) as exc:
            supplies.stock_move(
                actor=leader, item=here, kind="transfer", quantity=1, to_item=target
            )
        assert _fields(exc) == {"to_item"}
    here.refresh_from_db()
    assert here.quantity == 10


def test_a_transfer_beyond_the_stock_is_refused_and_writes_nothing(world):
    here = item(world.community_a, "消毒液", "瓶", stock=2)
    there = item(world.grid_a1, "消毒液", "瓶", stock=1)
    with pytest.raises(ValidationError) as exc:
        supplies.stock_move(
            actor=world.secretary, item=here, kind="transfer", quantity=3, to_item=there
        )
    assert _fields(exc) == {"quantity"}
    assert [i.quantity for i in SupplyItem.objects.order_by("pk")] == [2, 1]
    assert not StockMovement.objects.filter(kind__startswith="transfer").exists()


def test_movements_outside_scope_are_forbidden(world):
    masks = item(world.community_b, "口罩", "个", stock=3)
    with pytest.raises(Forbidden):
        supplies.stock_move(actor=world.secretary, item=masks, kind="out", quantity=1)
    with pytest.raises(Forbidden):
        supplies.stock_move(actor=world.grid_worker_a, item=masks, kind="in", quantity=1)


def test_no_note_reaches_the_audit_log(world):
    masks = item(world.community_a, "口罩", "个", stock=3)
    supplies.stock_move(
        actor=world.secretary, item=masks, kind="out", quantity=1, note="给张晓明 13800000000"
    )
    entry = AuditEntry.objects.get(action="supply.out")
    assert "张晓明" not in f"{entry.object_label}{entry.purpose}"
    assert "13800000000" not in f"{entry.object_label}{entry.purpose}"
