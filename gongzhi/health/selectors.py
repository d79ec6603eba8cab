"""Reads of upstream lists, the watch list and vaccinations, through the viewer's scope.

Who sees what:
- upstream lists: holders of `watchlist.upload` on the list's area (secretary, staff);
- watch-list entries: holders of `watchlist.follow_up` or `watchlist.upload` on the
  entry's area (a grid worker their grid's entries, the community's staff all of them);
- objects by id through `*_get_for`, NotFound for missing and out-of-scope alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr
from django.utils.timesince import timesince, timeuntil

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock, scope
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.health.models import UpstreamList, Vaccination, WatchEntry, WatchEvent
from gongzhi.health.states import OPEN_STATUSES, STEP_DEADLINES, EntryStatus
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

# --- scope -----------------------------------------------------------------------------------

# Who sees watch-list entries: those who follow them up and those who upload the lists.
WATCH_PERMS = (Perm.WATCHLIST_FOLLOW_UP, Perm.WATCHLIST_UPLOAD)


def can_see_watch_list(user: Viewer) -> bool:
    return bool(access.paths(user, *WATCH_PERMS))


def _may_watch(user: Viewer, path: str) -> bool:
    return any(access.can(user, perm, path) for perm in WATCH_PERMS)


# --- the responsible grid worker -----------------------------------------------------------


def responsible_grid_workers(paths: Iterable[str]) -> dict[str, Any]:
    """For each path (a grid's or a building's): the grid worker of its grid or of the
    nearest ancestor grid that has one (the earliest such membership), or None."""
    found = access.holders_at(
        Perm.WATCHLIST_FOLLOW_UP, paths, nearest=False, roles=[Role.GRID_WORKER]
    )
    return {
        path: next((m.user for m in memberships if m.area.kind == AreaKind.GRID), None)
        for path, memberships in found.items()
    }


def responsible_grid_worker(area: Area) -> Any:
    """The grid worker responsible for a grid (or a building's grid), or None."""
    return responsible_grid_workers([area.path])[area.path]


# --- upstream lists --------------------------------------------------------------------------


def upstream_list_list_for(*, user: Viewer) -> QuerySet[UpstreamList]:
    lists = UpstreamList.objects.restrict(user, Perm.WATCHLIST_UPLOAD)
    return lists.select_related("area", "uploaded_by").order_by("-created_at", "-pk")


def upstream_list_get_for(*, user: Viewer, list_id: Any) -> UpstreamList:
    found = get_by_id(UpstreamList.objects.select_related("area", "uploaded_by"), list_id)
    if not access.can(user, Perm.WATCHLIST_UPLOAD, found.area_path):
        raise NotFound()
    return found


def upload_area_choices_for(*, user: Viewer) -> list[Area]:
    """Communities (and higher nodes) where the user may upload lists."""
    return list(Area.objects.filter(path__in=access.paths(user, Perm.WATCHLIST_UPLOAD)))


# --- watch-list entries ----------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilters:
    upstream_list_id: int | None = None
    status: str = ""  # a status, or "open"
    tier: str = ""
    area_id: int | None = None  # a grid (or any node) in scope
    mine: bool = False  # assigned to the viewer
    q: str = ""  # a name (prefix)


def watch_entry_list_for(
    *, user: Viewer, filters: EntryFilters | None = None
) -> QuerySet[WatchEntry]:
    filters = filters or EntryFilters()
    entries = WatchEntry.objects.restrict(user, *WATCH_PERMS)
    if filters.upstream_list_id is not None:
        entries = entries.filter(upstream_list_id=filters.upstream_list_id)
    else:  # a row that joined a person's open entry is no task of its own
        entries = entries.filter(merged_into__isnull=True)
    if filters.status == "open":
        entries = entries.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        entries = entries.filter(status=filters.status)
    if filters.tier:
        entries = entries.filter(tier=filters.tier)
    if filters.area_id is not None:
        area = Area.objects.filter(pk=filters.area_id).first()
        if area is None or not _may_watch(user, area.path):
            # A node the viewer cannot see filters to nothing rather than erroring.
            return entries.none()
        entries = entries.within(area.path)
    if filters.mine:
        entries = entries.filter(assignee=user) if user.is_authenticated else entries.none()
    if filters.q:
        entries = entries.filter(name__startswith=filters.q.strip())
    return entries.select_related(
        "upstream_list", "grid", "assignee", "person__household"
    ).order_by("-upstream_list__created_at", "upstream_list_id", "row_number")


def watch_entry_get_for(*, user: Viewer, entry_id: Any) -> WatchEntry:
    entry = get_by_id(
        WatchEntry.objects.select_related("upstream_list", "grid", "assignee", "person__household"),
        entry_id,
    )
    if not _may_watch(user, entry.area_path):
        raise NotFound()
    return entry


def entry_home(entry: WatchEntry) -> str:
    """The area an entry came in for: its list's, or (a declaration's) its community."""
    upstream_list = entry.upstream_list
    if upstream_list is not None:
        return upstream_list.area_path
    community = Area.objects.filter(
        kind=AreaKind.COMMUNITY, path__in=scope.ancestors(entry.area_path, inclusive=True)
    ).first()
    return community.path if community is not None else entry.area_path


def entry_events(entry: WatchEntry) -> list[WatchEvent]:
    return list(entry.events.select_related("actor").order_by("at", "pk"))


def entry_candidates_for(*, user: Viewer, entry: WatchEntry) -> list[Person]:
    """The persons an ambiguous entry may be, as far as the viewer may see them."""
    if not entry.candidates:
        return []
    people = Person.objects.filter(pk__in=entry.candidates).restrict(user, Perm.REGISTER_VIEW)
    return list(people.select_related("household").order_by("pk"))


def assignee_choices_for(*, entry: WatchEntry) -> list[Any]:
    """Users who may follow the entry up: grid workers and leaders over its area, and the
    community's staff; from the top of the tree down."""
    memberships = access.holders(
        Perm.WATCHLIST_FOLLOW_UP,
        entry.area_path,
        nearest=False,
        roles=[Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF],
    )
    seen: dict[int, Any] = {}
    for membership in sorted(memberships, key=lambda m: (m.area.path, m.pk)):
        seen.setdefault(membership.user_id, membership.user)
    return list(seen.values())


def watch_grid_list_for(*, user: Viewer) -> QuerySet[Area]:
    """The grids whose watch list the user sees (the list's grid filter)."""
    return Area.objects.filter(kind=AreaKind.GRID).restrict(user, *WATCH_PERMS)


def grid_choices_for_entry(*, user: Viewer, entry: WatchEntry) -> list[Area]:
    """Grids of the entry's list area that the viewer may route to."""
    grids = (
        Area.objects.filter(kind=AreaKind.GRID)
        .restrict(user, Perm.WATCHLIST_UPLOAD)
        .within(entry_home(entry))
    )
    return list(grids.order_by("path"))


@dataclass(frozen=True)
class WatchSummary:
    total: int
    open: int
    to_review: int
    mine_open: int


def watch_summary_for(*, user: Viewer) -> WatchSummary:
    entries = WatchEntry.objects.restrict(user, *WATCH_PERMS).filter(merged_into__isnull=True)
    counts = entries.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        to_review=Count("pk", filter=Q(status="to_review")),
        mine_open=Count("pk", filter=Q(status__in=OPEN_STATUSES, assignee_id=user.pk)),
    )
    return WatchSummary(**counts)


# --- deadlines and progress ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of an entry's follow-up as its page shows it."""

    status: str  # the status the entry has while the step is to do
    state: str  # "done", "current", "waiting" or "skipped"
    due: dt.datetime | None = None
    overdue: bool = False
    left: str = ""  # time left, or how long it is overdue, in words
    done_at: Any = None
    note: str = ""


def step_due(entry: WatchEntry, status: str) -> dt.datetime | None:
    within = STEP_DEADLINES.get(status)
    return entry.created_at + within if within is not None else None


def entry_steps(entry: WatchEntry) -> list[Step]:
    """The online review and the offline verification: done, to do now (with the deadline
    and the time left), or not reached."""
    now = clock.now()
    order: list[str] = [EntryStatus.TO_REVIEW, EntryStatus.TO_VERIFY]
    done: dict[str, tuple[Any, str]] = {
        EntryStatus.TO_REVIEW: (entry.reviewed_at, entry.review_note),
        EntryStatus.TO_VERIFY: (entry.verified_on, entry.verification_note),
    }
    steps = []
    for status in order:
        done_at, note = done[status]
        if entry.status == status:
            due = step_due(entry, status)
            overdue = due is not None and due <= now
            left = ""
            if due is not None:
                left = timesince(due, now, depth=1) if overdue else timeuntil(due, now, depth=1)
            steps.append(Step(status, "current", due, overdue, left, note=note))
        elif done_at:
            steps.append(Step(status, "done", done_at=done_at, note=note))
        elif entry.status in OPEN_STATUSES and order.index(status) > order.index(entry.status):
            steps.append(Step(status, "waiting", step_due(entry, status)))
        else:  # closed without it (dismissed after the review)
            steps.append(Step(status, "skipped"))
    return steps


def _overdue_q(now: dt.datetime) -> Q:
    condition = Q(pk__in=[])
    for status, within in STEP_DEADLINES.items():
        condition |= Q(status=status, created_at__lte=now - within)
    return condition


@dataclass(frozen=True)
class WorkerProgress:
    user: Any
    assigned: int
    reviewed: int
    verified: int
    overdue: int


def watch_progress_for(*, user: Viewer) -> list[WorkerProgress]:
    """Per follower, in the area whose lists the viewer takes in (secretary, staff): the
    entries assigned, reviewed online, verified offline, and overdue now. Empty for those
    who only follow up."""
    if not access.can(user, Perm.WATCHLIST_UPLOAD):
        return []
    from django.contrib.auth import get_user_model

    entries = WatchEntry.objects.restrict(user, Perm.WATCHLIST_UPLOAD).filter(
        assignee__isnull=False
    )
    rows = (
        entries.values("assignee")
        .annotate(
            assigned=Count("pk"),
            reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
            verified=Count("pk", filter=Q(verified_on__isnull=False)),
            overdue=Count("pk", filter=_overdue_q(clock.now())),
        )
        .order_by("assignee")
    )
    users = get_user_model().objects.in_bulk([r["assignee"] for r in rows])
    progress = [
        WorkerProgress(
            user=users[r["assignee"]],
            assigned=r["assigned"],
            reviewed=r["reviewed"],
            verified=r["verified"],
            overdue=r["overdue"],
        )
        for r in rows
        if r["assignee"] in users
    ]
    return sorted(progress, key=lambda p: (-p.overdue, str(p.user)))


# --- vaccinations ------------------------------------------------------------------------------


def person_vaccinations(person: Person) -> list[Vaccination]:
    return list(person.vaccinations.order_by("dose"))


@dataclass
class GridVaccination:
    grid: Area
    persons: int = 0
    aged_60_plus: int = 0
    dose_1: int = 0  # persons with at least one dose
    dose_2: int = 0
    dose_3: int = 0
    aged_60_plus_dose_1: int = 0


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _grid_level_under(area: Area) -> int:
    """The grid level to count by: the first level with more than one grid under `area`."""
    grids = Area.objects.filter(kind=AreaKind.GRID).within(area.path)
    levels = dict(grids.values_list("grid_level").annotate(n=Count("pk")))
    for level in sorted(levels):
        if levels[level] > 1 or level == max(levels):
            return level
    return 1


def grid_vaccination_summary(
    *, area: Area, as_of: dt.date, grid_level: int | None = None
) -> list[GridVaccination]:
    """Per grid under `area`: present persons, those aged 60+, and how many have had at
    least 1, 2 and 3 doses. Two grouped queries, whatever the size of the area."""
    level = grid_level or _grid_level_under(area)
    grids = list(
        Area.objects.filter(kind=AreaKind.GRID, grid_level=level).within(area.path).order_by("path")
    )
    if area.kind == AreaKind.GRID and not grids:
        grids = [area]
    rows = {g.path: GridVaccination(grid=g) for g in grids}
    if not rows:
        return []
    width = len(grids[0].path)
    cutoff = years_before(as_of, 60)
    doses = (
        Vaccination.objects.filter(person=OuterRef("pk"), vaccinated_on__lte=as_of)
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = (
        Person.objects.within(area.path)
        .filter(residency__in=PRESENT_RESIDENCY)
        .annotate(grid_path=Substr("area_path", 1, width), doses=Coalesce(Subquery(doses), 0))
        .values_list("grid_path")
        .annotate(
            n=Count("pk"),
            old=Count("pk", filter=Q(birth_date__lte=cutoff)),
            d1=Count("pk", filter=Q(doses__gte=1)),
            d2=Count("pk", filter=Q(doses__gte=2)),
            d3=Count("pk", filter=Q(doses__gte=3)),
            old_d1=Count("pk", filter=Q(doses__gte=1, birth_date__lte=cutoff)),
        )
        .order_by()
    )
    for grid_path, n, old, d1, d2, d3, old_d1 in people:
        row = rows.get(grid_path)
        if row is not None:
            row.persons, row.aged_60_plus = n, old
            row.dose_1, row.dose_2, row.dose_3, row.aged_60_plus_dose_1 = d1, d2, d3, old_d1
    return list(rows.values())
