"""The review tried the 10,000 candidates of a masked phone `178****7649` through
`GET /api/v1/persons?q=` in 114 s and left no trace. Exact search is now for roles that
may reveal, audited with a keyed digest (never the value), and throttled per user and per
API key; a burst is refused and flagged in the audit log."""

from __future__ import annotations

import pytest
from django.test import override_settings

from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.services import api_key_issue
from gongzhi.audit.models import AuditEntry


def _phone(world) -> str:
    return world.person_a1.phone.reveal()


def _candidates(phone: str, n: int) -> list[str]:
    """The attacker's loop: the masked phone's hidden middle four, tried in order."""
    head, tail = phone[:3], phone[-4:]
    return [f"{head}{i:04d}{tail}" for i in range(n)]


def test_party_member_cannot_enumerate_a_masked_phone(client, world):
    client.force_login(world.by_role[Role.PARTY_MEMBER])
    phone = _phone(world)
    answers = {client.get("/api/v1/persons", {"q": c}).status_code for c in _candidates(phone, 20)}
    answers.add(client.get("/api/v1/persons", {"q": phone}).status_code)
    assert answers == {403}


def test_exact_search_is_audited_with_a_digest_never_the_value(client, world):
    client.force_login(world.grid_worker_a)
    phone = _phone(world)
    response = client.get("/api/v1/persons", {"q": phone})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [world.person_a1.pk]
    entry = AuditEntry.objects.filter(action="register.exact_search").get()
    assert entry.actor_id == world.grid_worker_a.pk
    assert entry.fields == ["phone"]
    assert "digest" in entry.purpose
    for column in (entry.purpose, entry.object_label, entry.object_id):
        assert phone not in column and phone[-4:] not in column


@override_settings(GONGZHI_EXACT_SEARCH_RATE="3/h")
def test_a_burst_of_exact_searches_is_refused_and_flagged(client, world):
    client.force_login(world.grid_worker_a)
    statuses = [
        client.get("/api/v1/persons", {"q": c}).status_code for c in _candidates(_phone(world), 5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert AuditEntry.objects.filter(action="register.exact_search").count() == 3
    assert AuditEntry.objects.filter(action="register.exact_search_refused").count() == 2


@override_settings(GONGZHI_EXACT_SEARCH_RATE="3/h")
def test_the_workbench_shares_the_quota_and_says_why(client, world):
    client.force_login(world.grid_worker_a)
    for candidate in _candidates(_phone(world), 3):
        assert client.get("/api/v1/persons", {"q": candidate}).status_code == 200
    page = client.get("/register/households/", {"q": _phone(world)})
    assert page.status_code == 200
    assert world.person_a1.name not in page.content.decode()
    assert "429" not in page.content.decode()
    assert AuditEntry.objects.filter(action="register.exact_search_refused").count() == 1


@override_settings(GONGZHI_EXACT_SEARCH_RATE="2/h")
def test_each_api_key_has_its_own_window_inside_the_users(client, world):
    user = world.grid_worker_a
    membership = Membership.objects.get(user=user, role=Role.GRID_WORKER)
    _key, raw = api_key_issue(membership=membership, name="integration")
    phone = _phone(world)
    headers = {"HTTP_X_API_KEY": raw}
    assert client.get("/api/v1/persons", {"q": phone}, **headers).status_code == 200
    assert client.get("/api/v1/persons", {"q": phone}, **headers).status_code == 200
    # The user's own window is spent too: a session of the same user is refused.
    client.force_login(user)
    assert client.get("/api/v1/persons", {"q": phone}).status_code == 429


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.POLICE])
def test_exact_search_finds_only_where_the_role_may_reveal(client, world, role):
    client.force_login(world.by_role[role])
    phone_b = world.person_b1.phone.reveal()
    response = client.get("/api/v1/persons", {"q": phone_b})
    assert response.status_code == 200
    assert response.json()["items"] == []


@override_settings(GONGZHI_EXACT_SEARCH_RATE="2/h")
def test_the_auditor_over_the_area_hears_of_a_burst_once(client, world):
    from gongzhi.notifications.models import Notification

    client.force_login(world.grid_worker_a)
    for candidate in _candidates(_phone(world), 5):
        client.get("/api/v1/persons", {"q": candidate})
    told = Notification.objects.filter(kind="audit.exact_search_burst")
    assert [n.recipient for n in told] == [world.by_role[Role.AUDITOR]]
    assert _phone(world)[-4:] not in told.get().body
