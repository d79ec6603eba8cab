"""Activities over REST: /api/v1/points/…"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongzhi.accounts.services import user_link_person
from gongzhi.core import clock
from gongzhi.points.models import Activity, Signup
from gongzhi.points.tests.activity_factories import jpeg_bytes, make_activity, photo_image

API = "/api/v1/points"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(world):
    return user_link_person(user=world.resident, person=world.person_a1, actor=None)


def _body(world, **extra):
    now = clock.now()
    body = {
        "area": world.grid_a1.pk,
        "kind": "event",
        "title": "义诊",
        "starts_at": (now + dt.timedelta(hours=1)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=3)).isoformat(),
        "proof_kind": "photo",
        "points": 5,
        "hours": "1.5",
        "publish": True,
    }
    body.update(extra)
    return body


def test_create_lists_and_gets(world):
    client = _client(world.grid_worker_a)
    response = client.post(f"{API}/activities", _body(world), content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "published" and created["hours"] in ("1.5", 1.5)
    listed = client.get(f"{API}/activities").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert client.get(f"{API}/activities/{created['id']}").status_code == 200


def test_create_names_the_field_of_a_bad_value(world):
    client = _client(world.grid_worker_a)
    now = clock.now()
    body = _body(world, ends_at=(now - dt.timedelta(hours=1)).isoformat(), points=-3)
    response = client.post(f"{API}/activities", body, content_type="application/json")
    assert response.status_code == 400
    assert {"ends_at", "points"} <= set(response.json()["fields"])


def test_create_elsewhere_names_the_area(world):
    client = _client(world.grid_worker_a)
    body = _body(world, area=world.grid_b1.pk)
    response = client.post(f"{API}/activities", body, content_type="application/json")
    assert response.status_code == 400 and "area" in response.json()["fields"]


def test_transition_rotates_the_token(world):
    activity = make_activity(world)
    old = activity.checkin_token
    response = _client(world.grid_worker_a).post(
        f"{API}/activities/{activity.pk}/transition",
        {"action": "rotate"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Activity.objects.get().checkin_token != old


def test_resident_lists_open_activities_signs_up_and_sends_a_photo(world, member):
    activity = make_activity(world)
    make_activity(world, area=world.grid_a2, actor=world.grid_worker_b, title="别处")
    client = _client(member)
    items = client.get(f"{API}/open-activities").json()["items"]
    assert [item["id"] for item in items] == [activity.pk]
    response = client.post(
        f"{API}/open-activities/{activity.pk}/signups", {}, content_type="application/json"
    )
    assert response.status_code == 201
    signup = Signup.objects.get()
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(photo_image(2)), content_type="image/jpeg")
    response = client.post(f"{API}/signups/{signup.pk}/proofs", {"file": photo})
    assert response.status_code == 201, response.content
    assert [flag["code"] for flag in response.json()["flags"]] == ["no_capture_time"]


def test_checkin_with_a_forged_token_is_404(world, member):
    make_activity(world, proof_kind="checkin")
    response = _client(member).post(
        f"{API}/checkin", {"token": "forged"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_checkin_far_away_names_the_position(world, member):
    activity = make_activity(world, proof_kind="checkin", latitude=30.17, longitude=111.76)
    body = {"token": activity.checkin_token, "latitude": 31.0, "longitude": 111.76}
    response = _client(member).post(f"{API}/checkin", body, content_type="application/json")
    assert response.status_code == 400 and "position" in response.json()["fields"]


def test_resident_cannot_list_managed_activities(world, member):
    make_activity(world)
    assert _client(member).get(f"{API}/activities").json()["items"] == []


@pytest.mark.parametrize("person", ["-3439354319175297126348357632", str(2**63), "0", "-1"])
def test_a_person_number_beyond_any_id_is_someone_one_does_not_act_for(world, member, person):
    # The fuzz run found a number beyond SQLite's integers answered with a 500.
    response = _client(member).get(f"{API}/open-activities", {"person": person})
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["person"]
