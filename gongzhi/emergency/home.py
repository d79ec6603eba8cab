"""What the emergency home shows (reads): on the workbench, for each community of the
signed-in user in emergency mode, a banner (kind, since, reason), today's duties for the
user's roles and the profile's workbench links; on /m/, the resident's community's banner
and the profile's services. Pages whose url name does not resolve (a part not installed)
are left out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import pgettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.core import scope
from gongzhi.emergency import modes
from gongzhi.emergency.models import EmergencyKind, Mode, ModeState
from gongzhi.registry.models import Area, AreaKind, Person

# Labels of the pages a profile may name; another page shows its url name.
PAGE_LABELS: dict[str, Any] = {
    "emergency:index": pgettext_lazy("mode switch", "Modes"),
    "emergency:home": pgettext_lazy("mode switch", "Emergency home"),
    "emergency_care:board": pgettext_lazy("mode switch", "Three-person team board"),
    "emergency_deliveries:index": pgettext_lazy("mode switch", "Supply runs"),
    "emergency_supplies:index": pgettext_lazy("mode switch", "Supplies"),
    "emergency_spaces:index": pgettext_lazy("mode switch", "Reserved spaces"),
    "emergency_plans:index": pgettext_lazy("mode switch", "Emergency plans"),
    "emergency_drills:index": pgettext_lazy("mode switch", "Drills"),
    "emergency_lessons:index": pgettext_lazy("mode switch", "Knowledge base"),
    "watchlist:index": pgettext_lazy("mode switch", "Watch list"),
    "health:watchlist": pgettext_lazy("mode switch", "Watch list"),
    "health_status:board": pgettext_lazy("mode switch", "Health statuses"),
    "notices:list": pgettext_lazy("mode switch", "Notices"),
    "workorders:inbox": pgettext_lazy("mode switch", "Work orders"),
    "emergency_m:shopping": pgettext_lazy("mode switch", "Shopping lists"),
    "emergency_home_m:index": pgettext_lazy("mode switch", "Emergency information"),
    "health_m:hub": pgettext_lazy("mode switch", "Health services"),
    "health_me:status": pgettext_lazy("mode switch", "My health status"),
    "workorders_m:list": pgettext_lazy("mode switch", "My requests"),
    "notices_m:list": pgettext_lazy("mode switch", "Notices"),
}


@dataclass(frozen=True)
class Link:
    name: str
    label: str
    url: str


@dataclass(frozen=True)
class Duty:
    time: str
    title: str
    role: str


@dataclass
class EmergencyBanner:
    community: str
    community_path: str
    kind: str
    since: dt.datetime
    reason: str
    duties: list[Duty] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def links(names: list[str]) -> list[Link]:
    """The pages named, in order, leaving out those that do not resolve."""
    out = []
    for name in names:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        out.append(Link(name, str(PAGE_LABELS.get(name, name)), url))
    return out


def _banner(
    state: ModeState, community: str, *, roles: set[str] | None, key: str
) -> EmergencyBanner:
    profile = modes.profile_in_force(state.area_path, Mode.EMERGENCY)
    duties = []
    if roles is not None:
        duties = sorted(
            (
                Duty(d["time"], d["title"], str(Role(d["role"]).label))
                for d in profile.get("duties", [])
                if d.get("role") in roles
            ),
            key=lambda d: d.time,
        )
    return EmergencyBanner(
        community=community,
        community_path=state.area_path,
        kind=str(EmergencyKind(state.kind).label) if state.kind else "",
        since=state.since,
        reason=state.reason,
        duties=duties,
        links=links(list(profile.get(key, []))),
    )


def workbench_banners(user: Any) -> list[EmergencyBanner]:
    """For each community in emergency mode where the user holds a role (on it, inside it,
    or above it: a street officer sees every one below), its banner with the duties of
    the roles the user holds there."""
    grants = access.grants(user)
    if not grants:
        return []
    states = list(
        ModeState.objects.filter(mode=Mode.EMERGENCY).select_related("area").order_by("area_path")
    )
    out = []
    for state in states:
        here = {
            g.role
            for g in grants
            if scope.within(g.path, [state.area_path]) or scope.within(state.area_path, [g.path])
        }
        if not here or here <= {Role.RESIDENT}:
            continue
        out.append(_banner(state, state.area.name, roles=here, key="workbench_links"))
    return out


def resident_banner(person_id: int | None, user: Any) -> EmergencyBanner | None:
    """The banner of the community the person (the resident, or whom they act for) lives
    in, when it is in emergency mode; else of the user's own resident community."""
    path = ""
    if person_id is not None:
        path = Person.objects.filter(pk=person_id).values_list("area_path", flat=True).first() or ""
    if not path:
        path = next((g.path for g in access.grants(user) if g.role == Role.RESIDENT), "")
    if not path:
        return None
    info = modes.mode_of(path)
    if not info.emergency:
        return None
    state = ModeState.objects.filter(area_path=info.community_path).first()
    if state is None:
        return None
    name = (
        Area.objects.filter(path=info.community_path, kind=AreaKind.COMMUNITY)
        .values_list("name", flat=True)
        .first()
        or ""
    )
    return _banner(state, name, roles=None, key="portal_services")
