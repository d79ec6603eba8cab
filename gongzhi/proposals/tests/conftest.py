"""Proposals' people: a resident of household A1 (linked to person A1), a neighbour of
household A2 (community A, grid A2), a proxy acting for person A1, the community staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import proxy_link_create
from gongzhi.core import clock
from gongzhi.proposals import services
from gongzhi.testing import _user


@dataclass
class People:
    world: Any
    resident: Any  # person A1's own account
    neighbour: Any  # person A2's own account (grid A2)
    proxy: Any  # acts for person A1, no record of their own
    staff: Any  # community staff of community A (proposal.manage)
    stranger: Any  # person B1's account, community B


def _linked(username: str, person: Any, area: Any) -> Any:
    user = _user(username, area, Role.RESIDENT)
    user.person = person
    user.save(update_fields=["person"])
    return user


@pytest.fixture
def people(world) -> People:
    proxy = _user("proxy_child", world.community_a, Role.RESIDENT)
    proxy_link_create(user=proxy, person=world.person_a1, relation="child")
    return People(
        world=world,
        resident=_linked("res_a1", world.person_a1, world.community_a),
        neighbour=_linked("res_a2", world.person_a2, world.community_a),
        proxy=proxy,
        staff=world.by_role[Role.COMMUNITY_STAFF],
        stranger=_linked("res_b1", world.person_b1, world.community_b),
    )


def published(people: People, area: Any = None, title: str = "加装电梯") -> Any:
    proposal = services.proposal_submit(
        actor=people.resident,
        person=people.world.person_a1,
        area=area or people.world.community_a,
        title=title,
        body="一号楼老人多，希望加装电梯。",
    )
    return services.proposal_transition(actor=people.staff, proposal=proposal, action="publish")


def open_poll(people: People, area: Any = None, **extra: Any) -> Any:
    now = clock.now()
    data = {
        "actor": people.staff,
        "area": area or people.world.community_a,
        "question": "是否同意加装电梯？",
        "options": ["同意", "不同意"],
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=3),
        "results_visibility": "after_vote",
    }
    data.update(extra)
    return services.poll_create(**data)
