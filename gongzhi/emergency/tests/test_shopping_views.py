"""The pages of supply runs: the resident's lists on /m/shopping/ (closed in normal mode,
acting for a parent, cancel, receipt once), and the workbench's merged lists and runs
(counts, never a name)."""

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts import acting
from gongzhi.accounts.models import Role
from gongzhi.emergency import shopping
from gongzhi.emergency.models import ShoppingList, ShoppingStatus, SupplyRun
from gongzhi.emergency.tests.shopping_factories import (  # noqa: F401 (fixture)
    _default_categories,
    act_for,
    emergency,
    link_resident,
    post,
    resident_of,
)

PAGE = "emergency_m:shopping"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(*rows, note=""):
    data = {"name": [], "quantity": [], "unit": [], "note": note}
    for name, quantity, unit in rows:
        data["name"].append(name)
        data["quantity"].append(str(quantity))
        data["unit"].append(unit)
    data["name"].append("")  # an empty line of the form is ignored
    data["quantity"].append("")
    data["unit"].append("")
    return data


def test_the_page_says_it_is_closed_in_normal_mode(world):
    me = link_resident(world)
    page = _client(me).get(reverse(PAGE))
    assert page.status_code == 200
    assert str(shopping.CLOSED_MESSAGE) in page.content.decode()
    assert 'name="quantity"' not in page.content.decode()

    sent = _client(me).post(reverse(PAGE), _form(("大米", 2, "袋")))
    assert sent.status_code == 200
    assert not ShoppingList.objects.exists()


def test_a_resident_posts_a_list_on_the_phone(world):
    emergency(world.community_a)
    me = link_resident(world)
    client = _client(me)
    page = client.get(reverse(PAGE))
    assert 'name="quantity"' in page.content.decode()
    assert "大米" in page.content.decode()  # the picker of common items

    sent = client.post(reverse(PAGE), _form(("大米", 2, "袋"), ("ＡＤ钙奶", 1, "箱")))

    assert sent.status_code == 302
    made = ShoppingList.objects.get()
    assert (made.person, made.by_proxy, made.status) == (world.person_a1, False, "open")
    assert sorted(made.items.values_list("name", flat=True)) == ["AD钙奶", "大米"]


def test_bad_items_show_the_rule_and_keep_the_lines(world):
    emergency(world.community_a)
    client = _client(link_resident(world))
    sent = client.post(reverse(PAGE), _form(("大米", 100, "袋")))
    assert sent.status_code == 200
    assert 'value="大米"' in sent.content.decode()
    assert not ShoppingList.objects.exists()


def test_acting_for_a_parent_posts_for_the_parents_household(world):
    emergency(world.community_a)
    me = link_resident(world)
    link = act_for(world, me, world.person_a2)
    client = _client(me)
    session = client.session
    session[acting.SESSION_KEY] = link.person_id
    session.save()

    client.post(reverse(PAGE), _form(("退烧药", 1, "盒")))

    made = ShoppingList.objects.get()
    assert (made.person, made.household, made.by_proxy) == (
        world.person_a2,
        world.household_a2,
        True,
    )


def test_cancel_and_receive_once(world):
    emergency(world.community_a)
    me = link_resident(world)
    volunteer = world.by_role[Role.VOLUNTEER]
    client = _client(me)
    first = post(me, world.person_a1)
    client.post(reverse("emergency_m:shopping_cancel", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == ShoppingStatus.CANCELLED

    second = post(me, world.person_a1)
    run = shopping.run_create(
        actor=volunteer, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    shopping.run_deliver_list(actor=volunteer, run=run, shopping_list=second)
    client.post(reverse("emergency_m:shopping_receive", args=[second.pk]), {"rating": "5"})
    second.refresh_from_db()
    assert second.status == ShoppingStatus.RECEIVED
    second.workorder.refresh_from_db()
    assert second.workorder.rating == 5

    again = client.post(
        reverse("emergency_m:shopping_receive", args=[second.pk]), {"rating": "1"}, follow=True
    )
    text = again.content.decode()
    assert "已经确认过收货" in text or "already confirmed receipt" in text
    second.workorder.refresh_from_db()
    assert second.workorder.rating == 5


def test_someone_elses_list_does_not_exist_on_the_residents_pages(world):
    emergency(world.community_a)
    me = link_resident(world)
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    theirs = post(neighbour, neighbour.person)
    for name in ("emergency_m:shopping_cancel", "emergency_m:shopping_receive"):
        assert _client(me).post(reverse(name, args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ShoppingStatus.OPEN


def test_the_workbench_merges_without_names_and_starts_a_run(world):
    emergency(world.community_a)
    me = link_resident(world)
    neighbour = resident_of(world, world.building_a1, "3", "502", "赵大海")
    post(me, world.person_a1, ("大米", 2, "袋"))
    post(neighbour, neighbour.person, ("大米", 3, "袋"))
    volunteer = world.by_role[Role.VOLUNTEER]
    client = _client(volunteer)

    page = client.get(reverse("emergency_deliveries:index")).content.decode()
    assert "大米" in page and ">5 袋<" in page
    for value in ("张晓明", "赵大海", "502", world.household_a1.address):
        assert value not in page

    made = client.post(
        reverse("emergency_deliveries:run_create"),
        {"area": world.community_a.pk, "building_ids": [world.building_a1.pk]},
    )
    run = SupplyRun.objects.get()
    assert made.status_code == 302 and made["Location"].endswith(f"/runs/{run.pk}/")

    sheet = client.get(reverse("emergency_deliveries:run", args=[run.pk])).content.decode()
    assert ">5 袋<" in sheet
    assert "张晓明" not in sheet and "502" not in sheet  # a volunteer sees households counted

    client.post(
        reverse("emergency_deliveries:deliver_building", args=[run.pk]),
        {"building_id": world.building_a1.pk},
    )
    assert set(ShoppingList.objects.values_list("status", flat=True)) == {"delivered"}
    twice = client.post(
        reverse("emergency_deliveries:deliver_building", args=[run.pk]),
        {"building_id": world.building_a1.pk},
        follow=True,
    ).content.decode()
    assert "已送达" in twice or "already been delivered" in twice


def test_staff_who_view_the_register_see_the_door(world):
    emergency(world.community_a)
    post(link_resident(world), world.person_a1)
    run = shopping.run_create(
        actor=world.secretary, area=world.community_a, building_ids=[world.building_a1.pk]
    )
    sheet = _client(world.secretary).get(reverse("emergency_deliveries:run", args=[run.pk]))
    assert "1 101" in sheet.content.decode()


@pytest.mark.parametrize("role", [Role.POLICE, Role.DOCTOR, Role.RESIDENT])
def test_roles_without_deliveries_do_not_see_the_workbench_page(world, role):
    page = _client(world.by_role[role]).get(reverse("emergency_deliveries:index"))
    assert page.status_code == 404
