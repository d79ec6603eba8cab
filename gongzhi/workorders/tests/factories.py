"""Orders in every state, made through the real services, and the people who make them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.accounts.models import Role
from gongzhi.workorders import filing, services
from gongzhi.workorders.models import Category, WorkOrder
from gongzhi.workorders.states import Action, Status


@dataclass
class People:
    """World A's cast for work orders. The resident is 张晓明 of household A1."""

    world: Any
    resident: Any
    volunteer: Any
    party_member: Any
    grid_worker: Any
    grid_worker_b: Any
    secretary: Any
    street: Any
    building_head: Any

    @classmethod
    def of(cls, world: Any) -> People:
        resident = world.resident
        resident.person = world.person_a1
        resident.save(update_fields=["person"])
        return cls(
            world=world,
            resident=resident,
            volunteer=world.by_role[Role.VOLUNTEER],
            party_member=world.by_role[Role.PARTY_MEMBER],
            grid_worker=world.grid_worker_a,
            grid_worker_b=world.grid_worker_b,
            secretary=world.secretary,
            street=world.by_role[Role.STREET_OFFICER],
            building_head=world.by_role[Role.BUILDING_HEAD],
        )


def category(code: str = "repair") -> Category:
    return Category.objects.get(code=code)


def new_order(people: People, **extra: Any) -> WorkOrder:
    data = {
        "actor": people.resident,
        "category": category(extra.pop("code", "repair")),
        "description": "厨房水龙头漏水",
    }
    data.update(extra)
    return filing.workorder_create(**data)


def order_in(people: People, status: str, **extra: Any) -> WorkOrder:
    """An order of household A1 brought to `status` by the usual people."""
    order = new_order(people, **extra)

    def step(actor: Any, action: str, **kw: Any) -> None:
        nonlocal order
        order = services.workorder_transition(actor=actor, order=order, action=action, **kw)

    if status == Status.NEW:
        return order
    if status == Status.ESCALATED:
        step(people.grid_worker, Action.ESCALATE, note="需要社区协调")
        return order
    if status == Status.CANCELLED:
        step(people.grid_worker, Action.CANCEL, note="重复提交")
        return order
    step(people.grid_worker, Action.DISPATCH, handlers=[people.volunteer])
    if status == Status.DISPATCHED:
        return order
    step(people.volunteer, Action.ACCEPT)
    if status == Status.ACCEPTED:
        return order
    step(people.volunteer, Action.START)
    if status == Status.IN_PROGRESS:
        return order
    step(people.volunteer, Action.RESOLVE, note="已更换水龙头")
    if status == Status.RESOLVED:
        return order
    step(people.resident, Action.RATE, rating=5, note="很及时")
    assert status == Status.CLOSED
    return order


def photo(
    name: str = "photo.jpg",
    *,
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    exif: Any = None,
) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")
