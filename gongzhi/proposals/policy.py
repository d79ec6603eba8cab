"""Who may see, support, vote on and manage proposals and polls (on top of `accounts.access`).

- **Staff** with `proposal.manage` on the area publish, decline, answer and follow a
  proposal, and run its polls.
- **Taking part** (support, vote) is for persons of the register whose household lies in
  the area: the signed-in user for their own record, or for a person they act for through
  a confirmed proxy link (recorded as by proxy).
- **Seeing** a public proposal or a poll on /m/: anyone signed in whose place overlaps the
  area — their household, a household they act for, or the area of any membership (a
  volunteer's, a party member's, staff's). A proposal still waiting (or declined) is seen
  by its author and by staff only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import persons_user_may_act_for
from gongzhi.core import scope
from gongzhi.proposals.states import PUBLIC
from gongzhi.registry.models import Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer
    from gongzhi.proposals.models import Poll, Proposal


def places(user: Viewer | None) -> list[str]:
    """The paths the user belongs to: households they live in or act for, memberships."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    ids = persons_user_may_act_for(user)
    found = list(Person.objects.filter(pk__in=ids).values_list("area_path", flat=True))
    found += [g.path for g in access.grants(user)]
    return scope.minimal(found)


def may_manage(user: Viewer | None, area_path: str) -> bool:
    return access.can(user, Perm.PROPOSAL_MANAGE, area_path)


def is_author(user: Viewer | None, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if proposal.author_id == user.pk:
        return True
    return proposal.author_person_id in persons_user_may_act_for(user)


def can_see_proposal(user: Viewer | None, proposal: Proposal) -> bool:
    if may_manage(user, proposal.area_path):
        return True
    if proposal.status not in PUBLIC:
        return is_author(user, proposal)
    return scope.overlaps(proposal.area_path, places(user))


def can_see_poll(user: Viewer | None, poll: Poll) -> bool:
    return may_manage(user, poll.area_path) or scope.overlaps(poll.area_path, places(user))


def acts_for(user: Viewer | None, person: Person) -> bool:
    """May the user take part for this person (their own record, or a proxy link)?"""
    return person.pk in persons_user_may_act_for(user)


def lives_in(person: Person, area_path: str) -> bool:
    return scope.within(person.area_path, [area_path])
