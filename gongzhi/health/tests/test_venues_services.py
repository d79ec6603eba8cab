"""Venues: created in one's own area with a random code, closed and reopened, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition
from gongzhi.health import venues
from gongzhi.health.tests.venue_factories import venue


def _fields(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.error_dict)


def test_a_grid_worker_creates_a_venue_in_their_grid_with_a_random_code(world):
    made = venues.venue_create(
        actor=world.grid_worker_a, area=world.grid_a1, name=" 东门岗 ", kind="gate"
    )
    other = venues.venue_create(
        actor=world.grid_worker_a, area=world.building_a1, name="便利店", kind="shop"
    )
    assert (made.name, made.kind, made.area_path) == ("东门岗", "gate", world.grid_a1.path)
    assert len(made.code) == 24 and made.code != other.code
    assert made.name not in made.code
    entry = AuditEntry.objects.get(action="venue.create", object_id=str(made.pk))
    assert entry.actor_id == world.grid_worker_a.pk


def test_a_grid_worker_cannot_create_a_venue_in_another_grid(world):
    with pytest.raises(ValidationError) as exc:
        venues.venue_create(actor=world.grid_worker_a, area=world.grid_a2, name="超市")
    assert _fields(exc) == {"area"}


def test_a_grid_worker_cannot_create_a_venue_in_another_community(world):
    with pytest.raises(ValidationError) as exc:
        venues.venue_create(actor=world.grid_worker_a, area=world.building_b1, name="超市")
    assert _fields(exc) == {"area"}


def test_the_police_do_not_manage_venues(world):
    police = world.by_role[Role.POLICE]
    with pytest.raises(ValidationError) as exc:
        venues.venue_create(actor=police, area=world.building_a1, name="超市")
    assert _fields(exc) == {"area"}


def test_a_venue_needs_a_name_a_known_kind_and_no_past_last_day(world):
    with pytest.raises(ValidationError) as exc:
        venues.venue_create(
            actor=world.secretary,
            area=world.community_a,
            name="  ",
            kind="casino",
            expires_on=clock.today() - dt.timedelta(days=1),
        )
    assert _fields(exc) == {"name", "kind", "expires_on"}


def test_a_name_longer_than_100_characters_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        venues.venue_create(actor=world.secretary, area=world.community_a, name="店" * 101)
    assert _fields(exc) == {"name"}


def test_close_and_reopen_are_audited_and_refused_twice(world):
    place = venue(world.building_a1)
    venues.venue_close(actor=world.grid_worker_a, venue=place)
    place.refresh_from_db()
    assert place.closed_at is not None
    with pytest.raises(IllegalTransition):
        venues.venue_close(actor=world.grid_worker_a, venue=place)
    venues.venue_reopen(actor=world.grid_worker_a, venue=place)
    place.refresh_from_db()
    assert place.closed_at is None
    with pytest.raises(IllegalTransition):
        venues.venue_reopen(actor=world.grid_worker_a, venue=place)
    actions = set(
        AuditEntry.objects.filter(object_id=str(place.pk)).values_list("action", flat=True)
    )
    assert {"venue.close", "venue.reopen"} <= actions


def test_a_grid_worker_of_another_grid_cannot_close_the_venue(world):
    place = venue(world.building_a1)
    with pytest.raises(Forbidden):
        venues.venue_close(actor=world.grid_worker_b, venue=place)


def test_a_new_code_replaces_the_old_one(world):
    place = venue(world.building_a1)
    old = place.code
    venues.venue_rotate_code(actor=world.secretary, venue=place)
    place.refresh_from_db()
    assert place.code != old
    with pytest.raises(venues.VenueUnavailable) as exc:
        venues.venue_for_code(old)
    assert exc.value.status == 404


def test_unknown_closed_and_expired_codes_are_refused(world):
    place = venue(world.building_a1, expires_on=clock.today())
    assert venues.venue_for_code(place.code).pk == place.pk  # the last day still counts
    with pytest.raises(venues.VenueUnavailable) as exc:
        venues.venue_for_code(place.code, today=clock.today() + dt.timedelta(days=1))
    assert exc.value.status == 410
    venues.venue_close(actor=None, venue=place)
    with pytest.raises(venues.VenueGone):
        venues.venue_for_code(place.code)
    for bad in ("", "x" * 40, "nope"):
        with pytest.raises(venues.VenueUnavailable) as exc:
            venues.venue_for_code(bad)
        assert exc.value.status == 404


def test_an_edit_renames_and_is_audited_with_the_changed_fields(world):
    place = venue(world.building_a1)
    venues.venue_update(
        actor=world.grid_worker_a, venue=place, name="幸福超市", kind="shop", expires_on=None
    )
    place.refresh_from_db()
    assert place.name == "幸福超市"
    entry = AuditEntry.objects.get(action="venue.update", object_id=str(place.pk))
    assert entry.fields == ["name"]


def test_an_edit_cannot_set_a_past_last_day(world):
    place = venue(world.building_a1)
    with pytest.raises(ValidationError) as exc:
        venues.venue_update(
            actor=world.secretary,
            venue=place,
            name=place.name,
            kind="shop",
            expires_on=clock.today() - dt.timedelta(days=2),
        )
    assert _fields(exc) == {"expires_on"}
