"""Helpers for calling the API as a session user or with an API key."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_issue

BASE = "/api/v1"


@dataclass
class Caller:
    """A test client that speaks JSON to the API, signed in or carrying a key."""

    client: Client
    key: str = ""

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        headers = {"X-API-Key": self.key} if self.key else {}
        url = path if path.startswith(BASE) else BASE + path
        if method == "GET":
            return self.client.get(url, query, headers=headers)
        return self.client.generic(
            method,
            url,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=headers,
        )

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, **query)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("PATCH", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, body)


@pytest.fixture
def as_user(db):
    """`as_user(user)` → a Caller with its own client, signed in (CSRF not enforced)."""

    def make(user: Any) -> Caller:
        client = Client()
        client.force_login(user)
        return Caller(client)

    return make


@pytest.fixture
def as_key():
    """`as_key(user, area)` → a Caller with a key bound to the user's membership on area."""

    def make(user: Any, area: Any, role: str | None = None) -> Caller:
        memberships = Membership.objects.filter(user=user, area=area, is_active=True)
        if role:
            memberships = memberships.filter(role=role)
        _key, raw = api_key_issue(membership=memberships.get(), name="test integration")
        return Caller(Client(), key=raw)

    return make


def assert_error(response: Any, status: int, code: str, fields: tuple[str, ...] = ()) -> dict:
    """The response is the API's error shape with this status and code, naming `fields`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert {"code", "message", "fields"} <= set(body), body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert isinstance(body["fields"], dict), body
    for name in fields:
        messages = body["fields"].get(name)
        assert messages, f"no message for {name}: {body}"
        assert all(isinstance(m, str) and m.strip() for m in messages), body
    return body
