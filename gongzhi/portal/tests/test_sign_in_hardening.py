"""Outside review, items 10 and 11, at /m/: `next`, SMS codes, throttled sign-in."""

import pytest
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
