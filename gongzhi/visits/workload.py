"""Workload (工作量): what each worker of an area did, week by week.

For the grid leader and the secretary (`workload.view`): per worker and ISO week (Monday
to Sunday, local time), over the last weeks,

- **orders handled**: work-order steps the worker made (dispatch, accept, decline, start,
  resolve, solve, escalate, cancel, callback) — filing an order or adding a photo is not
  a step;
- **late steps**: those of the steps above made on an order that had already missed a
  deadline (the SLA sweep had escalated it, or recorded the miss at the street) — work
  done on overdue orders;
- **visits**: visits the worker logged (by the date of the visit);
- **follow-ups**: watch-list steps the worker made (review, dismiss, verify, close);
- **imports**: register imports the worker committed.

Only work on objects inside the viewer's area counts, and the workers are those holding
a staff role (grid worker, grid leader, community staff, secretary) there. Five grouped
queries, one per kind of work, whatever the number of workers and weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.health.models import WatchEvent
from gongzhi.health.states import Action as WatchAction
from gongzhi.imports.models import ImportBatch, ImportStatus
from gongzhi.visits.models import Visit
from gongzhi.workorders.models import TimelineEntry
from gongzhi.workorders.states import Action as OrderAction

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

WEEKS = 8
WORKER_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.SECRETARY)
ORDER_STEPS = (
    OrderAction.DISPATCH,
    OrderAction.ACCEPT,
    OrderAction.DECLINE,
    OrderAction.START,
    OrderAction.RESOLVE,
    OrderAction.SOLVE,
    OrderAction.ESCALATE,
    OrderAction.CANCEL,
    OrderAction.CALLBACK,
)
# The SLA sweep's own entries: the order missed a deadline.
MISSED = (OrderAction.ESCALATE, OrderAction.BREACH)
FOLLOW_UP_STEPS = (WatchAction.REVIEW, WatchAction.DISMISS, WatchAction.VERIFY, WatchAction.CLOSE)
KINDS = ("orders", "late", "visits", "follow_ups", "imports")


@dataclass
class Cell:
    orders: int = 0
    late: int = 0
    visits: int = 0
    follow_ups: int = 0
    imports: int = 0

    def add(self, other: Cell) -> None:
        for kind in KINDS:
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))

    @property
    def empty(self) -> bool:
        return not any(getattr(self, kind) for kind in KINDS)


@dataclass
class WorkerRow:
    user: Any
    areas: list[str]
    weeks: list[Cell]
    total: Cell = field(default_factory=Cell)


@dataclass
class Workload:
    weeks: list[dt.date]  # the Mondays, oldest first
    rows: list[WorkerRow]
    totals: list[Cell]  # per week, all workers
    total: Cell

    @property
    def week_labels(self) -> list[str]:
        return [f"W{d.isocalendar().week:02d}" for d in self.weeks]


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _counts(qs: QuerySet[Any], actor: str, at: str, **extra: Any) -> list[dict[str, Any]]:
    return list(
        qs.annotate(week=TruncWeek(at))
        .values(actor, "week")
        .annotate(n=Count("pk"), **extra)
        .order_by()
    )


def workload_for(*, user: Viewer, weeks: int = WEEKS) -> Workload:
    """The table for the viewer's area: workers × the last `weeks` ISO weeks, this one
    included."""
    first = week_start(clock.today()) - dt.timedelta(weeks=weeks - 1)
    mondays = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    memberships = access.restrict(
        Membership.objects.filter(is_active=True, user__is_active=True, role__in=WORKER_ROLES),
        user,
        Perm.WORKLOAD_VIEW,
        "area__path",
    )
    memberships = memberships.select_related("user", "area").order_by("area__path", "user_id")
    rows: dict[int, WorkerRow] = {}
    for m in memberships:
        row = rows.setdefault(m.user_id, WorkerRow(m.user, [], [Cell() for _ in mondays]))
        if m.area.name not in row.areas:
            row.areas.append(m.area.name)
    ids = sorted(rows)
    if ids:

        def restrict(qs: QuerySet[Any], path_field: str) -> QuerySet[Any]:
            return access.restrict(qs, user, Perm.WORKLOAD_VIEW, path_field)

        steps = restrict(
            TimelineEntry.objects.filter(actor_id__in=ids, at__gte=start, action__in=ORDER_STEPS),
            "order__area_path",
        )
        missed = TimelineEntry.objects.filter(
            order_id=OuterRef("order_id"),
            actor__isnull=True,
            action__in=MISSED,
            at__lt=OuterRef("at"),
        )
        late = Count("pk", filter=Exists(missed))
        for r in _counts(steps, "actor_id", "at", late=late):
            cell = _cell(rows, mondays, r["actor_id"], r["week"])
            cell.orders += r["n"]
            cell.late += r["late"]
        visits = restrict(
            Visit.objects.filter(visitor_id__in=ids, visited_at__gte=start), "area_path"
        )
        for r in _counts(visits, "visitor_id", "visited_at"):
            _cell(rows, mondays, r["visitor_id"], r["week"]).visits += r["n"]
        events = restrict(
            WatchEvent.objects.filter(actor_id__in=ids, at__gte=start, action__in=FOLLOW_UP_STEPS),
            "entry__area_path",
        )
        for r in _counts(events, "actor_id", "at"):
            _cell(rows, mondays, r["actor_id"], r["week"]).follow_ups += r["n"]
        batches = restrict(
            ImportBatch.objects.filter(
                committed_by_id__in=ids,
                committed_at__gte=start,
                status=ImportStatus.COMMITTED,
            ),
            "area_path",
        )
        for r in _counts(batches, "committed_by_id", "committed_at"):
            _cell(rows, mondays, r["committed_by_id"], r["week"]).imports += r["n"]
    totals = [Cell() for _ in mondays]
    total = Cell()
    for row in rows.values():
        for i, cell in enumerate(row.weeks):
            row.total.add(cell)
            totals[i].add(cell)
        total.add(row.total)
    return Workload(weeks=mondays, rows=list(rows.values()), totals=totals, total=total)


def _cell(rows: dict[int, WorkerRow], mondays: list[dt.date], user_id: int, week: Any) -> Cell:
    day = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
    index = (day - mondays[0]).days // 7
    if user_id not in rows or not 0 <= index < len(mondays):
        return Cell()  # outside the table (a clock at the edge of a week): not shown
    return rows[user_id].weeks[index]
