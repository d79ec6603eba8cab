"""Outside review, items 10 and 11, at /m/: `next`, SMS codes, throttled sign-in."""

import pytest
from django.core.cache import cache
from django.test import Client

from gongzhi.testing import PASSWORD

LOGIN = "/m/login/"


@pytest.mark.parametrize("target", ["abc", "abc/def", "//evil.example/x", "https://evil.example/"])
def test_a_signed_in_resident_with_a_strange_next_goes_home(world, target):
    client = Client(raise_request_exception=False)
    client.force_login(world.resident)
    response = client.get(LOGIN, {"next": target})
    assert response.status_code == 302
    assert response.url == "/m/"


def test_a_password_sign_in_with_next_abc_goes_home(world):
    client = Client(raise_request_exception=False)
    response = client.post(
        f"{LOGIN}?next=abc",
        {"method": "password", "username": "resident", "password": PASSWORD, "next": "abc"},
    )
    assert response.status_code == 302
    assert response.url == "/m/"


def test_a_local_next_is_still_followed(world):
    client = Client()
    client.force_login(world.resident)
    assert client.get(LOGIN, {"next": "/m/inbox/"}).url == "/m/inbox/"


# --- one address asking too often --------------------------------------------------------------


@pytest.fixture
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/m/login/code/", {"phone": "13700000001"}),
        (LOGIN, {"method": "code", "code": "123456", "phone": "13700000001"}),
        (LOGIN, {"method": "password", "username": "nobody", "password": "x"}),
    ],
)
def test_one_address_is_throttled_on_the_sign_in_paths(db, settings, fresh_limits, path, data):
    settings.GONGZHI_RATE_SIGN_IN = "3/min"
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(3):
        assert client.post(path, data).status_code in (200, 302)
    refused = client.post(path, data)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR="10.1.1.2").post(path, data).status_code in (200, 302)
