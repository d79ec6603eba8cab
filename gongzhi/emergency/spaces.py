"""Reserved spaces (弹性空间): isolation rooms, assembly and sampling points, shelters, supply
stores, each with a capacity, how many places are taken, and a status (ready, in use, out
of service). Staff holding `emergency.supply` on the space's area (a community or a grid
inside one) create, edit and occupy them; `occupied` never goes above the capacity nor
below zero (the row is locked while it changes).

Audit entries name spaces by number only; a location is a place, never a home address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core.validation import Errors, raise_errors, text_field
from gongzhi.emergency.models import Space, SpaceKind, SpaceStatus
from gongzhi.emergency.supplies import STORE_AREA_KINDS
from gongzhi.registry.models import Area

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

NAME_MAX = 100
LOCATION_MAX = 200
NOTE_MAX = 200
CAPACITY_MAX = 100_000


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _label(space: Space) -> str:
    return f"#{space.pk}"


def _check(
    errors: Errors,
    *,
    name: Any,
    kind: Any,
    capacity: Any,
    status: Any,
    location: Any,
    note: Any,
    occupied: int = 0,
) -> dict[str, Any]:
    name = text_field(errors, "name", name, NAME_MAX, required=True, one_line=True)
    location = text_field(errors, "location", location, LOCATION_MAX, one_line=True)
    note = text_field(errors, "note", note, NOTE_MAX, one_line=True)
    if kind not in SpaceKind.values:
        _add(errors, "kind", _("Choose a kind of space."))
    if status not in SpaceStatus.values:
        _add(errors, "status", _("Choose ready, in use or out of service."))
    elif status == SpaceStatus.CLOSED and occupied > 0:
        _add(
            errors,
            "status",
            _("%(occupied)d places are taken: free them before taking the space out of service.")
            % {"occupied": occupied},
        )
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        _add(errors, "capacity", _("The capacity is a whole number of places, at least 1."))
    elif capacity > CAPACITY_MAX:
        _add(errors, "capacity", _("At most %(max)d places.") % {"max": CAPACITY_MAX})
    elif capacity < occupied:
        _add(
            errors,
            "capacity",
            _("%(occupied)d places are taken: the capacity cannot be lower.")
            % {"occupied": occupied},
        )
    return {
        "name": name,
        "kind": kind,
        "capacity": capacity,
        "status": status,
        "location": location,
        "note": note,
    }


@transaction.atomic
def space_create(
    *,
    actor: Actor,
    area: Area,
    name: str,
    kind: str,
    capacity: int,
    status: str = SpaceStatus.READY,
    location: str = "",
    note: str = "",
) -> Space:
    """A reserved space of `area` (a community or a grid inside one), nobody in it."""
    access.require(actor, Perm.SUPPLY_MANAGE, area.path)
    errors: Errors = {}
    if area.kind not in STORE_AREA_KINDS or area.closed_at is not None:
        _add(errors, "area", _("Choose an open community or grid."))
    data = _check(
        errors, name=name, kind=kind, capacity=capacity, status=status, location=location,
        note=note,
    )  # fmt: skip
    raise_errors(errors)
    space = Space.objects.create(area=area, area_path=area.path, occupied=0, **data)
    audit_record(
        actor=actor,
        action="space.create",
        obj=space,
        object_label=_label(space),
        area_path=space.area_path,
        fields=sorted(data),
    )
    return space


def _locked(space: Space) -> Space:
    return Space.objects.select_for_update(of=("self",)).get(pk=space.pk)


@transaction.atomic
def space_update(
    *,
    actor: Actor,
    space: Space,
    name: str,
    kind: str,
    capacity: int,
    status: str,
    location: str = "",
    note: str = "",
) -> Space:
    """Change a space's name, kind, capacity (not below the places taken), status (out of
    service only when empty), location or note."""
    access.require(actor, Perm.SUPPLY_MANAGE, space.area_path)
    space = _locked(space)
    errors: Errors = {}
    data = _check(
        errors, name=name, kind=kind, capacity=capacity, status=status, location=location,
        note=note, occupied=space.occupied,
    )  # fmt: skip
    raise_errors(errors)
    changed = [f for f, v in data.items() if getattr(space, f) != v]
    for field, value in data.items():
        setattr(space, field, value)
    space.save()
    audit_record(
        actor=actor,
        action="space.update",
        obj=space,
        object_label=_label(space),
        area_path=space.area_path,
        fields=changed,
    )
    return space


@transaction.atomic
def space_occupy(*, actor: Actor, space: Space, delta: int) -> Space:
    """Take (`delta` > 0) or free (`delta` < 0) places. A ready space taking its first
    place is in use; an in-use space freeing its last is ready again. An out-of-service
    space takes nobody."""
    access.require(actor, Perm.SUPPLY_MANAGE, space.area_path)
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise_errors({"delta": [_("Enter a whole number of places to take or free, not 0.")]})
    space = _locked(space)
    after = space.occupied + delta
    if delta > 0 and space.status == SpaceStatus.CLOSED:
        raise_errors({"status": [_("This space is out of service.")]})
    if after > space.capacity:
        raise_errors(
            {
                "occupied": [
                    _("Only %(free)d of %(capacity)d places are free.")
                    % {"free": space.capacity - space.occupied, "capacity": space.capacity}
                ]
            }
        )
    if after < 0:
        raise_errors(
            {"occupied": [_("Only %(occupied)d places are taken.") % {"occupied": space.occupied}]}
        )
    space.occupied = after
    if after > 0 and space.status == SpaceStatus.READY:
        space.status = SpaceStatus.IN_USE
    elif after == 0 and space.status == SpaceStatus.IN_USE:
        space.status = SpaceStatus.READY
    space.save(update_fields=["occupied", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="space.occupy",
        obj=space,
        object_label=_label(space),
        area_path=space.area_path,
        fields=["occupied"],
    )
    return space
