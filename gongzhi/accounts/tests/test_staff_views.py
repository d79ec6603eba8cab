"""The staff pages, one's own account page, and the password link's pages."""

import logging

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import AccountLink, Membership, Role, User
from gongzhi.accounts.services import user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.notifications.models import SmsMessage
from gongzhi.testing import PASSWORD

NEW = {
    "display_name": "王丽",
    "username": "wang.li",
    "phone": "13700001111",
    "role": Role.GRID_WORKER,
    "invite": "on",
}


@pytest.fixture
def secretary_client(client, world):
    client.force_login(world.secretary)
    return client


def _token(user) -> str:
    text = SmsMessage.objects.filter(recipient=user).latest("pk").text
    return text.split("/account/link/?t=")[1].split()[0]


def test_the_staff_list_shows_the_community_in_chinese(secretary_client, world):
    response = secretary_client.get(reverse("accounts:staff_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "员工账号" in body and "grid_worker_a" in body and ">auditor<" not in body


def test_a_grid_worker_does_not_find_the_staff_pages(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("accounts:staff_list")).status_code == 404


def test_creating_an_account_sends_the_invitation(secretary_client, world):
    response = secretary_client.post(
        reverse("accounts:staff_create"), {**NEW, "area": world.grid_a1.pk}
    )
    user = User.objects.get(username="wang.li")
    assert response.status_code == 302
    assert response.url == reverse("accounts:staff_detail", args=[user.pk])
    assert SmsMessage.objects.filter(recipient=user).exists()


def test_the_create_form_shows_each_problem_on_its_field(secretary_client, world):
    response = secretary_client.post(
        reverse("accounts:staff_create"),
        {**NEW, "username": "x", "phone": "02787654321", "area": world.grid_a1.pk},
    )
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert set(errors) == {"username", "phone"}


def test_the_create_form_offers_no_area_outside_the_community(secretary_client, world):
    response = secretary_client.post(
        reverse("accounts:staff_create"), {**NEW, "area": world.grid_b1.pk}
    )
    assert "area" in response.context["form"].errors
    assert not User.objects.filter(username="wang.li").exists()


def test_the_create_form_offers_only_grantable_roles(secretary_client, world):
    form = secretary_client.get(reverse("accounts:staff_create")).context["form"]
    offered = {value for value, _label in form.fields["role"].choices}
    assert Role.GRID_WORKER in offered
    assert Role.AUDITOR not in offered and Role.SYSTEM_ADMIN not in offered


def test_granting_a_role_the_manager_lacks_is_an_error_on_the_role(client, world):
    admin = world.by_role[Role.SYSTEM_ADMIN]
    device = TOTPDevice.objects.create(user=admin, name="t", confirmed=True)
    client.force_login(admin)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.post(
        reverse("accounts:staff_grant", args=[world.outsider.pk]),
        {"area": world.grid_a1.pk, "role": Role.GRID_WORKER},
    )
    assert response.status_code == 200
    assert "role" in response.context["grant_form"].errors


def test_grant_and_revoke_from_the_account_page(secretary_client, world):
    url = reverse("accounts:staff_grant", args=[world.grid_worker_b.pk])
    response = secretary_client.post(url, {"area": world.grid_a1.pk, "role": Role.GRID_LEADER})
    assert response.status_code == 302
    membership = Membership.objects.get(user=world.grid_worker_b, role=Role.GRID_LEADER)
    revoke = reverse("accounts:staff_revoke", args=[world.grid_worker_b.pk, membership.pk])
    assert secretary_client.post(revoke).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_another_communitys_account_is_not_found(secretary_client, world):
    other = User.objects.create(username="b_worker")
    Membership.objects.create(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    assert (
        secretary_client.get(reverse("accounts:staff_detail", args=[other.pk])).status_code == 404
    )


def test_deactivation_signs_the_account_out(client, secretary_client, world):
    from django.test import Client

    worker = Client()
    worker.force_login(world.grid_worker_a)
    assert worker.get(reverse("web:home")).status_code == 200
    secretary_client.post(reverse("accounts:staff_deactivate", args=[world.grid_worker_a.pk]))
    response = worker.get(reverse("web:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_reset_password_without_a_phone_says_why(secretary_client, world):
    url = reverse("accounts:staff_reset_password", args=[world.grid_worker_a.pk])
    response = secretary_client.post(url, follow=True)
    assert "没有手机号" in response.content.decode()


def test_second_factor_reset_requires_a_reason(secretary_client, world):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="p", confirmed=True)
    url = reverse("accounts:staff_second_factor_reset", args=[world.grid_worker_a.pk])
    response = secretary_client.post(url, {"reason": ""})
    assert "reason" in response.context["form"].errors
    response = secretary_client.post(url, {"reason": "手机丢失"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.grid_worker_a).exists()


def test_holders_of_a_grid_and_their_export_is_audited(secretary_client, world):
    url = reverse("accounts:holders")
    response = secretary_client.get(url, {"area": world.grid_a1.pk})
    assert "grid_worker_a" in response.content.decode()
    download = secretary_client.get(url, {"area": world.grid_a1.pk, "export": "csv"})
    assert download.status_code == 200
    assert AuditEntry.objects.filter(action="export", object_label="accounts.holders").count() == 1


def test_holders_of_another_community_are_not_offered(secretary_client, world):
    other = User.objects.create(username="b_worker")
    Membership.objects.create(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    response = secretary_client.get(reverse("accounts:holders"), {"area": world.grid_b1.pk})
    assert "area" in response.context["form"].errors
    assert "b_worker" not in response.content.decode()


# --- self-service -----------------------------------------------------------------------------


def test_my_account_shows_my_sign_ins(client, world):
    client.post(reverse("accounts:login"), {"username": "grid_worker_a", "password": "wrong-one"})
    client.post(reverse("accounts:login"), {"username": "grid_worker_a", "password": PASSWORD})
    response = client.get(reverse("accounts:my_account"))
    body = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["sign_ins"]) == 2
    assert "密码错误" in body and "我的账号" in body


def test_my_account_links_to_the_password_change_that_still_works(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("accounts:my_account")).content.decode()
    assert reverse("accounts:password_change") in body
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "lantern-river-42",
            "new_password2": "lantern-river-42",
        },
    )
    assert response.status_code == 302


# --- the link ---------------------------------------------------------------------------------


def _invited(secretary_client, world):
    secretary_client.post(reverse("accounts:staff_create"), {**NEW, "area": world.grid_a1.pk})
    return User.objects.get(username="wang.li")


def test_the_link_moves_its_token_out_of_the_address(client, secretary_client, world, caplog):
    caplog.set_level(logging.DEBUG)
    user = _invited(secretary_client, world)
    token = _token(user)
    visitor = type(client)()
    response = visitor.get(reverse("accounts:link_set") + f"?t={token}")
    assert response.status_code == 302 and token not in response.url
    form_page = visitor.get(response.url)
    assert form_page.status_code == 200 and "wang.li" in form_page.content.decode()
    done = visitor.post(
        reverse("accounts:link_set"),
        {"new_password1": "lantern-river-42", "new_password2": "lantern-river-42"},
    )
    assert done.status_code == 302 and done.url == reverse("accounts:login")
    assert (
        visitor.post(
            reverse("accounts:login"), {"username": "wang.li", "password": "lantern-river-42"}
        ).status_code
        == 302
    )
    assert not [r for r in caplog.records if token in r.getMessage()]
    again = type(client)().get(reverse("accounts:link_set") + f"?t={token}")
    assert again.status_code == 200 and "accounts/link_invalid.html" in [
        t.name for t in again.templates
    ]


def test_a_mismatched_password_is_an_error_on_the_field(client, secretary_client, world):
    user = _invited(secretary_client, world)
    visitor = type(client)()
    visitor.get(reverse("accounts:link_set") + f"?t={_token(user)}")
    response = visitor.post(
        reverse("accounts:link_set"), {"new_password1": "lantern-river-42", "new_password2": "x"}
    )
    assert "new_password2" in response.context["form"].errors
    assert AccountLink.objects.get(user=user).used_at is None


def test_a_forged_link_explains_itself_without_an_error_status(client, world):
    response = client.get(reverse("accounts:link_set") + "?t=" + "forged" * 8)
    assert response.status_code == 200
    assert "链接已失效" in response.content.decode()


def test_a_phone_change_then_reset_keeps_the_link_with_the_owner(secretary_client, world):
    user_set_phone(user=world.grid_worker_a, phone="13700002222")
    secretary_client.post(reverse("accounts:staff_reset_password", args=[world.grid_worker_a.pk]))
    message = SmsMessage.objects.filter(recipient=world.grid_worker_a).latest("pk")
    assert message.to.reveal() == "13700002222"


def test_residents_role_is_not_offered_on_the_staff_pages(secretary_client, world):
    form = secretary_client.get(reverse("accounts:staff_create")).context["form"]
    assert Role.RESIDENT not in {value for value, _label in form.fields["role"].choices}
