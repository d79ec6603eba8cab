"""Outside review, items 11 and 4: a multipart call with session auth, and rate limits."""

import pytest
from django.core.cache import cache
from django.test import Client

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_issue
from gongzhi.api.tests.conftest import assert_error


def _session_with_csrf(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")
    return client, client.cookies["csrftoken"].value


def test_a_multipart_call_to_a_json_operation_with_a_session_is_a_400_not_a_500(world):
    client, token = _session_with_csrf(world.grid_worker_a)
    response = client.post(
        "/api/v1/workorders",
        {"category": "repair", "description": "x"},
        headers={"X-CSRFToken": token},
    )
    assert_error(response, 400, "bad_request")


def test_the_same_call_with_a_key_gets_the_same_answer(world, as_key):
    caller = as_key(world.grid_worker_a, world.grid_a1)
    response = caller.client.post(
        "/api/v1/workorders",
        {"category": "repair", "description": "x"},
        headers={"X-API-Key": caller.key},
    )
    assert_error(response, 400, "bad_request")


# --- rate limits (ninja's throttles, rates from settings) -------------------------------------


@pytest.fixture
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _assert_throttled(response) -> None:
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_a_signed_in_user_is_throttled_at_the_user_rate(world, settings, fresh_limits):
    settings.GONGZHI_RATE_API_USER = "3/min"
    client = Client()
    client.force_login(world.grid_worker_a)
    for _ in range(3):
        assert client.get("/api/v1/households").status_code == 200
    _assert_throttled(client.get("/api/v1/households"))
    other = Client()
    other.force_login(world.grid_worker_b)
    assert other.get("/api/v1/households").status_code == 200


def test_an_api_key_is_throttled_at_the_key_rate(world, settings, as_key, fresh_limits):
    settings.GONGZHI_RATE_API_KEY = "2/min"
    first = as_key(world.grid_worker_a, world.grid_a1)
    for _ in range(2):
        assert first.get("/households").status_code == 200
    _assert_throttled(first.get("/households"))


def test_a_key_user_cannot_multiply_the_user_rate_with_more_keys(world, settings, fresh_limits):
    settings.GONGZHI_RATE_API_USER = "2/min"
    membership = Membership.objects.get(user=world.grid_worker_a, area=world.grid_a1)
    keys = [api_key_issue(membership=membership, name=f"k{n}")[1] for n in range(3)]
    answers = [
        Client().get("/api/v1/households", headers={"X-API-Key": k}).status_code for k in keys
    ]
    assert answers == [200, 200, 429]


def test_anonymous_callers_are_throttled_by_address(world, settings, fresh_limits):
    settings.GONGZHI_RATE_API_ANON = "2/min"
    answers = [Client().get("/api/v1/households").status_code for _ in range(3)]
    assert answers == [401, 401, 429]
    elsewhere = Client(REMOTE_ADDR="10.9.9.9").get("/api/v1/households")
    assert elsewhere.status_code == 401


def test_the_throttled_answer_is_in_the_user_language(world, settings, fresh_limits):
    settings.GONGZHI_RATE_API_USER = "1/min"
    client = Client()
    client.force_login(world.grid_worker_a)
    client.get("/api/v1/households")
    body = client.get("/api/v1/households").json()
    assert body["message"] == "请求过于频繁，请稍后再试。"
