import json

import pytest
from django.test import Client

from gongzhi.notices.models import Notice, NoticeReceipt
from gongzhi.notices.tests.factories import publish, resident_of

API = "/api/v1"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def linked(world):
    return resident_of(world.household_a1, "陈红梅", username="chen")


def test_create_and_read_back(world):
    client = _client(world.grid_worker_a)
    response = _post(
        client,
        f"{API}/notices",
        {"title": "停水通知", "body": "明天停水", "targets": [world.building_a1.pk]},
    )
    assert response.status_code == 201, response.content
    notice_id = response.json()["id"]
    got = client.get(f"{API}/notices/{notice_id}").json()
    assert got["targets"] == [{"id": world.building_a1.pk, "name": "1栋", "kind": "building"}]
    assert [n["id"] for n in client.get(f"{API}/notices").json()["items"]] == [notice_id]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "t", "body": "b", "targets": []}, "targets"),
        ({"title": "", "body": "b", "targets": ["A2"]}, "title"),
        ({"title": "t", "body": "b", "targets": ["A2"]}, "targets"),
        (
            {"title": "t", "body": "b", "targets": ["A1"], "published_at": "2030-01-02T00:00:00Z",
             "expires_at": "2030-01-01T00:00:00Z"},
            "expires_at",
        ),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(world, payload, field):
    names = {"A1": world.building_a1.pk, "A2": world.building_a2.pk}
    payload = dict(payload, targets=[names[t] for t in payload["targets"]])
    response = _post(_client(world.grid_worker_a), f"{API}/notices", payload)
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not Notice.objects.exists()


def test_receipts_are_scoped_and_masked(world):
    notice = publish(world.community_a)
    body = _client(world.grid_worker_a).get(f"{API}/notices/{notice.pk}/receipts").json()
    assert (body["audience"], body["read"], body["unread"]) == (1, 0, 1)
    assert body["not_read"] == [
        {"building": "1栋", "dwelling": "1-101", "name": "张*明", "elder": False, "reminded": False}
    ]


def test_withdraw_out_of_scope_is_404_and_403_when_seen(world):
    other = publish(world.building_a2)
    community = publish(world.community_a)
    client = _client(world.grid_worker_a)
    assert _post(client, f"{API}/notices/{other.pk}/withdraw").status_code == 404
    assert _post(client, f"{API}/notices/{community.pk}/withdraw").status_code == 403
    assert _post(_client(world.secretary), f"{API}/notices/{community.pk}/withdraw").json()[
        "withdrawn_at"
    ]


def test_a_resident_lists_and_reads_their_notices(world, linked):
    person, user = linked
    notice = publish(world.building_a1)
    publish(world.building_a2)
    client = _client(user)
    items = client.get(f"{API}/me/notices").json()["items"]
    assert [(i["id"], i["is_read"]) for i in items] == [(notice.pk, False)]
    assert _post(client, f"{API}/me/notices/{notice.pk}/read").status_code == 200
    assert client.get(f"{API}/me/notices").json()["items"][0]["is_read"] is True
    assert NoticeReceipt.objects.get().person == person


def test_a_resident_cannot_read_a_notice_not_for_them(world, linked):
    notice = publish(world.building_a2)
    assert _post(_client(linked[1]), f"{API}/me/notices/{notice.pk}/read").status_code == 404
    assert not NoticeReceipt.objects.exists()


def test_a_resident_has_no_staff_list(world, linked):
    publish(world.building_a1)
    assert _client(linked[1]).get(f"{API}/notices").json()["items"] == []
