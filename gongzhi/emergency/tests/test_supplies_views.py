"""The supplies pages: the inventory with its warnings and download, an item's history,
the movement forms, creating and editing items; who sees and who writes."""

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.emergency.models import StockMovement, SupplyItem
from gongzhi.emergency.tests.supply_factories import item
from gongzhi.testing import PASSWORD

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_inventory_groups_by_store_and_flags_warnings(world):
    item(world.community_a, "口罩", "个", stock=10, minimum=50)
    item(world.grid_a1, "大米", "袋", stock=20)
    item(world.community_b, "沙袋", "个", stock=3)
    page = _client(world.grid_worker_a).get(reverse("emergency_supplies:index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "口罩" in text and "大米" in text and "沙袋" not in text
    assert [s.area for s in page.context["stores"]] == [world.community_a, world.grid_a1]
    assert page.context["warnings"] == 1


def test_inventory_download_is_audited(world):
    item(world.community_a, "口罩", "个", stock=10)
    answer = _client(world.secretary).get(reverse("emergency_supplies:index") + "?export=csv")
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert "口罩" in body
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_type == "emergency.supplyitem"


def test_a_resident_sees_no_supplies(world):
    assert _client(world.resident).get(reverse("emergency_supplies:index")).status_code == 404


def test_recording_an_out_through_the_form(world):
    masks = item(world.community_a, "口罩", "个", stock=10)
    client = _client(world.secretary)
    url = reverse("emergency_supplies:move", args=[masks.pk])
    answer = client.post(url, {"kind": "out", "quantity": "4", "note": "发放"})
    assert answer.status_code == 302
    masks.refresh_from_db()
    assert masks.quantity == 6
    page = client.get(reverse("emergency_supplies:item", args=[masks.pk]))
    assert [m.delta for m in page.context["movements"]] == [-4, 10]


def test_too_large_an_out_shows_the_error_on_the_form_and_writes_nothing(world):
    masks = item(world.community_a, "口罩", "个", stock=3)
    answer = _client(world.secretary).post(
        reverse("emergency_supplies:move", args=[masks.pk]), {"kind": "out", "quantity": "5"}
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["quantity"]
    assert StockMovement.objects.filter(item=masks).count() == 1


def test_a_transfer_through_the_form(world):
    here = item(world.community_a, "消毒液", "瓶", stock=10)
    there = item(world.grid_a1, "消毒液", "瓶")
    client = _client(world.secretary)
    page = client.get(reverse("emergency_supplies:item", args=[here.pk]))
    assert there.pk in page.context["form"].targets
    client.post(
        reverse("emergency_supplies:move", args=[here.pk]),
        {"kind": "transfer", "quantity": "3", "to_item": str(there.pk)},
    )
    assert dict(SupplyItem.objects.values_list("pk", "quantity")) == {here.pk: 7, there.pk: 3}


def test_a_viewer_who_does_not_manage_is_refused_writes(world):
    masks = item(world.community_a, "口罩", "个", stock=3)
    police = _client(world.by_role[Role.POLICE])
    assert police.get(reverse("emergency_supplies:item", args=[masks.pk])).status_code == 200
    url = reverse("emergency_supplies:move", args=[masks.pk])
    assert police.post(url, {"kind": "out", "quantity": "1"}).status_code == 403
    leader = _client(world.by_role[Role.GRID_LEADER])  # manages grid A1, sees the community's
    assert leader.post(url, {"kind": "out", "quantity": "1"}).status_code == 403
    masks.refresh_from_db()
    assert masks.quantity == 3


def test_creating_and_editing_an_item(world):
    client = _client(world.secretary)
    answer = client.post(
        reverse("emergency_supplies:create"),
        {"area": world.grid_a1.pk, "name": "应急灯", "unit": "盏", "minimum": "5"},
    )
    made = SupplyItem.objects.get(name="应急灯")
    assert answer.status_code == 302 and made.area_id == world.grid_a1.pk
    again = client.post(
        reverse("emergency_supplies:create"),
        {"area": world.grid_a1.pk, "name": "应急灯", "unit": "盏", "minimum": "5"},
    )
    assert again.status_code == 200 and again.context["form"].errors["name"]
    client.post(
        reverse("emergency_supplies:edit", args=[made.pk]),
        {"name": "应急灯", "unit": "盏", "minimum": "8"},
    )
    made.refresh_from_db()
    assert made.minimum == 8
