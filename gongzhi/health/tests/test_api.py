import pytest
from django.test import Client

from gongzhi.health.tests import factories as f


@pytest.fixture
def api(world):
    client = Client()
    client.force_login(world.secretary)
    return client


def test_upload_then_poll_the_status(api, world):
    data = f.csv_bytes([f.person_row(world.person_a1)])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/api/v1/upstream-lists",
        {
            "area": world.community_a.pk,
            "name": "API名单",
            "file": SimpleUploadedFile("a.csv", data),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "uploaded"
    assert body["columns"]["fields"]["id_number"] == "身份证号"
    from gongzhi.health import services

    services.upstream_list_match(upstream_list_id=body["id"])
    status = api.get(f"/api/v1/upstream-lists/{body['id']}").json()
    assert status["status"] == "matched" and status["counts"]["id_number"] == 1


def test_a_bad_upload_is_a_400_naming_the_file(api, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/api/v1/upstream-lists",
        {"area": world.community_a.pk, "file": SimpleUploadedFile("a.csv", b"%PDF-1.4")},
    )
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_entries_are_masked_and_transitions_checked(api, world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    entry = upstream_list.entries.get()
    listed = api.get("/api/v1/watchlists/entries", {"open": "true"}).json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item["id_number"] == str(world.person_a1.id_number)
    assert world.person_a1.id_number.reveal() not in str(listed)
    assert item["actions"] == ["review", "dismiss"]
    refused = api.post(
        f"/api/v1/watchlists/entries/{entry.pk}/transition",
        {"action": "close", "outcome": "no_action"},
        content_type="application/json",
    )
    assert refused.status_code == 409  # like a work order's illegal step
    assert refused.json()["code"] == "illegal_transition"
    done = api.post(
        f"/api/v1/watchlists/entries/{entry.pk}/transition",
        {"action": "review", "note": "需核实"},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "to_verify"
    assert [e["action"] for e in done.json()["events"]] == ["review"]


def test_an_entry_of_another_community_is_a_404(api, world):
    entry = f.entry_for(world.person_b1, world.community_b)
    assert api.get(f"/api/v1/watchlists/entries/{entry.pk}").status_code == 404


def test_the_watch_list_summary_counts_the_callers_area_only(api, world):
    f.matched(world.community_a, [f.person_row(world.person_a1)])
    f.matched(world.community_b, [f.person_row(world.person_b1)])

    summary = api.get("/api/v1/watchlists").json()

    assert (summary["total"], summary["open"]) == (1, 1)
    assert summary["entries_url"] == "/api/v1/watchlists/entries"


def test_the_watch_list_summary_is_a_404_for_roles_without_it(world):
    client = Client()
    client.force_login(world.by_role["volunteer"])
    assert client.get("/api/v1/watchlists").status_code == 404


def test_assigning_to_a_missing_or_an_outside_user_is_the_same_answer(api, world):
    """Ids cannot be probed: a user who does not exist and one of another community (who
    may follow up there, not here) are refused with the same words, naming no one."""
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    entry = upstream_list.entries.get()

    def assign(user_id):
        return api.post(
            f"/api/v1/watchlists/entries/{entry.pk}/assign",
            {"assignee": user_id},
            content_type="application/json",
        )

    outside = assign(world.grid_worker_b.pk)
    missing = assign(99_999_999)

    assert outside.status_code == missing.status_code == 400
    assert outside.json() == missing.json()
    assert list(outside.json()["fields"]) == ["assignee"]
    assert world.grid_worker_b.username not in outside.content.decode()
