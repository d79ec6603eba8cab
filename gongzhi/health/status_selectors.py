"""Reads of health statuses: one's own (or the parent's one acts for), the area's board for
staff with `health.status` (counts per colour, the amber and red list with reasons, names
masked), and a community's rule versions for staff with `health.rules`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet

from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.masking import mask_name
from gongzhi.health import status
from gongzhi.health.models import HealthStatus, StatusColor, StatusRuleSet
from gongzhi.registry.models import Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

COLORS = [StatusColor.GREEN, StatusColor.AMBER, StatusColor.RED]


@dataclass(frozen=True)
class Shown:
    """A status as a page shows it."""

    color: str
    reasons: list[dict[str, str]]
    computed_at: dt.datetime
    version: int | None  # the community's rule version; None: the default rules
    stored: bool  # False: computed for this page (nobody refreshed it yet)

    @property
    def reason(self) -> str:
        return self.reasons[0]["text"] if self.reasons else ""

    @property
    def more(self) -> list[dict[str, str]]:
        return self.reasons[1:]


def status_of_person(person_id: int) -> Shown | None:
    """The person's status: the stored one, or, when none is stored (no health input yet,
    or purged), what the rules give now, without writing it."""
    row = HealthStatus.objects.filter(person_id=person_id).select_related("rule_set").first()
    if row is not None:
        return Shown(
            color=row.color,
            reasons=list(row.reasons),
            computed_at=row.computed_at,
            version=row.rule_set.version if row.rule_set else None,
            stored=True,
        )
    computed = status.compute([person_id])
    if person_id not in computed:
        return None
    result, rules, _path = computed[person_id]
    return Shown(
        color=result.color,
        reasons=result.reasons,
        computed_at=clock.now(),
        version=rules.rule_set.version if rules.rule_set else None,
        stored=False,
    )


# --- the area's board ---------------------------------------------------------------------------


@dataclass
class Board:
    counts: dict[str, int]
    without: int  # persons in the area with no status stored: the default rule applies
    rows: QuerySet[HealthStatus]
    areas: dict[int, str] = field(default_factory=dict)


def can_see_statuses(user: Viewer) -> bool:
    from gongzhi.accounts import access

    return access.can(user, Perm.HEALTH_STATUS_VIEW)


def status_board_for(*, user: Viewer, color: str = "") -> Board:
    """Counts per colour in the user's area, and the amber and red statuses (or one colour)
    with their reasons, worst first."""
    statuses = HealthStatus.objects.restrict(user, Perm.HEALTH_STATUS_VIEW)
    counts = {c.value: 0 for c in COLORS}
    for row in statuses.values("color").annotate(n=Count("pk")):
        counts[row["color"]] = row["n"]
    persons = Person.objects.restrict(user, Perm.HEALTH_STATUS_VIEW).filter(
        moved_out_on__isnull=True
    )
    without = persons.count() - sum(counts.values())
    wanted = [color] if color in (StatusColor.AMBER, StatusColor.RED) else ["red", "amber"]
    rows = (
        statuses.filter(color__in=wanted)
        .select_related("person", "person__household", "rule_set")
        .order_by("-color", "-computed_at", "pk")  # "red" sorts after "amber": reversed
    )
    return Board(counts=counts, without=max(without, 0), rows=rows)


def board_lines(rows: Any) -> list[dict[str, Any]]:
    """A page of the board as the template shows it: the name masked."""
    lines = []
    buildings = dict(
        Area.objects.filter(
            path__in={r.area_path for r in rows}, kind=AreaKind.BUILDING
        ).values_list("path", "name")
    )
    for r in rows:
        lines.append(
            {
                "status": r,
                "person_id": r.person_id,
                "name": mask_name(r.person.name),
                "building": buildings.get(r.area_path, ""),
                "reason": r.reasons[0]["text"] if r.reasons else "",
                "more": r.reasons[1:],
            }
        )
    return lines


# --- the rules ---------------------------------------------------------------------------------


def rule_communities_for(*, user: Viewer) -> QuerySet[Area]:
    """The communities whose rules the user may change."""
    return (
        Area.objects.restrict(user, Perm.HEALTH_RULES)
        .filter(kind=AreaKind.COMMUNITY)
        .order_by("path")
    )


def rule_community_get_for(*, user: Viewer, area_id: Any) -> Area:
    try:
        return rule_communities_for(user=user).get(pk=int(area_id))
    except (Area.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def rule_versions_for(*, user: Viewer, community: Area) -> QuerySet[StatusRuleSet]:
    return (
        StatusRuleSet.objects.restrict(user, Perm.HEALTH_RULES)
        .filter(area=community)
        .select_related("created_by")
        .order_by("-version")
    )
