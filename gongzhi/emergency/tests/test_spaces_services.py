"""Reserved spaces: who may create and change them, capacity and places taken, status."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.emergency import spaces
from gongzhi.emergency.models import Space
from gongzhi.emergency.tests.supply_factories import space

pytestmark = pytest.mark.django_db


def _fields(exc) -> set[str]:
    return set(exc.value.message_dict)


def test_staff_create_a_space_and_it_is_audited(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    made = spaces.space_create(
        actor=staff, area=world.community_a, name="社区隔离观察室", kind="isolation", capacity=6,
        location="社区服务中心二楼",
    )  # fmt: skip
    assert (made.occupied, made.status) == (0, "ready")
    assert AuditEntry.objects.get(action="space.create").object_label == f"#{made.pk}"


def test_bad_fields_are_named(world):
    with pytest.raises(ValidationError) as exc:
        spaces.space_create(actor=None, area=world.building_a1, name="", kind="castle", capacity=0)
    assert _fields(exc) == {"area", "name", "kind", "capacity"}
    assert not Space.objects.exists()


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.POLICE, Role.DOCTOR, Role.STREET_OFFICER])
def test_roles_without_supply_manage_cannot_create(world, role):
    with pytest.raises(Forbidden):
        spaces.space_create(
            actor=world.by_role[role], area=world.grid_a1, name="集合点", kind="assembly",
            capacity=100,
        )  # fmt: skip


def test_occupy_takes_and_frees_places_within_capacity(world):
    room = space(world.community_a, capacity=4)
    spaces.space_occupy(actor=world.secretary, space=room, delta=3)
    room.refresh_from_db()
    assert (room.occupied, room.status) == (3, "in_use")
    with pytest.raises(ValidationError) as exc:
        spaces.space_occupy(actor=world.secretary, space=room, delta=2)
    assert _fields(exc) == {"occupied"}
    with pytest.raises(ValidationError) as exc:
        spaces.space_occupy(actor=world.secretary, space=room, delta=-4)
    assert _fields(exc) == {"occupied"}
    room.refresh_from_db()
    assert room.occupied == 3
    spaces.space_occupy(actor=world.secretary, space=room, delta=-3)
    room.refresh_from_db()
    assert (room.occupied, room.status) == (0, "ready")
    assert AuditEntry.objects.filter(action="space.occupy").count() == 2


@pytest.mark.parametrize("delta", [0, True, "1", 1.0])
def test_occupy_needs_a_whole_non_zero_number(world, delta):
    room = space(world.community_a)
    with pytest.raises(ValidationError) as exc:
        spaces.space_occupy(actor=world.secretary, space=room, delta=delta)
    assert _fields(exc) == {"delta"}


def test_an_out_of_service_space_takes_nobody(world):
    room = space(world.community_a, status="closed")
    with pytest.raises(ValidationError) as exc:
        spaces.space_occupy(actor=world.secretary, space=room, delta=1)
    assert _fields(exc) == {"status"}


def test_update_keeps_capacity_at_or_above_places_taken_and_closes_only_empty(world):
    room = space(world.community_a, capacity=4)
    spaces.space_occupy(actor=None, space=room, delta=3)
    base = {"name": "隔离观察室", "kind": "isolation", "status": "in_use"}
    with pytest.raises(ValidationError) as exc:
        spaces.space_update(actor=world.secretary, space=room, capacity=2, **base)
    assert _fields(exc) == {"capacity"}
    with pytest.raises(ValidationError) as exc:
        spaces.space_update(
            actor=world.secretary, space=room, capacity=4, **{**base, "status": "closed"}
        )
    assert _fields(exc) == {"status"}
    spaces.space_update(actor=world.secretary, space=room, capacity=8, **base)
    room.refresh_from_db()
    assert room.capacity == 8
    assert AuditEntry.objects.get(action="space.update").fields == ["capacity"]


def test_outside_scope_is_forbidden(world):
    room = space(world.community_b)
    with pytest.raises(Forbidden):
        spaces.space_occupy(actor=world.secretary, space=room, delta=1)
    with pytest.raises(Forbidden):
        spaces.space_update(
            actor=world.secretary, space=room, name="x", kind="isolation", capacity=4,
            status="ready",
        )  # fmt: skip
