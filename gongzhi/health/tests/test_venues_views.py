"""Workbench pages of venues: create in one's area only, the poster, close and reopen."""

from __future__ import annotations

from django.test import Client

from gongzhi.health.models import Venue
from gongzhi.health.tests.venue_factories import venue


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_grid_worker_creates_a_venue_and_prints_its_poster(world):
    client = _client(world.grid_worker_a)
    form = client.get("/health/venues/new/")
    assert form.status_code == 200
    body = form.content.decode()
    assert world.grid_a1.name in body and world.grid_a2.name not in body  # only their grid
    response = client.post(
        "/health/venues/new/", {"area": world.building_a1.pk, "name": "幸福超市", "kind": "shop"}
    )
    made = Venue.objects.get()
    assert response.status_code == 302 and response.url == f"/health/venues/{made.pk}/"
    poster = client.get(f"/health/venues/{made.pk}/poster/")
    text = poster.content.decode()
    assert "幸福超市" in text and "<svg" in text and f"/m/v/{made.code}/" in text
    assert poster["Cache-Control"] == "private, no-store"


def test_a_venue_in_an_area_outside_ones_scope_is_refused_naming_the_area(world):
    client = _client(world.grid_worker_a)
    response = client.post(
        "/health/venues/new/", {"area": world.building_b1.pk, "name": "超市", "kind": "shop"}
    )
    assert response.status_code == 200
    assert not Venue.objects.exists()
    assert "is-invalid" in response.content.decode()


def test_a_past_last_day_is_refused(world):
    client = _client(world.secretary)
    response = client.post(
        "/health/venues/new/",
        {
            "area": world.community_a.pk,
            "name": "社区办公室",
            "kind": "office",
            "expires_on": "2001-01-01",
        },
    )
    assert "有效期末日不能早于今天" in response.content.decode()
    assert not Venue.objects.exists()


def test_close_and_reopen_from_the_venue_page(world):
    place = venue(world.building_a1)
    client = _client(world.grid_worker_a)
    client.post(f"/health/venues/{place.pk}/do/", {"action": "close"})
    place.refresh_from_db()
    assert place.closed_at is not None
    assert Client().get(f"/m/v/{place.code}/").status_code == 410
    client.post(f"/health/venues/{place.pk}/do/", {"action": "reopen"})
    place.refresh_from_db()
    assert place.closed_at is None


def test_another_grids_worker_does_not_see_the_venue(world):
    place = venue(world.building_a1)
    client = _client(world.grid_worker_b)
    assert client.get(f"/health/venues/{place.pk}/").status_code == 404
    assert client.post(f"/health/venues/{place.pk}/do/", {"action": "close"}).status_code == 404
    assert "社区超市" not in client.get("/health/venues/").content.decode()


def test_residents_and_police_have_no_venue_pages(world):
    from gongzhi.accounts.models import Role

    for user in (world.resident, world.by_role[Role.POLICE]):
        assert _client(user).get("/health/venues/").status_code == 404
