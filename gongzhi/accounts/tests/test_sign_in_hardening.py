"""Outside review, items 10 and 11, on the workbench's sign-in."""

import datetime as dt

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.testing import PASSWORD

LOGIN = "/login/"


def _code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_second_factor_with_next_abc_lands_on_the_workbench(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.by_role["auditor"])
    client.get("/account/2fa/?next=abc")
    device = TOTPDevice.objects.get(user=world.by_role["auditor"])
    response = client.post("/account/2fa/?next=abc", {"token": _code(device), "next": "abc"})
    assert response.status_code == 302
    assert response.url == "/"


def test_a_password_sign_in_with_next_abc_lands_on_the_workbench(world):
    client = Client(raise_request_exception=False)
    response = client.post(
        f"{LOGIN}?next=abc", {"username": "grid_worker_a", "password": PASSWORD, "next": "abc"}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_one_address_is_throttled_on_the_workbench_sign_in(db, settings):
    cache.clear()
    settings.GONGZHI_RATE_SIGN_IN = "3/min"
    client = Client(REMOTE_ADDR="10.1.1.1")
    for n in range(3):
        assert client.post(LOGIN, {"username": f"u{n}", "password": "x"}).status_code == 200
    refused = client.post(LOGIN, {"username": "u9", "password": "x"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.get(LOGIN).status_code == 200  # reading the form is not limited
    cache.clear()


# --- failed passwords: throttled by account name + address, with growing delays --------------

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _at(**delta):
    return clock.freeze(T0 + dt.timedelta(**delta))


def _try(client, username, password="wrong-password", next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def test_a_stranger_guessing_cannot_lock_the_auditor_out(world):
    stranger = Client(REMOTE_ADDR="10.6.6.6")
    with _at():
        for _ in range(10):
            _try(stranger, "auditor")
        response = _try(Client(REMOTE_ADDR="10.0.0.1"), "auditor", PASSWORD)
    assert response.status_code == 302
    assert response.url.startswith("/account/2fa/")


def test_wrong_passwords_from_one_address_meet_growing_delays(world):
    guesser = Client(REMOTE_ADDR="10.6.6.6")
    with _at():
        for _ in range(5):
            assert _try(guesser, "grid_worker_a").status_code == 200
        refused = _try(guesser, "grid_worker_a", PASSWORD)  # even the right one
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "_auth_user_id" not in guesser.session
    with _at(seconds=61):
        assert _try(guesser, "grid_worker_a").status_code == 200
        assert _try(guesser, "grid_worker_a")["Retry-After"] == "120"
    with _at(seconds=61 + 121):
        assert _try(guesser, "grid_worker_a").status_code == 200
        assert _try(guesser, "grid_worker_a")["Retry-After"] == "240"
    with _at(seconds=61 + 121 + 241):
        assert _try(guesser, "grid_worker_a", PASSWORD).status_code == 302


def test_a_right_password_forgives_earlier_mistakes(world):
    client = Client(REMOTE_ADDR="10.0.0.7")
    with _at():
        for _ in range(4):
            _try(client, "grid_worker_a")
        assert _try(client, "grid_worker_a", PASSWORD).status_code == 302
        client.post("/logout/")
        for _ in range(4):
            assert _try(client, "grid_worker_a").status_code == 200
        assert _try(client, "grid_worker_a", PASSWORD).status_code == 302


def test_the_refusal_page_is_in_chinese_and_says_when_to_come_back(world):
    client = Client(REMOTE_ADDR="10.6.6.6")
    with _at():
        for _ in range(6):
            response = _try(client, "grid_worker_a")
    assert response.status_code == 429
    assert "密码错误次数过多" in response.content.decode()


def test_failed_sign_ins_are_audited_by_account_id_never_by_name_or_password(world):
    with _at():
        _try(Client(), "grid_worker_a", "hunter2-secret")
        _try(Client(), "no-such-person-zq", "hunter2-secret")
    known, unknown = AuditEntry.objects.filter(action="auth.login.failed").order_by("seq")
    assert (known.object_type, known.object_id) == ("accounts.user", str(world.grid_worker_a.pk))
    assert unknown.object_type == "accounts.username" and len(unknown.object_id) >= 16
    for entry in (known, unknown):
        row = str(AuditEntry.objects.filter(pk=entry.pk).values().get())
        assert "hunter2" not in row and "no-such-person" not in row and "grid_worker_a" not in row
    again = Client()
    with _at(seconds=5):
        _try(again, "no-such-person-zq")
    assert AuditEntry.objects.filter(object_id=unknown.object_id).count() == 2


# --- absolute session lifetime -----------------------------------------------------------------


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(world, settings):
    assert settings.GONGZHI_SESSION_MAX_AGE_SECONDS == 12 * 3600
    client = Client()
    with _at():
        assert _try(client, "grid_worker_a", PASSWORD).status_code == 302
    for hour in range(1, 12):
        with _at(hours=hour):
            assert client.get("/").status_code == 200
    with _at(hours=12, seconds=1):
        response = client.get("/")
        assert response.status_code == 302 and response.url.startswith("/login/")
        assert "_auth_user_id" not in client.session


def test_an_expired_session_gets_401_from_the_api(world):
    client = Client()
    with _at():
        client.force_login(world.grid_worker_a)
    with _at(hours=13):
        assert client.get("/api/v1/households").status_code == 401


# --- changing one's password ---------------------------------------------------------------------


def test_changing_the_password_needs_the_old_one(world):
    client = Client()
    client.force_login(world.grid_worker_a)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    refused = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not-it",
            "new_password1": "Qz9!long-pass",
            "new_password2": "Qz9!long-pass",
        },
    )
    assert refused.status_code == 200 and refused.context["form"].has_error("old_password")
    done = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Qz9!long-pass",
            "new_password2": "Qz9!long-pass",
        },
    )
    assert done.status_code == 302
    world.grid_worker_a.refresh_from_db()
    assert world.grid_worker_a.check_password("Qz9!long-pass")
    assert client.get("/").status_code == 200  # still signed in here
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert entry.actor_name == "grid_worker_a" and "password" in entry.fields


def test_changing_the_password_needs_a_signed_in_user(db):
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_old_failed_sign_ins_are_forgotten_by_the_daily_prune(world):
    from gongzhi.accounts.models import SignInFailures
    from gongzhi.accounts.tasks import prune_sms_codes

    with _at():
        _try(Client(REMOTE_ADDR="10.6.6.6"), "grid_worker_a")
    with _at(hours=23):
        prune_sms_codes.call()
        assert SignInFailures.objects.count() == 1
    with _at(hours=25):
        prune_sms_codes.call()
        assert SignInFailures.objects.count() == 0
