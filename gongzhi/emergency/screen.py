"""The big screen (大屏): a community's figures per grid, or a street's per community.

`screen_data(area)` counts everything in SQL, one grouped query per figure: the rows of
the area's subtree are grouped by the path prefix of the level below it
(`Substr(area_path, 1, len(area.path) + STEP)`: the grid, or the community, each row lies
in), so the number of queries does not grow with the number of grids, and no row is
brought into Python. Rows on the area itself or outside every child (an order placed at the
community) are counted in `other`; the totals include them. A figure with a trend (orders
filed, check-ins, new watch-list entries per local day of the last 14) counts the days in
the same scan, as conditional counts over plain time ranges.

The result holds counts and codes only (never a name of a person), and is the same for
every viewer who may open the screen, so it is cached for `CACHE_SECONDS` per area; the
page's labels are translated per request, outside the cache.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import Viewer
from gongzhi.core import clock, scope
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.emergency import modes
from gongzhi.emergency.models import (
    CareCase,
    CareStep,
    Mode,
    ModeState,
    ShoppingList,
    ShoppingStatus,
    SupplyItem,
)
from gongzhi.health.models import CheckIn, WatchEntry
from gongzhi.health.states import EntryStatus
from gongzhi.outreach.models import CampaignStatus, Recipient, RecipientState
from gongzhi.registry.choices import HouseholdStatus
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Household, Person
from gongzhi.workorders import states as order_states
from gongzhi.workorders.models import WorkOrder

CACHE_SECONDS = 30
TREND_DAYS = 14
ELDERLY_ALONE_TAG = "elderly_alone"  # the register's tag (registry migration 0002)
# A screen is drawn for these nodes; its rows are their children of this kind.
CHILD_KIND = {AreaKind.COMMUNITY: AreaKind.GRID, AreaKind.STREET: AreaKind.COMMUNITY}
# Every figure a row (and the totals) carries, in the order the table shows them.
FIGURES: tuple[str, ...] = (
    "households",
    "elderly_alone",
    "orders_open",
    "orders_overdue",
    "watch_to_review",
    "watch_to_verify",
    "watch_verified",
    "isolation",
    "deliveries_open",
    "deliveries_in_run",
    "deliveries_delivered",
    "deliveries_received",
    "supplies_low",
    "checkins_today",
    "outreach_answered",
    "outreach_total",
)
TRENDS: tuple[str, ...] = ("orders", "checkins", "watch")


def _cache_key(area: Area) -> str:
    return f"emergency:screen:{area.pk}"


# --- which screens a user may open ---------------------------------------------------------


def screen_area_get_for(*, user: Viewer, area_id: Any) -> Area:
    """A community or street where the user holds emergency.view; otherwise NotFound."""
    area = get_by_id(Area.objects.filter(kind__in=list(CHILD_KIND)), area_id)
    if not access.can(user, Perm.EMERGENCY_VIEW, area.path):
        raise NotFound()
    return area


def screen_areas_for(*, user: Viewer) -> list[Area]:
    """The open streets and communities whose screen the user may open, in tree order."""
    if not access.can(user, Perm.EMERGENCY_VIEW):
        return []
    return list(
        Area.objects.restrict(user, Perm.EMERGENCY_VIEW)
        .filter(kind__in=list(CHILD_KIND), closed_at=None)
        .order_by("path")[:500]
    )


# --- the figures ---------------------------------------------------------------------------


def _grouped(qs: QuerySet[Any], width: int, **counts: Count) -> list[dict[str, Any]]:
    """One query: `counts` per child (the first `width` characters of the row's path)."""
    return list(
        qs.order_by()
        .annotate(node=Substr("area_path", 1, width))
        .values("node")
        .annotate(**counts)
        .values("node", *counts)
    )


def _place(
    rows: dict[str, dict[str, int]],
    other: dict[str, int],
    totals: dict[str, int],
    found: Iterable[dict[str, Any]],
    names: dict[str, str],
) -> None:
    """Add grouped counts (`names`: the query's count -> the figure) to the rows, `other`
    and the totals."""
    for row in found:
        target = rows.get(row["node"], other)
        for column, figure in names.items():
            value = row[column] or 0
            target[figure] += value
            totals[figure] += value


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _days(now: dt.datetime) -> tuple[list[dt.date], list[dt.datetime]]:
    """The last `TREND_DAYS` local days (today last) and their `TREND_DAYS + 1` bounds."""
    today = timezone.localdate(now)
    days = [today - dt.timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    bounds = [_local_midnight(day) for day in days]
    bounds.append(_local_midnight(today + dt.timedelta(days=1)))
    return days, bounds


def _per_day(field: str, bounds: list[dt.datetime]) -> dict[str, Count]:
    """A count per day (`d0` … `d13`, today last) of the rows whose `field` falls in it.
    Plain range comparisons: no time-zone conversion of every row (on SQLite that is a
    Python function call per row)."""
    return {
        f"d{i}": Count("pk", filter=Q(**{f"{field}__gte": lo, f"{field}__lt": hi}))
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
    }


def _add_trend(trend: list[int], found: Iterable[dict[str, Any]]) -> None:
    for row in found:
        for i in range(TREND_DAYS):
            trend[i] += row[f"d{i}"] or 0


def _compute_figures(
    path: str, width: int, now: dt.datetime, rows: dict[str, dict[str, int]]
) -> tuple[dict[str, int], dict[str, int], dict[str, Any]]:
    """Every figure of every child of the node at `path`, and the trends: one grouped
    query per figure. A figure with a trend counts both in the same scan (the trend's days
    as conditional counts, over the rows of the last 14 days)."""
    other = dict.fromkeys(FIGURES, 0)
    totals = dict.fromkeys(FIGURES, 0)
    days, bounds = _days(now)
    since, until = bounds[0], bounds[-1]
    trends: dict[str, Any] = {"days": [d.isoformat() for d in days]}
    trends.update({name: [0] * TREND_DAYS for name in TRENDS})

    def place(found: list[dict[str, Any]], names: dict[str, str], trend: str = "") -> None:
        _place(rows, other, totals, found, names)
        if trend:
            _add_trend(trends[trend], found)

    place(
        _grouped(
            Household.objects.within(path).exclude(status=HouseholdStatus.CLOSED),
            width,
            households=Count("pk"),
        ),
        {"households": "households"},
    )
    place(
        _grouped(
            Person.objects.within(path).filter(
                residency__in=PRESENT_RESIDENCY, tags__code=ELDERLY_ALONE_TAG
            ),
            width,
            n=Count("pk"),
        ),
        {"n": "elderly_alone"},
    )
    open_orders = Q(status__in=sorted(order_states.OPEN))
    place(
        _grouped(
            WorkOrder.objects.within(path).filter(
                open_orders | Q(submitted_at__gte=since, submitted_at__lt=until)
            ),
            width,
            open=Count("pk", filter=open_orders),
            late=Count("pk", filter=open_orders & Q(due_at__lt=now)),
            **_per_day("submitted_at", bounds),
        ),
        {"open": "orders_open", "late": "orders_overdue"},
        "orders",
    )
    watch_open = [EntryStatus.TO_REVIEW, EntryStatus.TO_VERIFY, EntryStatus.VERIFIED]
    place(
        _grouped(
            WatchEntry.objects.within(path)
            .filter(merged_into__isnull=True)
            .filter(Q(status__in=watch_open) | Q(created_at__gte=since, created_at__lt=until)),
            width,
            review=Count("pk", filter=Q(status=EntryStatus.TO_REVIEW)),
            verify=Count("pk", filter=Q(status=EntryStatus.TO_VERIFY)),
            verified=Count("pk", filter=Q(status=EntryStatus.VERIFIED)),
            **_per_day("created_at", bounds),
        ),
        {"review": "watch_to_review", "verify": "watch_to_verify", "verified": "watch_verified"},
        "watch",
    )
    place(
        _grouped(
            CareCase.objects.within(path).filter(step=CareStep.ISOLATION), width, n=Count("pk")
        ),
        {"n": "isolation"},
    )
    place(
        _grouped(
            ShoppingList.objects.within(path).exclude(status=ShoppingStatus.CANCELLED),
            width,
            waiting=Count("pk", filter=Q(status=ShoppingStatus.OPEN)),
            buying=Count("pk", filter=Q(status=ShoppingStatus.IN_RUN)),
            delivered=Count("pk", filter=Q(status=ShoppingStatus.DELIVERED)),
            received=Count("pk", filter=Q(status=ShoppingStatus.RECEIVED)),
        ),
        {
            "waiting": "deliveries_open",
            "buying": "deliveries_in_run",
            "delivered": "deliveries_delivered",
            "received": "deliveries_received",
        },
    )
    place(
        _grouped(
            SupplyItem.objects.within(path).filter(quantity__lt=F("minimum")),
            width,
            n=Count("pk"),
        ),
        {"n": "supplies_low"},
    )
    # Check-ins: the 14 days in one scan; today's (the last day) is the figure.
    place(
        _grouped(
            CheckIn.objects.within(path).filter(at__gte=since, at__lt=until),
            width,
            **_per_day("at", bounds),
        ),
        {f"d{TREND_DAYS - 1}": "checkins_today"},
        "checkins",
    )
    place(
        _grouped(
            Recipient.objects.within(path).filter(campaign__status=CampaignStatus.RUNNING),
            width,
            total=Count("pk"),
            answered=Count("pk", filter=Q(state=RecipientState.ANSWERED)),
        ),
        {"total": "outreach_total", "answered": "outreach_answered"},
    )
    return other, totals, trends


def _feature_collection(children: list[dict[str, Any]]) -> dict[str, Any]:
    """The children's outlines as GeoJSON for `echarts.registerMap`: each feature named by
    its row's unique `key`."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": child["key"]},
                "geometry": child["geometry"],
            }
            for child in children
            if child.get("geometry")
        ],
    }


def _mode(area: Area, children: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The mode shown and the panels: a community's own; a street is in emergency when any
    of its communities is (those are marked on their rows), with the default panels."""
    if area.kind == AreaKind.COMMUNITY:
        info = modes.mode_of(area.path)
        panels = modes.profile_in_force(area.path, info.mode)["dashboards"]
        return {
            "mode": info.mode,
            "emergency": info.emergency,
            "kind": info.kind,
            "since": info.since.isoformat() if info.since else None,
        }, [p for p in panels if p in modes.PANELS]
    states = list(
        ModeState.objects.within(area.path)
        .filter(mode=Mode.EMERGENCY)
        .order_by("since")
        .values("area_path", "kind", "since")
    )
    in_emergency = {s["area_path"] for s in states}
    for child in children:
        child["emergency"] = child["path"] in in_emergency
    mode = Mode.EMERGENCY if states else Mode.NORMAL
    first = states[0] if states else None
    return {
        "mode": mode,
        "emergency": bool(states),
        "kind": first["kind"] if first else "",
        "since": first["since"].isoformat() if first else None,
        "communities_in_emergency": len(in_emergency),
    }, list(modes.DEFAULT_PROFILES[mode]["dashboards"])


def _compute(area: Area, now: dt.datetime) -> dict[str, Any]:
    child_kind = CHILD_KIND[AreaKind(area.kind)]
    width = len(area.path) + scope.STEP
    children: list[dict[str, Any]] = [
        dict(child)
        for child in Area.objects.filter(parent=area, kind=child_kind)
        .order_by("path")
        .values("id", "name", "path", "geometry", "closed_at")
    ]
    seen: dict[str, int] = {}
    for child in children:
        # Two children of the same name (a renamed grid) still get their own map shape.
        seen[child["name"]] = seen.get(child["name"], 0) + 1
        child["key"] = (
            child["name"] if seen[child["name"]] == 1 else f"{child['name']}·{child['id']}"
        )
        child["closed"] = child.pop("closed_at") is not None
    counts = {child["path"]: dict.fromkeys(FIGURES, 0) for child in children}
    other, totals, trends = _compute_figures(area.path, width, now, counts)
    mode, panels = _mode(area, children)
    rows = [
        {
            "id": child["id"],
            "name": child["name"],
            "key": child["key"],
            "closed": child["closed"],
            "emergency": child.get("emergency", False),
            **counts[child["path"]],
        }
        for child in children
    ]
    return {
        "area": {"id": area.pk, "name": area.name, "kind": area.kind},
        "level": child_kind,
        "generated_at": now.isoformat(),
        "mode": mode,
        "panels": panels,
        "figures": list(FIGURES),
        "totals": totals,
        "rows": rows,
        "other": other if any(other.values()) else None,
        "trends": trends,
        "map": _feature_collection(children),
    }


def screen_data(area: Area, *, now: dt.datetime | None = None, fresh: bool = False) -> dict:
    """The big screen's data for a community (rows per grid) or a street (rows per
    community). Cached `CACHE_SECONDS` per area; `fresh` recomputes (and caches), and a
    given `now` computes for that moment without the cache. The caller has checked that
    the viewer may open it (`screen_area_get_for`)."""
    if area.kind not in CHILD_KIND:
        raise ValueError("the big screen is drawn for a community or a street")
    if now is not None:
        return _compute(area, now)
    key = _cache_key(area)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    data = _compute(area, clock.now())
    cache.set(key, data, CACHE_SECONDS)
    return data
