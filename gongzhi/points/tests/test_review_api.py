"""The points review and ledger API: decisions, refusals with the field named, balances."""

import json

from django.test import Client

from gongzhi.accounts.models import Role
from gongzhi.points import ledger
from gongzhi.points.models import Adjustment, EntryKind, LedgerEntry
from gongzhi.points.tests.review_factories import activity, proof, signup, submitted


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_queue_and_an_approval(world):
    waiting = submitted(world)
    waiting.flags = [{"code": "no_capture_time"}]
    waiting.save()
    client = _as(world.grid_worker_a)
    items = client.get("/api/v1/points/proofs/review").json()["items"]
    assert [i["id"] for i in items] == [waiting.pk]
    assert items[0]["flags"][0]["code"] == "no_capture_time"
    url = f"/api/v1/points/proofs/{waiting.pk}/review"
    refused = _post(client, url, {"action": "approve"})
    assert refused.status_code == 400 and "acknowledge_flags" in refused.json()["fields"]
    done = _post(client, url, {"action": "approve", "acknowledge_flags": True})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    again = _post(client, url, {"action": "approve", "acknowledge_flags": True})
    assert again.status_code == 409 and LedgerEntry.objects.count() == 1


def test_a_rejection_without_a_reason_names_the_field(world):
    waiting = submitted(world)
    response = _post(
        _as(world.grid_worker_a), f"/api/v1/points/proofs/{waiting.pk}/review", {"action": "reject"}
    )
    assert response.status_code == 400 and "note" in response.json()["fields"]


def test_ones_own_proof_is_forbidden_and_another_areas_missing(world):
    own = proof(signup(activity(world), world.grid_worker_a))
    url = f"/api/v1/points/proofs/{own.pk}/review"
    assert _post(_as(world.grid_worker_a), url, {"action": "approve"}).status_code == 403
    assert _post(_as(world.grid_worker_b), url, {"action": "approve"}).status_code == 404


def test_my_balance_and_entries(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    ledger.entry_post(holder=volunteer, kind=EntryKind.AWARD, points=9, hours=2, source="s:1")
    client = _as(volunteer)
    assert client.get("/api/v1/points/me").json() == {"balance": 9, "hours": "2.0"}
    entries = client.get("/api/v1/points/me/entries").json()
    assert entries["count"] == 1 and entries["items"][0]["points"] == 9


def test_adjustments_propose_and_decide(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    staff = _as(world.by_role[Role.COMMUNITY_STAFF])
    no_reason = _post(
        staff, "/api/v1/points/adjustments", {"holder": volunteer.pk, "points": 3, "reason": ""}
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    made = _post(
        staff, "/api/v1/points/adjustments", {"holder": volunteer.pk, "points": 3, "reason": "补录"}
    )
    assert made.status_code == 201
    url = f"/api/v1/points/adjustments/{made.json()['id']}/decide"
    assert _post(staff, url, {"approve": True}).status_code == 403
    decided = _post(_as(world.secretary), url, {"approve": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert ledger.balance_of(volunteer) == 3 and Adjustment.objects.get().entry_id


def test_a_holders_entries_for_staff_of_the_area(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    ledger.entry_post(holder=volunteer, kind=EntryKind.AWARD, points=4, source="s:2")
    url = f"/api/v1/points/holders/{volunteer.pk}/entries"
    assert _as(world.secretary).get(url).json()["count"] == 1
    assert _as(world.resident).get(url).status_code == 404
