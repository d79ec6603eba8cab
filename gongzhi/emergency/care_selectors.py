"""Reads of the three-person team's board: the cases a user may see (`emergency.care`),
one case by id, its timeline, and the counts per step for the big screen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, CareStep, CareTask, HealthCheck
from gongzhi.registry.models import Area, AreaKind
from gongzhi.registry.policy import name_shown

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer
    from gongzhi.health.models import WatchEntry

COLUMN_LIMIT = 200  # cards per column; the count above the column is exact
RELEASED_SHOWN_DAYS = 3  # released cases stay on the board this long


def case_list_for(*, user: Viewer) -> access.RestrictedQuerySet[CareCase]:
    """The cases where the user holds `emergency.care`."""
    return CareCase.objects.restrict(user, Perm.TEAM_CARE)


def case_get_for(*, user: Viewer, case_id: Any) -> CareCase:
    """One case the user may see; missing and out of scope alike are NotFound."""
    try:
        return case_list_for(user=user).select_related("person").get(pk=int(case_id))
    except (CareCase.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def case_for_entry(entry: WatchEntry) -> CareCase | None:
    return CareCase.objects.filter(watch_entry=entry).first()


def grid_choices_for(*, user: Viewer) -> list[Area]:
    """The grids of the board's filter: those where the user holds `emergency.care`."""
    return list(
        Area.objects.filter(kind=AreaKind.GRID).restrict(user, Perm.TEAM_CARE).order_by("path")
    )


@dataclass(frozen=True)
class Card:
    case: CareCase
    name: str  # as `registry.policy.name_shown` says for the viewer
    grid: str
    task: CareTask | None
    overdue: bool
    # Home isolation only: today's check recorded (True), missing (False); else None.
    checked_today: bool | None
    mine: bool


def _annotated(qs: QuerySet[CareCase], today: dt.date) -> QuerySet[CareCase]:
    open_tasks = CareTask.objects.filter(done_at__isnull=True).select_related("owner")
    return (
        qs.select_related("person")
        .prefetch_related(Prefetch("tasks", queryset=open_tasks, to_attr="open_tasks"))
        .annotate(checked_today=Exists(HealthCheck.objects.filter(case=OuterRef("pk"), day=today)))
    )


def _current(case: CareCase) -> CareTask | None:
    tasks = [t for t in getattr(case, "open_tasks", []) if t.step == case.step]
    return tasks[-1] if tasks else None


def _is_mine(user: Viewer, task: CareTask | None, roles: set[str]) -> bool:
    if task is None:
        return False
    if task.owner_id is not None:
        return task.owner_id == getattr(user, "pk", None)
    return task.owner_role in roles


def board_for(
    *, user: Viewer, grid: Area | None = None, mine: bool = False
) -> dict[str, list[Card]]:
    """The board's columns: step -> cards, oldest deadline first. Released cases show for a
    few days. `grid` narrows to one grid (one of `grid_choices_for`); `mine` to the cases
    whose open task the user owns, or that wait for someone of the user's role."""
    now, today = clock.now(), clock.today()
    qs = case_list_for(user=user).filter(
        ~Q(step=CareStep.RELEASED)
        | Q(released_at__gte=now - dt.timedelta(days=RELEASED_SHOWN_DAYS))
    )
    if grid is not None:
        qs = qs.within(grid.path)
    roles = access.roles(user)
    columns: dict[str, list[Card]] = {step: [] for step in CareStep.values}
    grid_names = dict(
        Area.objects.filter(kind=AreaKind.GRID)
        .restrict(user, Perm.TEAM_CARE)
        .values_list("path", "name")
    )
    for step in CareStep.values:
        rows = _annotated(qs.filter(step=step), today).order_by("opened_at", "pk")
        for case in rows[: COLUMN_LIMIT if not mine else None]:
            task = _labelled(_current(case))
            is_mine = _is_mine(user, task, roles)
            if mine and not is_mine:
                continue
            columns[step].append(
                Card(
                    case=case,
                    name=name_shown(user, case.person),
                    grid=_grid_name(case.area_path, grid_names),
                    task=task,
                    overdue=bool(task and task.due_at < now),
                    checked_today=getattr(case, "checked_today", None)
                    if step == CareStep.ISOLATION
                    else None,
                    mine=is_mine,
                )
            )
        columns[step].sort(key=lambda c: (c.task.due_at if c.task else now, c.case.pk))
        columns[step] = columns[step][:COLUMN_LIMIT]
    return columns


def _grid_name(path: str, grid_names: dict[str, str]) -> str:
    for grid_path in sorted(grid_names, key=len, reverse=True):
        if path.startswith(grid_path):
            return grid_names[grid_path]
    return ""


def counts_by_step(paths: list[str] | tuple[str, ...]) -> dict[str, int]:
    """How many cases are in each step under `paths` (the big screen's panel): one query.
    Released counts every released case still kept."""
    counts = {step: 0 for step in CareStep.values}
    if not paths:
        return counts
    rows = CareCase.objects.within(*paths).values("step").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["step"]] = row["n"]
    return counts


def missing_checks_today(paths: list[str] | tuple[str, ...]) -> int:
    """Cases in home isolation under `paths` without today's check."""
    if not paths:
        return 0
    return (
        CareCase.objects.within(*paths)
        .filter(step=CareStep.ISOLATION)
        .exclude(checks__day=clock.today())
        .count()
    )


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "task" or "check"
    task: CareTask | None = None
    check: HealthCheck | None = None
    temperature: str = ""  # a check's, in °C


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _labelled(task: CareTask | None) -> CareTask | None:
    if task is not None:
        task.role_label = role_label(task.owner_role)  # type: ignore[attr-defined]
    return task


def case_timeline(case: CareCase) -> list[TimelineItem]:
    """The case's steps (tasks, with who took and finished them) and daily checks, oldest
    first."""
    items = [
        TimelineItem(at=t.created_at, kind="task", task=_labelled(t))
        for t in case.tasks.select_related("owner", "done_by").order_by("created_at", "pk")
    ]
    for c in case.checks.select_related("by").order_by("day"):
        degrees = f"{c.temperature_tenths / 10:.1f}" if c.temperature_tenths else ""
        items.append(TimelineItem(at=c.created_at, kind="check", check=c, temperature=degrees))
    return sorted(items, key=lambda i: i.at)


def case_page(*, user: Viewer, case: CareCase) -> dict[str, Any]:
    """What the case page shows besides the case."""
    task = _labelled(care.open_task(case))
    today = clock.today()
    in_isolation = case.step == CareStep.ISOLATION
    return {
        "name": name_shown(user, case.person),
        "task": task,
        "overdue": bool(task and task.due_at < clock.now()),
        "moves": [(s, CareStep(s).label) for s in care.moves_from(case.step)],
        "timeline": case_timeline(case),
        "in_isolation": in_isolation,
        "checked_today": in_isolation and case.checks.filter(day=today).exists(),
        "today": today,
        "isolation_ended": bool(
            in_isolation and case.isolation_until and today >= case.isolation_until
        ),
    }


@dataclass(frozen=True)
class Waiting:
    entry_id: int
    name: str
    grid: str
    status: str


WAITING_LIMIT = 20


def entries_waiting_for(*, user: Viewer, grid: Area | None = None) -> list[Waiting]:
    """Open, matched watch-list entries where the user holds `emergency.care` that have no
    case yet: the board's "take onto the board" list (names as the register's policy says)."""
    from gongzhi.health.models import WatchEntry
    from gongzhi.health.states import OPEN_STATUSES

    has_case = CareCase.objects.filter(watch_entry__isnull=False).values("watch_entry_id")
    qs = (
        WatchEntry.objects.restrict(user, Perm.TEAM_CARE)
        .filter(status__in=OPEN_STATUSES, person__isnull=False, merged_into__isnull=True)
        .exclude(pk__in=has_case)
        .select_related("person", "grid")
        .order_by("pk")
    )
    if grid is not None:
        qs = qs.within(grid.path)
    return [
        Waiting(
            entry_id=e.pk,
            name=name_shown(user, e.person),
            grid=e.grid.name if e.grid else "",
            status=e.get_status_display(),
        )
        for e in qs[:WAITING_LIMIT]
    ]
