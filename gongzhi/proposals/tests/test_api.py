"""The proposals and polls API."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from gongzhi.core import clock
from gongzhi.proposals.models import Vote
from gongzhi.proposals.tests.conftest import open_poll, published


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_resident_lists_supports_and_votes(people):
    proposal = published(people)
    poll = open_poll(people, results_visibility="after_vote")
    client = _client(people.neighbour)
    listed = client.get("/api/v1/proposals").json()
    assert [p["id"] for p in listed["items"]] == [proposal.pk]
    supported = client.post(
        f"/api/v1/proposals/{proposal.pk}/support", "{}", content_type="application/json"
    )
    assert supported.status_code == 201 and supported.json()["supports"] == 1
    before = client.get(f"/api/v1/polls/{poll.pk}").json()
    assert before["results"] is None
    option = poll.options.first().pk
    voted = client.post(
        f"/api/v1/polls/{poll.pk}/votes", {"option": option}, content_type="application/json",
        HTTP_X_DEVICE_ID="phone-1",
    )  # fmt: skip
    assert voted.status_code == 201 and not voted.json()["by_proxy"]
    after = client.get(f"/api/v1/polls/{poll.pk}").json()
    assert after["results"][0]["votes"] == 1


def test_second_vote_is_a_field_error(people):
    poll = open_poll(people)
    client = _client(people.resident)
    body = {"option": poll.options.first().pk}
    client.post(f"/api/v1/polls/{poll.pk}/votes", body, content_type="application/json")
    again = client.post(f"/api/v1/polls/{poll.pk}/votes", body, content_type="application/json")
    assert again.status_code == 400 and "person" in again.json()["fields"]
    assert Vote.objects.count() == 1


def test_voting_for_someone_one_does_not_act_for_is_a_field_error(people):
    poll = open_poll(people)
    response = _client(people.neighbour).post(
        f"/api/v1/polls/{poll.pk}/votes",
        {"option": poll.options.first().pk, "person": people.world.person_a1.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "person" in response.json()["fields"]


def test_closed_poll_is_a_field_error(people):
    now = clock.now()
    poll = open_poll(
        people, opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(days=1)
    )
    response = _client(people.resident).post(
        f"/api/v1/polls/{poll.pk}/votes", {"option": poll.options.first().pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400 and "poll" in response.json()["fields"]


def test_staff_step_and_poll_create(people):
    proposal = published(people)
    client = _client(people.staff)
    answered = client.post(
        f"/api/v1/proposals/{proposal.pk}/steps", {"action": "answer", "note": "同意"},
        content_type="application/json",
    )  # fmt: skip
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    now = clock.now()
    bad = client.post(
        "/api/v1/polls",
        {
            "area": people.world.community_a.pk, "question": "？", "options": ["一"],
            "opens_at": now.isoformat(), "closes_at": (now - dt.timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 400 and {"options", "closes_at"} <= set(bad.json()["fields"])
    made = client.post(
        "/api/v1/polls",
        {
            "proposal": proposal.pk, "question": "是否同意？", "options": ["同意", "不同意"],
            "opens_at": now.isoformat(), "closes_at": (now + dt.timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["proposal_id"] == proposal.pk
    flags = client.get(f"/api/v1/polls/{made.json()['id']}/flags")
    assert flags.status_code == 200 and flags.json() == []


def test_grid_worker_may_not_step(people):
    proposal = published(people)
    response = _client(people.world.grid_worker_a).post(
        f"/api/v1/proposals/{proposal.pk}/steps", {"action": "answer", "note": "好"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
