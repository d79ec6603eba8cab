"""Reads of the mode page: the communities in the user's scope with their mode, a
community by id for a permission (NotFound when missing or out of scope alike), the switch
history and a community's profile versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.emergency.models import Mode, ModeProfile, ModeState, ModeSwitch
from gongzhi.registry.models import Area, AreaKind


@dataclass(frozen=True)
class CommunityMode:
    area: Area
    state: ModeState | None
    can_switch: bool
    can_plan: bool

    @property
    def emergency(self) -> bool:
        return self.state is not None and self.state.mode == Mode.EMERGENCY


def communities_for(user: Any, perm: Perm = Perm.EMERGENCY_VIEW) -> QuerySet[Area]:
    """The open communities where the user holds `perm` (on them, above them, or, for
    viewing, inside them: a grid worker sees their community's mode)."""
    return (
        Area.objects.restrict(user, perm, overlapping=perm == Perm.EMERGENCY_VIEW)
        .filter(kind=AreaKind.COMMUNITY, closed_at__isnull=True)
        .order_by("path")
    )


def community_get_for(user: Any, perm: Perm, area_id: Any) -> Area:
    try:
        return communities_for(user, perm).get(pk=int(area_id))
    except (Area.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def modes_for(user: Any) -> list[CommunityMode]:
    areas = list(communities_for(user))
    states = {s.area_id: s for s in ModeState.objects.filter(area__in=areas)}
    return [
        CommunityMode(
            area=a,
            state=states.get(a.pk),
            can_switch=access.can(user, Perm.EMERGENCY_SWITCH, a.path),
            can_plan=access.can(user, Perm.EMERGENCY_PLAN, a.path),
        )
        for a in areas
    ]


def history_for(user: Any, *, limit: int = 50) -> QuerySet[ModeSwitch]:
    return (
        ModeSwitch.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True)
        .select_related("area", "by")
        .order_by("-at", "-id")[:limit]
    )


def profile_versions_for(user: Any, community: Area, mode: str) -> QuerySet[ModeProfile]:
    return (
        ModeProfile.objects.restrict(user, Perm.EMERGENCY_PLAN)
        .filter(area=community, mode=mode)
        .select_related("created_by")
        .order_by("-version")
    )
