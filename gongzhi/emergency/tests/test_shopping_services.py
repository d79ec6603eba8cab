"""Lockdown supply runs: lists, the merge, runs, delivery and receipt through the
work-order loop (ratings and points), and the refusals."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.emergency import shopping
from gongzhi.emergency.models import ShoppingList, ShoppingStatus, SupplyRunStatus
from gongzhi.emergency.shopping_selectors import merged_for, run_sheet
from gongzhi.emergency.tests.shopping_factories import (  # noqa: F401 (fixture)
    _default_categories,
    act_for,
    emergency,
    link_resident,
    post,
    resident_of,
)
from gongzhi.points.models import LedgerEntry
from gongzhi.workorders import services as wo
from gongzhi.workorders.models import Channel
from gongzhi.workorders.states import Action, Status


@pytest.fixture
def open_a(world):
    emergency(world.community_a)
    return world


@pytest.fixture
def volunteer(world):
    return world.by_role[Role.VOLUNTEER]


def _items(row):
    return {(i.name, i.unit): (i.total, i.households) for i in row.items}


# --- the merge ---------------------------------------------------------------------------------


def test_lists_merge_by_building_and_item_across_households(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    other_building = resident_of(world, world.building_a2, "1", "301", "钱小红")
    post(me, world.person_a1, ("大米", 2, "袋"), ("鸡蛋", 3, "斤"))
    post(neighbour, neighbour.person, ("  大米 ", 1, "袋"), ("ＡＤ 钙奶", 2, "箱"))
    post(neighbour, neighbour.person, ("AD  钙奶", 1, "箱"))  # a second list, same household
    post(other_building, other_building.person, ("大米", 5, "袋"))

    rows = merged_for(volunteer, world.community_a)

    assert [r.building for r in rows] == [world.building_a1, world.building_a2]
    first, second = rows
    assert (first.households, first.lists) == (2, 3)
    assert _items(first) == {
        ("大米", "袋"): (3, 2),
        ("鸡蛋", "斤"): (3, 1),
        ("AD 钙奶", "箱"): (3, 1),
    }
    assert _items(second) == {("大米", "袋"): (5, 1)}


def test_cancelled_lists_and_lists_in_a_run_are_not_merged(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    cancelled = post(me, world.person_a1, ("大米", 2, "袋"))
    shopping.shopping_list_cancel(actor=me, shopping_list=cancelled)
    post(neighbour, neighbour.person, ("大米", 1, "袋"))

    assert _items(merged_for(volunteer, world.community_a)[0]) == {("大米", "袋"): (1, 1)}

    shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    assert merged_for(volunteer, world.community_a) == []


def test_names_are_normalised_so_equal_items_merge():
    assert shopping.normalise("  ＡＤ\u3000钙奶  ") == "AD 钙奶"
    assert shopping.normalise("鸡蛋\t\t大号") == "鸡蛋 大号"
    assert shopping.normalise("１２３") == "123"


def test_equal_lines_of_one_list_are_added_up(open_a):
    me = link_resident(open_a)
    made = post(me, open_a.person_a1, ("大米", 2, "袋"), ("大米 ", 3, "袋"), ("大米", 1, "斤"))
    assert sorted(made.items.values_list("name", "unit", "quantity")) == [
        ("大米", "斤", 1),
        ("大米", "袋", 5),
    ]


def test_merge_is_scoped_to_the_viewers_area(open_a):
    world = open_a
    link_resident(world)
    post(world.resident, world.person_a1, ("大米", 2, "袋"))  # building A1, grid A1
    other = resident_of(world, world.building_a2, "1", "301", "钱小红")  # grid A2
    post(other, other.person, ("面粉", 1, "袋"))

    seen = merged_for(world.grid_worker_a, world.community_a)  # holds grid A1 only
    assert [r.building for r in seen] == [world.building_a1]
    assert merged_for(world.outsider, world.community_a) == []


# --- posting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [
        [("米" * 41, 1, "袋")],
        [("大米", 0, "袋")],
        [("大米", 100, "袋")],
        [("大米", "两", "袋")],
        [("", 1, "袋")],
        [("大米", 60, "袋"), ("大米", 60, "袋")],
        [(f"物品{n}", 1, "个") for n in range(shopping.MAX_ITEMS + 1)],
        [],
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(open_a, items):
    me = link_resident(open_a)
    with pytest.raises(ValidationError) as caught:
        shopping.shopping_list_post(
            actor=me, person=open_a.person_a1, items=[shopping.ItemIn(*i) for i in items]
        )
    assert "items" in caught.value.message_dict
    assert not ShoppingList.objects.exists()


def test_a_list_for_someone_one_does_not_act_for_is_refused(open_a):
    me = link_resident(open_a)
    with pytest.raises(ValidationError) as caught:
        post(me, open_a.person_a2)
    assert "person" in caught.value.message_dict
    assert not ShoppingList.objects.exists()


def test_staff_cannot_post_a_list_on_a_residents_behalf(open_a):
    with pytest.raises(ValidationError):
        post(open_a.grid_worker_a, open_a.person_a1)


def test_a_list_for_a_parent_is_by_proxy_and_the_parent_is_served(open_a):
    world = open_a
    me = link_resident(world)
    act_for(world, me, world.person_a2)

    made = post(me, world.person_a2, ("退烧药", 1, "盒"))

    assert made.by_proxy and made.household == world.household_a2
    assert made.area_path == world.building_a2.path
    order = made.workorder
    assert (order.category.code, order.person, order.channel) == (
        "delivery",
        world.person_a2,
        Channel.PROXY,
    )
    entry = AuditEntry.objects.get(action="shopping.list_post")
    assert entry.purpose == f"proxy for person {world.person_a2.pk}"
    assert "李秀英" not in str(entry.__dict__)


def test_lists_are_closed_in_normal_mode(world):
    me = link_resident(world)
    with pytest.raises(ValidationError) as caught:
        post(me, world.person_a1)
    assert "community" in caught.value.message_dict


def test_a_list_keeps_a_sunset_date(open_a):
    from gongzhi.health import sunset

    made = post(link_resident(open_a), open_a.person_a1)
    assert made.retain_until == sunset.retain_until("emergency", made.created_at)


def test_cancelling_a_list_cancels_its_order_and_a_taken_one_cannot_be(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    first = post(me, world.person_a1)
    shopping.shopping_list_cancel(actor=me, shopping_list=first)
    first.refresh_from_db()
    assert first.status == ShoppingStatus.CANCELLED
    assert first.workorder.status == Status.CANCELLED

    second = post(me, world.person_a1)
    shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    with pytest.raises(IllegalTransition):
        shopping.shopping_list_cancel(actor=me, shopping_list=second)
    with pytest.raises(NotFound):
        shopping.shopping_list_cancel(actor=world.grid_worker_a, shopping_list=second)


# --- runs and the loop -------------------------------------------------------------------------


def test_a_run_takes_the_lists_and_the_volunteer_accepts_their_orders(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    mine = post(me, world.person_a1, ("大米", 2, "袋"))
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    theirs = post(neighbour, neighbour.person, ("大米", 1, "袋"), ("鸡蛋", 2, "斤"))
    other = resident_of(world, world.building_a2, "1", "301", "钱小红")
    elsewhere = post(other, other.person)  # another building: stays open

    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )

    elsewhere.refresh_from_db()
    assert (elsewhere.status, elsewhere.run) == (ShoppingStatus.OPEN, None)
    assert run.status == SupplyRunStatus.BUYING
    assert run.workorder.category.code == "delivery"
    run.workorder.refresh_from_db()
    assert (run.workorder.status, run.workorder.assignee) == (Status.IN_PROGRESS, volunteer)
    for made in (mine, theirs):
        made.refresh_from_db()
        assert (made.status, made.run) == (ShoppingStatus.IN_RUN, run)
        assert (made.workorder.status, made.workorder.assignee) == (Status.ACCEPTED, volunteer)
    assert {(i.name, i.total, i.households) for i in run_sheet(run)} == {
        ("大米", 3, 2),
        ("鸡蛋", 2, 1),
    }


def test_a_list_already_in_a_run_is_not_taken_twice(open_a, volunteer):
    world = open_a
    post(link_resident(world), world.person_a1)
    shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    with pytest.raises(ValidationError) as caught:
        shopping.run_create(
            actor=world.grid_worker_a, area=world.grid_a1, building_ids=[world.building_a1.pk]
        )
    assert "building_ids" in caught.value.message_dict


def test_a_run_outside_ones_area_does_not_exist(open_a, volunteer):
    world = open_a
    with pytest.raises(NotFound):
        shopping.run_create(
            actor=volunteer, area=world.community_b, building_ids=[world.building_b1.pk]
        )
    with pytest.raises(NotFound):
        shopping.run_create(
            actor=world.by_role[Role.POLICE], area=world.community_a,
            building_ids=[world.building_a1.pk],
        )  # fmt: skip
    with pytest.raises(ValidationError):  # a building of another community
        shopping.run_create(
            actor=volunteer, area=world.community_a, building_ids=[world.building_b1.pk]
        )


def test_delivery_resolves_the_orders_and_receipt_rates_them(
    open_a, volunteer, django_capture_on_commit_callbacks
):
    world = open_a
    me = link_resident(world)
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    with django_capture_on_commit_callbacks(execute=True):
        mine = post(me, world.person_a1)
        theirs = post(neighbour, neighbour.person)
        run = shopping.run_create(
            actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
        )
        one = shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=mine)
    assert one.status == ShoppingStatus.DELIVERED
    one.workorder.refresh_from_db()
    assert (one.workorder.status, one.workorder.resolved_by) == (Status.RESOLVED, volunteer)
    run.refresh_from_db()
    assert run.status == SupplyRunStatus.DELIVERING
    assert run.workorder.status == Status.IN_PROGRESS

    with django_capture_on_commit_callbacks(execute=True):
        delivered = shopping.run_deliver_building(
            actor=volunteer, run=run, building_id=world.building_a1.pk
        )
    assert delivered == 1
    theirs.refresh_from_db()
    assert theirs.status == ShoppingStatus.DELIVERED
    run.refresh_from_db()
    run.workorder.refresh_from_db()
    assert (run.status, run.workorder.status) == (SupplyRunStatus.DONE, Status.RESOLVED)

    with django_capture_on_commit_callbacks(execute=True):
        shopping.shopping_list_receive(actor=me, shopping_list=mine, rating=5, comment="很及时")
    mine.refresh_from_db()
    assert mine.status == ShoppingStatus.RECEIVED and mine.received_at is not None
    mine.workorder.refresh_from_db()
    assert (mine.workorder.status, mine.workorder.rating) == (Status.CLOSED, 5)
    awards = LedgerEntry.objects.filter(holder=volunteer, points__gt=0)
    assert awards.count() == 1
    assert awards.get().source.startswith("order-rated:")


def test_delivering_twice_is_refused_and_changes_nothing(open_a, volunteer):
    world = open_a
    mine = post(link_resident(world), world.person_a1)
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=mine)
    before = mine.workorder.timeline.count()

    with pytest.raises(IllegalTransition):
        shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=mine)
    with pytest.raises(IllegalTransition):
        shopping.run_deliver_building(actor=volunteer, run=run, building_id=world.building_a1.pk)
    assert mine.workorder.timeline.count() == before


def test_confirming_receipt_twice_is_refused_and_changes_nothing(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    mine = post(me, world.person_a1)
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    with pytest.raises(IllegalTransition):  # not delivered yet
        shopping.shopping_list_receive(actor=me, shopping_list=mine)
    shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=mine)
    shopping.shopping_list_receive(actor=me, shopping_list=mine)
    mine.refresh_from_db()
    first = mine.received_at

    with pytest.raises(IllegalTransition) as caught:
        shopping.shopping_list_receive(actor=me, shopping_list=mine, rating=5)
    message = str(caught.value.message)
    assert "already confirmed" in message or "已经确认过" in message
    mine.refresh_from_db()
    assert mine.received_at == first
    assert mine.workorder.status == Status.RESOLVED  # the refused second receipt rated nothing


def test_only_the_person_served_rates_the_delivery(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    act_for(world, me, world.person_a2)
    for_mother = post(me, world.person_a2)
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a2.pk]
    )
    shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=for_mother)
    order = for_mother.workorder

    for outsider in (volunteer, world.grid_worker_a, world.secretary):
        with pytest.raises((Forbidden, NotFound)):
            wo.workorder_transition(actor=outsider, order=order, action=Action.RATE, rating=5)
    with pytest.raises(NotFound):  # receipt too: not someone they act for
        shopping.shopping_list_receive(actor=volunteer, shopping_list=for_mother)

    shopping.shopping_list_receive(actor=me, shopping_list=for_mother, rating=4)  # the proxy
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.CLOSED, 4)


def test_only_the_runs_volunteer_delivers_it(open_a, volunteer):
    world = open_a
    mine = post(link_resident(world), world.person_a1)
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    with pytest.raises(Forbidden):  # sees the run (the community's), did not take it
        shopping.run_deliver_list(actor=world.secretary, run=run, shopping_list=mine)
    with pytest.raises(NotFound):  # a grid's worker does not see a community's run
        shopping.run_deliver_list(actor=world.grid_worker_a, run=run, shopping_list=mine)
    mine.refresh_from_db()
    assert mine.status == ShoppingStatus.IN_RUN


def test_every_write_is_audited_without_personal_values(open_a, volunteer):
    world = open_a
    me = link_resident(world)
    mine = post(me, world.person_a1, ("大米", 1, "袋"))
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    shopping.run_deliver_building(actor=volunteer, run=run, building_id=world.building_a1.pk)
    shopping.shopping_list_receive(actor=me, shopping_list=mine)

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "shopping.list_post",
        "shopping.run_create",
        "shopping.deliver",
        "shopping.list_receive",
    } <= actions
    for entry in AuditEntry.objects.filter(action__startswith="shopping."):
        text = f"{entry.purpose} {entry.fields}"
        for value in ("张晓明", world.household_a1.address):
            assert value not in text
