from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.audit.models import AuditEntry
from gongzhi.testing import PASSWORD

LOGIN = "/login/"


def _sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def _code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_login_with_the_right_password_signs_in_and_is_audited(client, world):
    response = _sign_in(client, "grid_worker_a")
    assert response.status_code == 302
    assert response.url == reverse("web:home")
    assert AuditEntry.objects.filter(action="auth.login", actor_name="grid_worker_a").exists()


def test_login_with_a_wrong_password_shows_the_form_again(client, world):
    response = _sign_in(client, "grid_worker_a", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_login_page_follows_next_after_sign_in(client, world):
    response = client.post(
        f"{LOGIN}?next=/register/households/",
        {"username": "grid_worker_a", "password": PASSWORD, "next": "/register/households/"},
    )
    assert response.url == "/register/households/"


def test_five_wrong_passwords_make_this_address_wait_even_for_the_right_one(client, world):
    for _ in range(5):
        _sign_in(client, "grid_worker_a", "wrong-password")
    response = _sign_in(client, "grid_worker_a")
    assert response.status_code == 429
    assert "web/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_the_wait_page_is_in_chinese_by_default(client, world):
    for _ in range(6):
        response = _sign_in(client, "grid_worker_a", "wrong-password")
    assert "密码错误次数过多" in response.content.decode()


def test_logout_is_a_post_and_is_audited(client, world):
    client.force_login(world.grid_worker_a)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.logout", actor_name="grid_worker_a").exists()


def test_logout_by_get_is_refused(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_auditor_is_sent_to_the_second_factor_after_the_password(client, world):
    response = _sign_in(client, "auditor")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:second_factor"))


def test_unverified_auditor_cannot_open_the_audit_log(client, world):
    client.force_login(world.by_role["auditor"])
    response = client.get(reverse("audit:log"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:second_factor")


def test_second_factor_page_enrolls_a_device_with_a_qr_code(client, world):
    client.force_login(world.by_role["auditor"])
    response = client.get(reverse("accounts:second_factor"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body
    assert TOTPDevice.objects.filter(user=world.by_role["auditor"], confirmed=False).count() == 1


def test_a_valid_code_confirms_the_device_and_verifies_the_session(client, world):
    auditor = world.by_role["auditor"]
    client.force_login(auditor)
    client.get(reverse("accounts:second_factor"))
    device = TOTPDevice.objects.get(user=auditor)
    response = client.post(
        reverse("accounts:second_factor"), {"token": _code(device), "next": "/audit/"}
    )
    assert response.status_code == 302
    assert response.url == "/audit/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/audit/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login.otp", actor_name="auditor").exists()


def test_a_wrong_code_is_refused_with_an_error_on_the_field(client, world):
    auditor = world.by_role["auditor"]
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    response = client.post(reverse("accounts:second_factor"), {"token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get("/audit/").status_code == 302


def test_system_admin_with_a_device_verifies_with_its_code(client, world):
    admin = world.by_role["system_admin"]
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client.force_login(admin)
    response = client.post(reverse("accounts:second_factor"), {"token": _code(device)})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def test_grid_worker_who_enrolled_a_device_is_asked_for_a_code_at_login(client, world):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="phone", confirmed=True)
    response = _sign_in(client, "grid_worker_a")
    assert response.url.startswith(reverse("accounts:second_factor"))


def test_grid_worker_without_a_device_is_not_asked_for_a_code(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("web:home")).status_code == 200


def test_the_workbench_login_points_residents_to_their_phone_pages(client, db):
    body = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("portal:login")}" id="resident-login"' in body
