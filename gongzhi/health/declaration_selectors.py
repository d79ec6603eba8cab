"""Reads of arrival declarations, through the viewer's scope.

Declarations are seen by those who follow the watch list up (`watchlist.follow_up`) where
the declaration lies (the person's building, or the declared building while it waits for
the grid worker); by id through `declaration_get_for` (NotFound when missing or out of
scope). A community's QR poster is for whoever follows up somewhere in the community.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.health.models import Declaration, DeclarationStatus
from gongzhi.registry.choices import HouseholdStatus
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Household, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

PERM = Perm.WATCHLIST_FOLLOW_UP


def declaration_list_for(*, user: Viewer, pending: bool = False) -> QuerySet[Declaration]:
    declarations = Declaration.objects.restrict(user, PERM)
    if pending:
        declarations = declarations.filter(status=DeclarationStatus.PENDING_PERSON)
    return declarations.select_related("building", "community", "entry").order_by(
        "-created_at", "-pk"
    )


def pending_count_for(*, user: Viewer) -> int:
    return declaration_list_for(user=user, pending=True).count()


def declaration_get_for(*, user: Viewer, declaration_id: Any) -> Declaration:
    found = get_by_id(
        Declaration.objects.select_related(
            "building__compound", "community", "entry", "person__household"
        ),
        declaration_id,
    )
    if not access.can(user, PERM, found.area_path):
        raise NotFound()
    return found


def poster_communities_for(*, user: Viewer) -> list[Area]:
    """The communities whose QR poster the user may print: where they follow up, or a
    community holding their grid."""
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).restrict(
        user, PERM, overlapping=True
    )
    return [c for c in communities.order_by("path") if not c.is_closed]


def poster_community_get_for(*, user: Viewer, community_id: Any) -> Area:
    community = get_by_id(Area.objects.filter(kind=AreaKind.COMMUNITY), community_id)
    if community.is_closed or not access.overlaps(user, PERM, community.path):
        raise NotFound()
    return community


def link_candidates_for(*, user: Viewer, declaration: Declaration) -> list[Person]:
    """Persons the grid worker may link a pending declaration to: the present persons of
    the declared building, as far as the viewer sees the register."""
    building = declaration.building
    if building is None:
        return []
    people = (
        Person.objects.filter(residency__in=PRESENT_RESIDENCY)
        .within(building.path)
        .restrict(user, Perm.REGISTER_VIEW)
    )
    return list(people.select_related("household").order_by("household__room", "pk")[:200])


def household_choices_for(*, declaration: Declaration) -> list[Household]:
    if declaration.building_id is None:
        return []
    households = Household.objects.filter(building_id=declaration.building_id).exclude(
        status=HouseholdStatus.CLOSED
    )
    return list(households.order_by("unit", "room", "pk")[:200])
