"""Staff administration over the API: the pages' rules, the API's error shape."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import api_key_authenticate, user_set_phone
from gongzhi.api.tests.conftest import assert_error
from gongzhi.notifications.models import SmsMessage

NEW = {"username": "wang.li", "display_name": "王丽", "phone": "13700001111", "role": "grid_worker"}


def test_secretary_lists_the_communitys_staff_with_masked_phones(world, as_user):
    user_set_phone(user=world.grid_worker_a, phone="13700002222")
    body = as_user(world.secretary).get("/accounts").json()
    names = {a["username"] for a in body["items"]}
    assert {"grid_worker_a", "grid_worker_b"} <= names and "auditor" not in names
    assert "13700002222" not in str(body) and "137****2222" in str(body)


def test_a_grid_worker_lists_no_accounts(world, as_user):
    assert as_user(world.grid_worker_a).get("/accounts").json()["items"] == []


def test_secretary_creates_an_account_and_it_is_invited(world, as_user):
    response = as_user(world.secretary).post("/accounts", {**NEW, "area": world.grid_a1.pk})
    assert response.status_code == 201, response.content
    user = User.objects.get(username="wang.li")
    assert response.json()["has_password"] is False
    assert SmsMessage.objects.filter(recipient=user).exists()


def test_creating_in_another_community_names_the_area(world, as_user):
    response = as_user(world.secretary).post("/accounts", {**NEW, "area": world.grid_b1.pk})
    assert_error(response, 400, "invalid", ("area",))


def test_creating_with_bad_fields_names_each(world, as_user):
    body = {**NEW, "username": "x", "phone": "123", "area": world.grid_a1.pk}
    assert_error(
        as_user(world.secretary).post("/accounts", body), 400, "invalid", ("username", "phone")
    )


def test_granting_an_auditor_role_is_refused_on_the_role(world, as_user):
    response = as_user(world.secretary).post(
        f"/accounts/{world.grid_worker_b.pk}/roles", {"area": world.grid_a1.pk, "role": "auditor"}
    )
    assert_error(response, 400, "invalid", ("role",))


def test_grant_then_revoke(world, as_user):
    caller = as_user(world.secretary)
    granted = caller.post(
        f"/accounts/{world.grid_worker_b.pk}/roles",
        {"area": world.grid_a1.pk, "role": "grid_leader"},
    )
    assert granted.status_code == 201, granted.content
    role_id = granted.json()["id"]
    revoked = caller.post(f"/accounts/{world.grid_worker_b.pk}/roles/{role_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False


def test_an_account_out_of_reach_is_404(world, as_user):
    other = User.objects.create(username="b_worker")
    Membership.objects.create(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    assert_error(
        as_user(world.secretary).post(f"/accounts/{other.pk}/deactivate"), 404, "not_found"
    )


def test_deactivation_through_an_api_key_stops_the_accounts_keys(world, as_key):
    worker = as_key(world.grid_worker_a, world.grid_a1)
    assert worker.get("/households").status_code == 200
    manager = as_key(world.secretary, world.community_a)
    response = manager.post(f"/accounts/{world.grid_worker_a.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert worker.get("/households").status_code == 401
    assert api_key_authenticate(worker.key) is None


def test_reset_second_factor_requires_a_reason(world, as_user):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="p", confirmed=True)
    caller = as_user(world.secretary)
    url = f"/accounts/{world.grid_worker_a.pk}/reset-second-factor"
    assert_error(caller.post(url, {"reason": " "}), 400, "invalid", ("reason",))
    response = caller.post(url, {"reason": "手机丢失"})
    assert response.status_code == 200 and response.json()["has_second_factor"] is False


def test_reset_password_without_a_phone_names_the_phone(world, as_user):
    response = as_user(world.secretary).post(f"/accounts/{world.grid_worker_a.pk}/reset-password")
    assert_error(response, 400, "invalid", ("phone",))


def test_role_holders_of_a_grid(world, as_user):
    body = as_user(world.secretary).get("/role-holders", area_id=world.grid_a1.pk).json()
    assert ("grid_worker_a", "grid_worker") in {(h["username"], h["role"]) for h in body["items"]}
    assert "grid_worker_b" not in {h["username"] for h in body["items"]}


def test_my_sign_ins(world, as_user):
    from gongzhi.accounts.services import sign_in_recorded

    sign_in_recorded(user=world.grid_worker_a)
    body = as_user(world.grid_worker_a).get("/me/sign-ins").json()
    assert [s["ok"] for s in body] == [True]
