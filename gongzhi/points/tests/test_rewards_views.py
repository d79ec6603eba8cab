"""Rewards pages: the resident's catalogue, confirmation, voucher with its QR; the staff's
catalogue, exchange point and history; and the same through the API."""

import json

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import proxy_link_create, user_create
from gongzhi.points import ledger, rewards
from gongzhi.points.models import EntryKind, Redemption, RedemptionStatus, Reward


def give(holder, points, source):
    ledger.entry_post(holder=holder, kind=EntryKind.AWARD, points=points, source=source)


@pytest.fixture
def reward(world):
    return rewards.reward_create(
        actor=None, community=world.community_a, name="洗衣液", price=30, stock=3
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_resident_redeems_with_a_confirmation_and_sees_the_qr(world, reward):
    give(world.resident, 45, "award:1")
    client = client_for(world.resident)
    page = client.get(reverse("rewards_m:catalogue")).content.decode()
    assert "洗衣液" in page and 'id="balance">45<' in page
    confirm = client.get(reverse("rewards_m:redeem", args=[reward.pk])).content.decode()
    assert 'id="confirm-redeem"' in confirm and not Redemption.objects.exists()  # GET: nothing
    response = client.post(reverse("rewards_m:redeem", args=[reward.pk]))
    redemption = Redemption.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rewards_m:voucher", args=[redemption.pk])
    voucher = client.get(response["Location"]).content.decode()
    assert "<svg" in voucher and rewards.voucher_display(redemption.voucher) in voucher
    assert world.resident.username not in voucher.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert ledger.balance_of(world.resident) == 15


def test_redeeming_past_the_balance_shows_the_rule(world, reward):
    give(world.resident, 10, "award:1")
    client = client_for(world.resident)
    response = client.post(reverse("rewards_m:redeem", args=[reward.pk]))
    assert response.status_code == 200
    assert "Not enough points" in response.content.decode() or "积分不足" in (
        response.content.decode()
    )
    assert not Redemption.objects.exists()


def test_another_communitys_reward_is_not_found(world):
    other = rewards.reward_create(
        actor=None, community=world.community_b, name="b", price=1, stock=1
    )
    give(world.resident, 10, "award:1")
    client = client_for(world.resident)
    assert client.get(reverse("rewards_m:redeem", args=[other.pk])).status_code == 404
    assert client.post(reverse("rewards_m:redeem", args=[other.pk])).status_code == 404


def test_someone_elses_voucher_is_not_found(world, reward):
    give(world.resident, 30, "award:1")
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    client = client_for(world.by_role[Role.VOLUNTEER])
    assert client.get(reverse("rewards_m:voucher", args=[redemption.pk])).status_code == 404
    assert client.post(reverse("rewards_m:voucher_cancel", args=[redemption.pk])).status_code == 404


def test_a_proxy_acting_for_a_parent_spends_the_parents_points(world, reward):
    parent = user_create(username="parent", password=None, display_name="parent")
    parent.person = world.person_a1
    parent.save()
    give(parent, 30, "award:p")
    child = user_create(username="child", password=None, display_name="child")
    link = proxy_link_create(user=child, person=world.person_a1, relation="child")
    client = client_for(child)
    session = client.session
    session["gongzhi.acting_for"] = link.person_id
    session.save()
    assert 'id="balance">30<' in client.get(reverse("rewards_m:catalogue")).content.decode()
    client.post(reverse("rewards_m:redeem", args=[reward.pk]))
    redemption = Redemption.objects.get()
    assert (redemption.holder, redemption.redeemed_by) == (parent, child)
    assert ledger.balance_of(parent) == 0


def test_the_resident_cancels_before_hand_over(world, reward):
    give(world.resident, 30, "award:1")
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    client = client_for(world.resident)
    client.post(reverse("rewards_m:voucher_cancel", args=[redemption.pk]))
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.CANCELLED
    assert ledger.balance_of(world.resident) == 30


def test_the_phone_pages_work_in_elder_mode(world, reward):
    world.resident.elder_mode = True
    world.resident.save()
    client = client_for(world.resident)
    page = client.get(reverse("rewards_m:catalogue")).content.decode()
    assert 'class="portal elder"' in page
    assert 'name="viewport" content="width=device-width' in page


def test_the_home_page_has_a_rewards_tile(world):
    page = client_for(world.resident).get(reverse("portal:home")).content.decode()
    assert reverse("rewards_m:catalogue") in page


# --- workbench --------------------------------------------------------------------------


def test_staff_add_restock_and_withdraw_a_reward(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    client = client_for(staff)
    assert client.get(reverse("rewards:catalogue")).status_code == 200
    response = client.post(
        reverse("rewards:new"),
        {"community": world.community_a.pk, "name": "毛巾", "price": "12", "stock": "5"},
    )
    reward = Reward.objects.get(name="毛巾")
    assert response.status_code == 302 and reward.stock == 5
    client.post(reverse("rewards:restock", args=[reward.pk]), {"add": "3"})
    client.post(reverse("rewards:retire", args=[reward.pk]), {"active": "0"})
    reward.refresh_from_db()
    assert (reward.stock, reward.active) == (8, False)


def test_a_bad_price_is_named_on_the_form(world):
    client = client_for(world.by_role[Role.COMMUNITY_STAFF])
    response = client.post(
        reverse("rewards:new"), {"community": world.community_a.pk, "name": "x", "price": "0"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-control is-invalid" value="0"' in body  # the price field
    assert 'value="x"' in body and "is-invalid" not in body.split('id="id_name"')[1][:80]
    assert not Reward.objects.exists()


def test_a_grid_worker_hands_a_scanned_voucher_over_once(world, reward):
    give(world.resident, 30, "award:1")
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    client = client_for(world.grid_worker_a)
    shown = client.get(reverse("rewards:exchange"), {"code": redemption.voucher})
    assert 'id="hand-over"' in shown.content.decode()
    client.post(reverse("rewards:exchange"), {"code": redemption.voucher})
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.HANDED_OVER
    again = client.post(reverse("rewards:exchange"), {"code": redemption.voucher})
    assert again.status_code == 200 and "invalid-feedback" in again.content.decode()
    history = client.get(reverse("rewards:history")).content.decode()
    assert rewards.voucher_display(redemption.voucher) in history


def test_the_history_hides_the_codes_of_vouchers_not_yet_handed_over(world, reward):
    give(world.resident, 30, "award:1")
    redemption = rewards.redeem(actor=world.resident, reward=reward)
    history = client_for(world.grid_worker_a).get(reverse("rewards:history")).content.decode()
    assert redemption.voucher not in history
    assert rewards.voucher_display(redemption.voucher) not in history


@override_settings(GONGZHI_RATE_VOUCHER_MISS="2/10min")
def test_the_exchange_page_stops_answering_after_wrong_codes(world):
    client = client_for(world.grid_worker_a)
    for _ in range(2):
        assert client.get(reverse("rewards:exchange"), {"code": "ZZZZZZZZZZ"}).status_code == 200
    assert client.get(reverse("rewards:exchange"), {"code": "ZZZZZZZZZZ"}).status_code == 429


def test_a_resident_has_no_exchange_point(world):
    assert client_for(world.resident).get(reverse("rewards:exchange")).status_code == 404


# --- API -------------------------------------------------------------------------------


def api(client, method, path, body=None):
    return client.generic(
        method, f"/api/v1{path}", json.dumps(body) if body is not None else "",
        content_type="application/json",
    )  # fmt: skip


def test_the_api_redeems_hands_over_and_refuses_by_field(world, reward):
    give(world.resident, 40, "award:1")
    resident = client_for(world.resident)
    catalogue = api(resident, "GET", "/rewards/catalogue").json()
    assert catalogue["balance"] == 40 and [r["id"] for r in catalogue["rewards"]] == [reward.pk]
    made = api(resident, "POST", f"/rewards/{reward.pk}/redeem")
    assert made.status_code == 201, made.content
    code = made.json()["code"]
    short = api(resident, "POST", f"/rewards/{reward.pk}/redeem")
    assert short.status_code == 400 and "points" in short.json()["fields"]
    assert api(resident, "GET", "/vouchers/mine").json()["items"][0]["code"] == code
    worker = client_for(world.grid_worker_a)
    handed = api(worker, "POST", "/vouchers/hand-over", {"code": code})
    assert handed.status_code == 200 and handed.json()["status"] == "handed_over"
    twice = api(worker, "POST", "/vouchers/hand-over", {"code": code})
    assert twice.status_code == 400 and "code" in twice.json()["fields"]
    listed = api(worker, "GET", "/vouchers/handed-out").json()["items"]
    assert "code" not in listed[0]


def test_the_api_keeps_the_catalogue_for_staff_only(world):
    staff = client_for(world.by_role[Role.COMMUNITY_STAFF])
    made = api(
        staff, "POST", "/rewards", {"community": world.community_a.pk, "name": "书", "price": 5}
    )
    assert made.status_code == 201, made.content
    reward_id = made.json()["id"]
    assert api(staff, "POST", f"/rewards/{reward_id}/restock", {"add": 2}).json()["stock"] == 2
    elsewhere = api(
        staff, "POST", "/rewards", {"community": world.community_b.pk, "name": "书", "price": 5}
    )
    assert elsewhere.status_code == 400 and "community" in elsewhere.json()["fields"]
    worker = client_for(world.grid_worker_a)
    assert (
        api(worker, "PATCH", f"/rewards/{reward_id}", {"name": "x", "price": 1}).status_code == 404
    )
