"""Lessons in the test world: community A's, community B's (shared or not), and a lesson
of a community in another street."""

from __future__ import annotations

from gongzhi.accounts.models import Role
from gongzhi.emergency import knowledge
from gongzhi.registry import services


def other_street_community(world):
    create = services.area_create
    street = create(
        actor=None, parent=world.street.parent, kind="street", name="南海街道", code="421087009"
    )
    return create(actor=None, parent=street, kind="community", name="南海社区", code="421087009001")


def write(area, *, title="演练复盘", body="内容", shared=False, kind="epidemic", tags=""):
    return knowledge.lesson_write(
        actor=None, area=area, source="incident", kind=kind, title=title, body=body,
        tags=tags, shared=shared,
    )  # fmt: skip


def staff(world):
    return world.by_role[Role.COMMUNITY_STAFF]
