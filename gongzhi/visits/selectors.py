"""Reads of visits and visit rules, and which households are due a visit.

Who sees what: holders of `visits.log` see the visits and the due list of their area;
the rules of a community are read by anyone who logs visits there and set by holders of
`visits.rules` (the secretary). Objects by id through `*_get_for`, NotFound for missing
and out-of-scope alike.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.registry.models import (
    Area,
    AreaKind,
    Household,
    HouseholdStatus,
    PersonTag,
    Residency,
    Tag,
)
from gongzhi.registry.selectors import household_get_for
from gongzhi.visits.models import EVERY_DAYS_MAX, Visit, VisitRule, VisitTask

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

# Who is visited: the members living at home (someone away is not visited there).
AT_HOME = (Residency.LIVING, Residency.TENANT)
# "Due soon": the next visit falls within this many days.
DUE_SOON_DAYS = 3


# --- visits ---------------------------------------------------------------------------------


def _with_related(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    return visits.select_related("household", "visitor", "follow_up").prefetch_related("persons")


def household_for_visits(*, user: Viewer, household_id: Any) -> Household:
    """A household whose visits the user may log and read (visits.log there): NotFound
    when the user cannot see it in the register, Forbidden when they see it but do not
    visit there (a police officer, a building head)."""
    household = household_get_for(user=user, household_id=household_id)
    if not access.can(user, Perm.VISIT_LOG, household.area_path):
        raise Forbidden()
    return household


def household_visits(*, user: Viewer, household: Household) -> QuerySet[Visit]:
    """The household's visits, newest first, for a user who visits it now: its history
    goes with it (a household moved to another grid keeps it, as its register history
    does). Nothing for anyone else."""
    if not access.can(user, Perm.VISIT_LOG, household.area_path):
        return Visit.objects.none()
    return _with_related(Visit.objects.filter(household=household)).order_by("-visited_at", "-id")


def area_visits(*, user: Viewer) -> QuerySet[Visit]:
    """The visits in the user's area, newest first."""
    return _with_related(Visit.objects.restrict(user, Perm.VISIT_LOG)).order_by(
        "-visited_at", "-id"
    )


def my_visits(*, user: Viewer) -> QuerySet[Visit]:
    """The visits the user made, in the area where they still log visits."""
    if not getattr(user, "is_authenticated", False):
        return Visit.objects.none()
    visits = Visit.objects.restrict(user, Perm.VISIT_LOG).filter(visitor_id=user.pk)
    return _with_related(visits).order_by("-visited_at", "-id")


def visit_get_for(*, user: Viewer, visit_id: Any) -> Visit:
    visit = get_by_id(_with_related(Visit.objects.all()), visit_id)
    if not access.can(user, Perm.VISIT_LOG, visit.area_path):
        raise NotFound()
    return visit


# --- rules ------------------------------------------------------------------------------------


def _communities_for(paths: list[str]) -> list[Area]:
    """The communities at, above or inside the nodes at `paths`."""
    if not paths:
        return []
    return list(Area.objects.filter(kind=AreaKind.COMMUNITY).overlapping(*paths).order_by("path"))


def effective_rules(communities: list[Area]) -> dict[int, dict[int, VisitRule]]:
    """For each community id: tag id -> the rule that applies there (the one on the
    nearest node at or above the community). One query."""
    if not communities:
        return {}
    rules = VisitRule.objects.overlapping(*[c.path for c in communities]).select_related(
        "tag", "area"
    )
    by_node: dict[str, list[VisitRule]] = defaultdict(list)
    for rule in rules:
        by_node[rule.area_path].append(rule)
    out: dict[int, dict[int, VisitRule]] = {}
    for community in communities:
        found: dict[int, VisitRule] = {}
        for node in scope.ancestors(community.path, inclusive=True):  # root first
            for rule in by_node.get(node, []):
                found[rule.tag_id] = rule  # a deeper node's rule replaces the one above
        out[community.pk] = found
    return out


@dataclass
class RuleRow:
    tag: Tag
    rule: VisitRule | None  # the rule that applies (None: households with it are not due)
    own: bool  # set by the community itself (not inherited)


def rule_rows_for(*, community: Area) -> list[RuleRow]:
    """Every tag with the rule that applies in `community`, for the rules page."""
    rules = effective_rules([community]).get(community.pk, {})
    return [
        RuleRow(
            tag=tag,
            rule=rules.get(tag.pk),
            own=tag.pk in rules and rules[tag.pk].area_id == community.pk,
        )
        for tag in Tag.objects.order_by("sort", "code")
    ]


def tag_by_code(code: str) -> Tag | None:
    """A register tag by its code (the rules page's form), or None."""
    return Tag.objects.filter(code=code).first() if code else None


def rule_communities_for(*, user: Viewer) -> list[Area]:
    """Communities whose rules the user reads (visits.log or visits.rules somewhere in or
    above them)."""
    return _communities_for(access.paths(user, Perm.VISIT_LOG, Perm.VISIT_RULES))


def rule_community_get_for(*, user: Viewer, area_id: Any) -> Area:
    community = get_by_id(Area.objects.filter(kind=AreaKind.COMMUNITY), area_id)
    if not (
        access.overlaps(user, Perm.VISIT_LOG, community.path)
        or access.overlaps(user, Perm.VISIT_RULES, community.path)
    ):
        raise NotFound()
    return community


# --- visits due -------------------------------------------------------------------------------


@dataclass
class Due:
    """A household due a visit: never visited, or visited longer ago than its rule says."""

    household_id: int
    last_visit: dt.datetime | None
    every_days: int
    due_on: dt.date | None  # None: never visited
    household: Household | None = None
    late_days: int | None = None  # days past the due date (set for a page)

    def overdue_days(self, today: dt.date) -> int | None:
        return None if self.due_on is None else (today - self.due_on).days

    @property
    def overdue(self) -> bool:
        return self.due_on is None or self.due_on < clock.today()


def _every_days(groups: dict[frozenset[tuple[int, int]], list[int]]) -> Case:
    """The smallest `every_days` of the rules that apply to a household's members at home:
    a Case on the household's community over one correlated subquery per rule set."""
    whens = []
    for rules, community_ids in groups.items():
        days = Case(
            *[When(tag_id=tag_id, then=Value(n)) for tag_id, n in sorted(rules)],
            output_field=IntegerField(),
        )
        smallest = (
            PersonTag.objects.filter(
                person__household_id=OuterRef("pk"),
                person__residency__in=AT_HOME,
                tag_id__in=sorted(tag_id for tag_id, _n in rules),
            )
            .annotate(days=days)
            .order_by("days")
            .values("days")[:1]
        )
        whens.append(When(community_id__in=sorted(community_ids), then=Subquery(smallest)))
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _due_rows(households: QuerySet[Household], horizon_days: int) -> list[Due]:
    """The households of `households` whose next visit falls before now + `horizon_days`,
    as (id, last visit, every N days). One query, whatever the number of households."""
    households = households.exclude(status=HouseholdStatus.CLOSED)
    communities = list(Area.objects.filter(pk__in=households.order_by().values("community_id")))
    groups: dict[frozenset[tuple[int, int]], list[int]] = defaultdict(list)
    for community_id, rules in effective_rules(communities).items():
        if rules:
            key = frozenset((tag_id, rule.every_days) for tag_id, rule in rules.items())
            groups[key].append(community_id)
    if not groups:
        return []
    # Due by a day, as `due_on` counts: a household last visited on local day L, every n
    # days, is due on L + n, so it is listed when L + n <= today + horizon, that is when
    # the visit came before the local midnight that starts day today + horizon - n + 1.
    # (A cut at `now - n days` would list or drop a household due today by the hour.)
    today = clock.today()
    last = Visit.objects.filter(household_id=OuterRef("pk")).order_by("-visited_at")
    rows = households.annotate(
        every=_every_days(groups), last=Subquery(last.values("visited_at")[:1])
    ).filter(every__isnull=False)
    all_days = sorted({n for rules in groups for _tag, n in rules})
    due = Q(last__isnull=True)
    for n in all_days:
        cut = today + dt.timedelta(days=horizon_days - n + 1)
        due |= Q(every=n, last__lt=timezone.make_aware(dt.datetime.combine(cut, dt.time.min)))
    out = []
    for pk, last_at, every in rows.filter(due).order_by().values_list("pk", "last", "every"):
        due_on = (timezone.localdate(last_at) + dt.timedelta(days=every)) if last_at else None
        out.append(Due(pk, last_at, every, due_on))
    # Never visited first, then the longest overdue.
    out.sort(key=lambda d: (d.due_on is not None, d.due_on or dt.date.min, d.household_id))
    return out


def due_visits_for(
    *, user: Viewer, area: Area | None = None, horizon_days: int = DUE_SOON_DAYS
) -> list[Due]:
    """Households in the user's area (visits.log), or in `area` within it, due a visit
    by `horizon_days` from now, most overdue first (households not loaded)."""
    households = Household.objects.restrict(user, Perm.VISIT_LOG)
    if area is not None:
        households = households.within(area.path)
    return _due_rows(households, horizon_days)


def with_households(rows: list[Due]) -> list[Due]:
    """Load the households of a page of `rows` (one query)."""
    found = Household.objects.select_related("building__parent", "head").in_bulk(
        [r.household_id for r in rows]
    )
    today = clock.today()
    for row in rows:
        row.household = found.get(row.household_id)
        row.late_days = row.overdue_days(today)
    return rows


@dataclass(frozen=True)
class DueSummary:
    overdue: int
    soon: int


def due_summary(rows: list[Due]) -> DueSummary:
    today = clock.today()
    overdue = sum(1 for r in rows if r.due_on is None or r.due_on < today)
    return DueSummary(overdue=overdue, soon=len(rows) - overdue)


def household_due(*, household: Household) -> Due | None:
    """When the household's next visit is due, or None when no rule applies to it."""
    rows = _due_rows(Household.objects.filter(pk=household.pk), EVERY_DAYS_MAX)
    return rows[0] if rows else None


# --- visit tasks ------------------------------------------------------------------------------

TASKS_SHOWN = 50


def visit_tasks_for(*, user: Viewer, limit: int = TASKS_SHOWN) -> list[VisitTask]:
    """Open visit tasks (a campaign's non-responders …) in the user's area (visits.log):
    the user's own first, then the earliest due."""
    if not getattr(user, "is_authenticated", False):
        return []
    tasks = (
        VisitTask.objects.restrict(user, Perm.VISIT_LOG)
        .filter(done_at__isnull=True)
        .select_related("household", "assignee")
        .annotate(
            mine=Case(
                When(assignee_id=user.pk, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("mine", "due_on", "id")
    )
    return list(tasks[:limit])
