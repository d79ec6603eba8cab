"""Rankings of a community or grid for a month or a year: volunteers, party members and
residents ranked apart, top N with points and service hours.

**The rule** (stated on the pages, docs/points-rankings.md):

- A holder's score is the sum of the points of the AWARD and ADJUSTMENT entries (and of
  the reversals of those) posted in the period, whose `area_path` lies in the chosen node.
  Redemptions, their refunds and expiry do not count: spending points is not doing less.
  A reversal counts when it is posted (the ledger's time), like every other entry.
- Equal scores share a place (1, 2, 2, 4). Within a shared place holders are listed by who
  reached the score first — the time of their last counted entry, earlier first — then by
  account id. Only scores above zero are ranked.
- An entry keeps the holder kind it was earned as (`LedgerEntry.holder_kind`): someone who
  became a party member in the period may appear in two lists, each with what was earned
  as that kind.

**Cost**: one grouped query over the node's and the period's range (the (area_path, at,
holder_kind) index, or `at`'s, as the planner finds cheaper), grouped by holder and by
reversed entry; the kinds of the few reversed entries by primary key; the names of the few
holders shown.

Staff read the rankings of nodes where they hold `points.view` (`ranking_for`, through
`LedgerEntry.objects.restrict`). On /m/ a community's ranking is public to its own
residents, volunteers and party members (`ranking_public`): computed for the viewer's own
community or grid, with masked names and nothing else about the holders.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock, scope
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_name
from gongzhi.points.ledger import home_path_of
from gongzhi.points.models import EntryKind, HolderKind, LedgerEntry
from gongzhi.registry.models import Area, AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

TOP_DEFAULT = 10
TOP_MAX = 100
REVERSED_BATCH = 5000  # primary keys per query (under SQLite's limit of bound values)
RANKED_NODES = (AreaKind.COMMUNITY, AreaKind.GRID)
# The lists, in the order the pages show them.
LISTS = (HolderKind.VOLUNTEER, HolderKind.PARTY_MEMBER, HolderKind.RESIDENT)
# What a ranking counts: awards and adjustments, and the reversals of those.
COUNTED_KINDS = (EntryKind.AWARD, EntryKind.ADJUSTMENT)

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month (`month` set) or year, in the platform's time zone."""

    year: int
    month: int | None = None

    @property
    def kind(self) -> str:
        return "month" if self.month else "year"

    @property
    def key(self) -> str:
        """As the pages and the API write it: "2026-03" or "2026"."""
        return f"{self.year:04d}-{self.month:02d}" if self.month else f"{self.year:04d}"

    @property
    def start(self) -> dt.datetime:
        return _local(dt.date(self.year, self.month or 1, 1))

    @property
    def end(self) -> dt.datetime:
        if self.month is None:
            return _local(dt.date(self.year + 1, 1, 1))
        last = calendar.monthrange(self.year, self.month)[1]
        return _local(dt.date(self.year, self.month, last) + dt.timedelta(days=1))

    def other_kind(self) -> Period:
        """This month's year, or the year's current (or last) month."""
        if self.month:
            return Period(self.year)
        today = clock.today()
        return Period(self.year, today.month if today.year == self.year else 12)


def _local(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def period_current(kind: str = "month") -> Period:
    today = clock.today()
    return Period(today.year, today.month) if kind == "month" else Period(today.year)


def period_parse(raw: str | None) -> Period:
    """ "2026-03" (a month), "2026" (a year), "month" or "year" (the current one), or
    empty (this month); anything else is a ValidationError naming `period`."""
    text = (raw or "").strip()
    if text in ("", "month", "year"):
        return period_current(text or "month")
    found = _PERIOD.match(text)
    month = int(found.group(2)) if found and found.group(2) else None
    if not found or not 2000 <= int(found.group(1)) <= 2999 or month not in (None, *range(1, 13)):
        raise ValidationError(
            {"period": _("Write a month as 2026-03 or a year as 2026, between 2000 and 2999.")}
        )
    return Period(int(found.group(1)), month)


# --- places ---------------------------------------------------------------------------------


@dataclass
class Place:
    place: int
    holder_id: int
    points: int
    hours: Decimal
    reached_at: dt.datetime  # the holder's last counted entry: who reached the score first
    name: str = ""
    me: bool = False


@dataclass
class Ranking:
    area: Area
    period: Period
    top: int
    lists: dict[str, list[Place]] = field(default_factory=dict)  # holder kind -> top places
    # holder kind -> the viewer's own place in that list (also when below the top).
    mine: dict[str, Place] = field(default_factory=dict)
    masked: bool = False

    @property
    def sections(self) -> list[tuple[str, Any, list[Place], Place | None]]:
        """(kind, label, places, the viewer's place when not among them) per list."""
        labels = dict(HolderKind.choices)
        out: list[tuple[str, Any, list[Place], Place | None]] = []
        for kind in LISTS:
            places = self.lists.get(kind, [])
            own = self.mine.get(kind)
            below = own if own is not None and not any(p.me for p in places) else None
            out.append((kind, labels[kind], places, below))
        return out


def _grouped(entries: QuerySet[LedgerEntry]) -> QuerySet[Any]:
    """Per holder kind and holder, and per reversed entry (None for awards and
    adjustments): points, hours, and the time of the last entry."""
    return (
        entries.filter(kind__in=(*COUNTED_KINDS, EntryKind.REVERSAL))
        .values("holder_kind", "holder_id", "reverses_id")
        .annotate(score=Sum("points"), hours=Sum("hours"), reached=Max("at"))
        .order_by()
    )


def _counted_reversed(ids: set[int]) -> set[int]:
    """Which of the reversed entries `ids` were awards or adjustments (by primary key)."""
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), REVERSED_BATCH):
        found.update(
            LedgerEntry.objects.filter(
                pk__in=ordered[start : start + REVERSED_BATCH], kind__in=COUNTED_KINDS
            ).values_list("pk", flat=True)
        )
    return found


def places_of(entries: QuerySet[LedgerEntry], period: Period) -> dict[str, list[Place]]:
    """Every ranked holder of `entries` in `period`, per holder kind, in ranking order with
    shared places. One grouped query over the node's and the period's range; the few
    reversals come back one row each, and which of them undo an award or an adjustment is
    read by primary key (a join in the grouped query would make PostgreSQL hash the whole
    ledger, a second scan would double SQLite's)."""
    rows = list(_grouped(entries.filter(at__gte=period.start, at__lt=period.end)))
    counted = _counted_reversed({r["reverses_id"] for r in rows if r["reverses_id"]})
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        if row["reverses_id"] is not None and row["reverses_id"] not in counted:
            continue  # a refunded redemption or an undone expiry: not earned
        key = (row["holder_kind"], row["holder_id"])
        found = totals.get(key)
        if found is None:
            totals[key] = dict(row)
        else:
            found["score"] += row["score"]
            found["hours"] = (found["hours"] or 0) + (row["hours"] or 0)
            found["reached"] = max(found["reached"], row["reached"])
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in totals.values():
        if row["score"] > 0:
            grouped.setdefault(row["holder_kind"], []).append(row)
    out: dict[str, list[Place]] = {}
    for kind, found_rows in grouped.items():
        found_rows.sort(key=lambda r: (-r["score"], r["reached"], r["holder_id"]))
        places: list[Place] = []
        for index, row in enumerate(found_rows):
            shared = places and places[-1].points == row["score"]
            places.append(
                Place(
                    place=places[-1].place if shared else index + 1,
                    holder_id=row["holder_id"],
                    points=int(row["score"]),
                    hours=Decimal(row["hours"] or 0),
                    reached_at=row["reached"],
                )
            )
        out[kind] = places
    return out


def _name_of(user: User) -> str:
    person = user.person
    return (person.name if person is not None else "") or user.display_name or user.username


def _ranking(
    entries: QuerySet[LedgerEntry],
    *,
    area: Area,
    period: Period,
    top: int,
    me: Viewer | None,
    masked: bool,
) -> Ranking:
    if not 1 <= top <= TOP_MAX:
        raise ValidationError({"top": _("Show between 1 and %(max)d places.") % {"max": TOP_MAX}})
    ranking = Ranking(area=area, period=period, top=top, masked=masked)
    me_id = getattr(me, "pk", None)
    for kind, places in places_of(entries, period).items():
        ranking.lists[kind] = [p for p in places if p.place <= top]
        for place in places:
            if place.holder_id == me_id:
                place.me = True
                ranking.mine[kind] = place
    shown = {p.holder_id for places in ranking.lists.values() for p in places}
    shown |= {p.holder_id for p in ranking.mine.values()}
    users = User.objects.filter(pk__in=shown).select_related("person").in_bulk()
    for place in [*ranking.mine.values(), *(p for ps in ranking.lists.values() for p in ps)]:
        user = users.get(place.holder_id)
        name = _name_of(user) if user is not None else ""
        place.name = mask_name(name) if masked else name
    return ranking


# --- staff: the nodes where they hold points.view ---------------------------------------------


def ranking_nodes_for(*, user: Viewer) -> list[Area]:
    """The communities and grids whose rankings the user may read, in tree order."""
    held = access.paths(user, Perm.POINTS_VIEW)
    if not held:
        return []
    return list(
        Area.objects.restrict(user, Perm.POINTS_VIEW)
        .filter(kind__in=RANKED_NODES, closed_at=None)
        .order_by("path")
    )


def ranking_node_get_for(*, user: Viewer, area_id: Any) -> Area:
    """A community or grid where the user holds points.view; missing or not theirs: 404."""
    area = get_by_id(Area.objects.filter(kind__in=RANKED_NODES), area_id)
    if not access.can(user, Perm.POINTS_VIEW, area.path):
        raise NotFound()
    return area


def ranking_for(*, user: Viewer, area: Area, period: Period, top: int = TOP_DEFAULT) -> Ranking:
    """The ranking of `area` (a node the user holds points.view on) for staff: full names."""
    if not access.can(user, Perm.POINTS_VIEW, area.path):
        raise NotFound()
    entries = LedgerEntry.objects.restrict(user, Perm.POINTS_VIEW).within(area.path)
    return _ranking(entries, area=area, period=period, top=top, me=None, masked=False)


# --- /m/: one's own community and grid, public within them ----------------------------------------


def own_nodes_of(*, user: Viewer) -> dict[str, Area]:
    """The viewer's own community and grid ("community", "grid"), from where their points
    count (`ledger.home_path_of`: their household, else the node they serve on). The grid
    is the nearest one above their place."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    home = home_path_of(user)  # type: ignore[arg-type]
    if not home:
        return {}
    nodes = Area.objects.filter(
        path__in=scope.ancestors(home, inclusive=True), kind__in=RANKED_NODES
    ).order_by("path")
    found: dict[str, Area] = {}
    for node in nodes:  # root first: a deeper grid replaces the one above
        found["community" if node.kind == AreaKind.COMMUNITY else "grid"] = node
    return found


def ranking_public(
    *, user: Viewer, which: str, period: Period, top: int = TOP_DEFAULT
) -> Ranking | None:
    """The ranking of the viewer's own community or grid (`which`), names masked, their own
    places marked; None when they have no such node."""
    area = own_nodes_of(user=user).get(which)
    if area is None:
        return None
    # Public within the community: computed for the node itself, not through the viewer's
    # permissions (a resident holds none); it shows only masked names and scores.
    entries = LedgerEntry.objects.within(area.path)
    return _ranking(entries, area=area, period=period, top=top, me=user, masked=True)
