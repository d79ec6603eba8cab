"""Outside review, items 10 and 11, on the workbench's sign-in."""

from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

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
