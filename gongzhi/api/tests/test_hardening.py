"""Outside review, items 11 and 4: a multipart call with session auth, and rate limits."""

from django.test import Client

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
