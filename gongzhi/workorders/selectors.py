"""Reads of work orders, always through the viewer's rights.

Who sees an order, and who may move it, is `policy.py`'s to say; selectors read with it.
Objects by id come only from `workorder_get_for`, which raises NotFound for missing and
invisible orders alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.policy import Perm, roles_with
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.registry.models import Area, AreaKind, Person
from gongzhi.workorders import policy, states
from gongzhi.workorders.models import (
    Attachment,
    Category,
    Channel,
    HandlerProfile,
    Offer,
    Pairing,
    Skill,
    TimelineEntry,
    WorkOrder,
)
from gongzhi.workorders.states import Status

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

HANDLER_ROLES = frozenset({Role.VOLUNTEER, Role.PARTY_MEMBER})
LEVEL_KINDS = (AreaKind.GRID, AreaKind.COMMUNITY, AreaKind.STREET)
RATING_WINDOW = dt.timedelta(days=90)


def _with_related(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return qs.select_related(
        "category", "place", "grid", "level", "assignee", "requester", "person", "household"
    )


def workorder_get_for(*, user: Viewer, order_id: Any) -> WorkOrder:
    # Only what every page and answer of one order shows; the rest loads on demand.
    order = get_by_id(
        WorkOrder.objects.select_related("category", "place", "grid", "level"), order_id
    )
    if not policy.can_see(user, order):
        raise NotFound()
    return order


# --- lists ------------------------------------------------------------------------------------

TABS = ("waiting", "dispatched", "working", "resolved", "closed", "overdue", "all")
_TAB_STATUSES: dict[str, frozenset[str]] = {
    "waiting": states.WAITING,
    "dispatched": frozenset({Status.DISPATCHED}),
    "working": frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
    "resolved": frozenset({Status.RESOLVED}),
    "closed": frozenset({Status.CLOSED, Status.CANCELLED}),
}


@dataclass(frozen=True)
class OrderFilters:
    tab: str = "all"
    area_id: int | None = None  # a grid, community … within the viewer's area
    category: str = ""
    status: str = ""
    mine: bool = False  # only orders the viewer asked for (residents' list)


def _in_scope(user: Viewer, filters: OrderFilters) -> QuerySet[WorkOrder]:
    """The orders the viewer sees, narrowed by every filter but the tab."""
    visible = policy.visible(user)
    if filters.mine:
        visible = visible.filter(policy.requested_q(user))
    if filters.area_id:
        area = area_get_for(user=user, area_id=filters.area_id)
        visible = visible.within(area.path)
    orders: QuerySet[WorkOrder] = visible
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.category:
        orders = orders.filter(category__code=filters.category)
    return orders


def _waiting_here(orders: QuerySet[WorkOrder], user: Viewer) -> QuerySet[WorkOrder]:
    """The inbox: waiting at a level where the viewer decides."""
    return access.restrict(
        orders.filter(status__in=sorted(states.WAITING)),
        user,
        Perm.WORKORDER_DISPATCH,
        "level_path",
    )


def workorder_list_for(*, user: Viewer, filters: OrderFilters | None = None) -> QuerySet[WorkOrder]:
    """The orders of one tab, the next deadline first (overdue ones on top: their deadline
    is the earliest), then those with none, newest first."""
    filters = filters or OrderFilters()
    orders = _in_scope(user, filters)
    if filters.tab == "waiting":
        orders = _waiting_here(orders, user)
    elif filters.tab == "overdue":
        orders = orders.filter(due_at__lt=clock.now())
    elif filters.tab in _TAB_STATUSES:
        orders = orders.filter(status__in=sorted(_TAB_STATUSES[filters.tab]))
    return _with_related(orders).order_by(F("due_at").asc(nulls_last=True), "-submitted_at", "-id")


def tab_counts_for(*, user: Viewer, filters: OrderFilters | None = None) -> dict[str, int]:
    """How many orders each tab of the inbox holds, with the same filters: two queries."""
    filters = filters or OrderFilters()
    orders = _in_scope(user, filters)
    counts = orders.aggregate(
        all=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=clock.now())),
        **{
            tab: Count("pk", filter=Q(status__in=sorted(statuses)))
            for tab, statuses in _TAB_STATUSES.items()
            if tab != "waiting"
        },
    )
    counts["waiting"] = _waiting_here(orders, user).count()
    return {tab: counts.get(tab) or 0 for tab in TABS}


def community_labels_for(*, user: Viewer, grids: Iterable[Area]) -> dict[int, str]:
    """ "玉岭社区 · 第一网格" for each grid, when the viewer's area spans more than one
    community (a street officer); otherwise the grid's own name is enough."""
    grids = list(grids)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    seen = access.restrict(communities, user, Perm.WORKORDER_VIEW, "path")
    if not grids or seen[:2].count() < 2:
        return {g.pk: g.name for g in grids}
    wanted = {a for g in grids for a in scope.ancestors(g.path)}
    names = dict(communities.filter(path__in=sorted(wanted)).values_list("path", "name"))
    out = {}
    for grid in grids:
        community = next((names[a] for a in scope.ancestors(grid.path) if a in names), "")
        out[grid.pk] = f"{community} · {grid.name}" if community else grid.name
    return out


def my_orders_for(*, user: Viewer) -> QuerySet[WorkOrder]:
    """A resident's orders: asked by them, or for anyone they may act for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return WorkOrder.objects.none()
    return _with_related(WorkOrder.objects.filter(policy.requested_q(user))).order_by(
        "-submitted_at", "-id"
    )


@dataclass
class Tasks:
    offered: list[WorkOrder]
    working: list[WorkOrder]
    done: list[WorkOrder]


def tasks_for(*, user: User, done_limit: int = 20) -> Tasks:
    """A volunteer's or party member's list: offers to answer, orders in hand, recent ones."""
    if not access.can(user, Perm.WORKORDER_HANDLE):
        return Tasks([], [], [])
    in_scope = WorkOrder.objects.restrict(user, Perm.WORKORDER_HANDLE)
    open_offers = Offer.objects.filter(handler=user, closed_at__isnull=True).values("order_id")
    offered = _with_related(in_scope.filter(pk__in=open_offers, status=Status.DISPATCHED)).order_by(
        "due_at", "submitted_at"
    )
    working = _with_related(
        in_scope.filter(assignee=user, status__in=[Status.ACCEPTED, Status.IN_PROGRESS])
    ).order_by("due_at", "submitted_at")
    done = _with_related(
        in_scope.filter(assignee=user, status__in=[Status.RESOLVED, Status.CLOSED])
    ).order_by("-resolved_at")[:done_limit]
    return Tasks(list(offered), list(working), list(done))


def area_get_for(*, user: Viewer, area_id: Any) -> Area:
    """A node of the tree where the user sees work orders (filters, the board)."""
    area = get_by_id(Area.objects.all(), area_id)
    if not access.can(user, Perm.WORKORDER_VIEW, area.path):
        raise NotFound()
    return area


def grid_options_for(*, user: Viewer) -> list[tuple[int, str]]:
    grids = list(
        access.restrict(
            Area.objects.filter(kind=AreaKind.GRID), user, Perm.WORKORDER_VIEW, "path"
        ).order_by("path")
    )
    labels = community_labels_for(user=user, grids=[g for g in grids if (g.grid_level or 1) == 1])
    return [(g.pk, "\u3000" * ((g.grid_level or 1) - 1) + labels.get(g.pk, g.name)) for g in grids]


# --- the board: open orders by grid ---------------------------------------------------------


@dataclass
class GridCount:
    area: Area
    waiting: int = 0
    assigned: int = 0
    overdue: int = 0
    resolved: int = 0  # waiting for the resident's rating
    children: list[GridCount] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.waiting + self.assigned

    @property
    def heat(self) -> int:
        """0–4, for the tile's colour: nothing open … many overdue."""
        if self.overdue >= 3:
            return 4
        if self.overdue:
            return 3
        if self.open >= 5:
            return 2
        return 1 if self.open else 0


def board_for(*, user: Viewer, area: Area | None = None) -> list[GridCount]:
    """Open orders counted by grid: the top grids of the viewer's area, each with its
    sub-grids. One grouped query; the tree is put together here."""
    if area is not None:
        areas, orders = Area.objects.within(area.path), WorkOrder.objects.within(area.path)
    elif access.can(user, Perm.WORKORDER_VIEW):
        areas = Area.objects.restrict(user, Perm.WORKORDER_VIEW)
        orders = WorkOrder.objects.restrict(user, Perm.WORKORDER_VIEW)
    else:
        return []
    grids = list(areas.filter(kind=AreaKind.GRID).order_by("path"))
    now = clock.now()
    rows = (
        orders.filter(grid__isnull=False)
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
        .values("grid_id")
        .annotate(
            waiting=Count("pk", filter=Q(status__in=sorted(states.WAITING))),
            assigned=Count("pk", filter=Q(status__in=sorted(states.ASSIGNED))),
            late=Count("pk", filter=Q(due_at__lt=now)),
            resolved=Count("pk", filter=Q(status=Status.RESOLVED)),
        )
    )
    counts = {row["grid_id"]: row for row in rows}
    by_path: dict[str, GridCount] = {}
    tops: list[GridCount] = []
    for grid in grids:
        node = GridCount(area=grid)
        row = counts.get(grid.pk)
        if row:
            node.waiting, node.assigned = row["waiting"], row["assigned"]
            node.overdue, node.resolved = row["late"], row["resolved"]
        by_path[grid.path] = node
        parent = next(
            (by_path[p] for p in reversed(scope.ancestors(grid.path)) if p in by_path), None
        )
        if parent is None:
            tops.append(node)
        else:
            parent.children.append(node)
    for top in tops:
        _sum_up(top)
    return tops


def _sum_up(node: GridCount) -> None:
    for child in node.children:
        _sum_up(child)
        node.waiting += child.waiting
        node.assigned += child.assigned
        node.overdue += child.overdue
        node.resolved += child.resolved


# --- dispatch suggestions ---------------------------------------------------------------------


@dataclass
class Suggestion:
    user: Viewer
    role: str
    score: float
    paired: bool  # serves this household (包干到户)
    serves_grid: bool  # their place or paired households are in the order's grid
    skill_match: bool
    load: int  # open offers and orders in hand
    rating: float | None  # average stars over the last 90 days
    ratings: int
    available: bool
    skill: str = ""  # the category's skill, in words

    @property
    def explanation(self) -> list[str]:
        """Why this person is suggested, one sentence per part of the score (`_score`),
        with the points it gives."""
        out = []
        if self.paired:
            out.append(
                _("Serves this household under the 8-household pairing (+%(p)d).")
                % {"p": WEIGHTS["paired"]}
            )
        if self.serves_grid:
            out.append(_("Serves this grid (+%(p)d).") % {"p": WEIGHTS["grid"]})
        else:
            out.append(_("Serves elsewhere in the area, not this grid."))
        if self.skill_match:
            out.append(
                _("Has the skill this request needs: %(skill)s (+%(p)d).")
                % {"skill": self.skill, "p": WEIGHTS["skill"]}
            )
        else:
            out.append(
                _("Does not list the skill this request needs: %(skill)s.") % {"skill": self.skill}
            )
        if self.load:
            out.append(
                ngettext(
                    "Has %(n)d open order already (%(p)d).",
                    "Has %(n)d open orders already (%(p)d).",
                    self.load,
                )
                % {"n": self.load, "p": WEIGHTS["load"] * self.load}
            )
        else:
            out.append(_("Has no open orders now."))
        if self.rating is not None:
            out.append(
                ngettext(
                    "Rated %(avg).1f stars on average for %(n)d order in the last 90 days (%(p)+.1f).",
                    "Rated %(avg).1f stars on average for %(n)d orders in the last 90 days (%(p)+.1f).",
                    self.ratings,
                )
                % {
                    "avg": self.rating,
                    "n": self.ratings,
                    "p": WEIGHTS["rating"] * (self.rating - 3),
                }
            )
        if not self.available:
            out.append(_("Is not taking orders now (%(p)d).") % {"p": WEIGHTS["unavailable"]})
        return out

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.paired:
            out.append(_("serves this household"))
        elif self.serves_grid:
            out.append(_("serves this grid"))
        if self.skill_match:
            out.append(_("has the skill"))
        out.append(_("%(n)d open") % {"n": self.load})
        if self.rating is not None:
            out.append(_("rated %(avg).1f (%(n)d)") % {"avg": self.rating, "n": self.ratings})
        if not self.available:
            out.append(_("not taking orders now"))
        return out


WEIGHTS = {"paired": 40, "grid": 20, "skill": 25, "load": -6, "rating": 6, "unavailable": -50}


def handler_memberships_of(user: User) -> list[Membership]:
    roles = roles_with(Perm.WORKORDER_HANDLE)
    return list(
        Membership.objects.filter(user=user, is_active=True, role__in=roles).select_related("area")
    )


def suggestions_for(*, order: WorkOrder, limit: int = 8) -> list[Suggestion]:
    """Volunteers and party members who may take the order, best first: who serves the
    household (the 8-household pairing) or the grid, who has the skill, who has the
    fewest open orders, who is rated best lately."""
    memberships = access.holders(
        Perm.WORKORDER_HANDLE, order.area_path, nearest=False, roles=HANDLER_ROLES
    )
    if not memberships:
        return []
    best: dict[int, Membership] = {}
    for m in memberships:  # one row per user: their deepest membership here
        if m.user_id not in best or len(m.area.path) > len(best[m.user_id].area.path):
            best[m.user_id] = m
    ids = list(best)
    paired = (
        set(
            Pairing.objects.filter(
                handler_id__in=ids, household_id=order.household_id, is_active=True
            ).values_list("handler_id", flat=True)
        )
        if order.household_id
        else set()
    )
    grid_path = order.grid.path if order.grid is not None else order.level_path
    in_grid = set(
        Pairing.objects.within(grid_path)
        .filter(handler_id__in=ids, is_active=True)
        .values_list("handler_id", flat=True)
        .distinct()
    )
    loads = _loads(ids)
    ratings = {
        row["assignee_id"]: (row["avg"], row["n"])
        for row in WorkOrder.objects.filter(
            assignee_id__in=ids,
            rating__isnull=False,
            closed_at__gte=clock.now() - RATING_WINDOW,
        )
        .values("assignee_id")
        .annotate(avg=Avg("rating"), n=Count("pk"))
    }
    profiles = {p.user_id: p for p in HandlerProfile.objects.filter(user_id__in=ids)}
    skill = order.category.skill
    skill_label = str(Skill(skill).label) if skill in Skill.values else skill
    out = []
    for user_id, membership in best.items():
        profile = profiles.get(user_id)
        skills = set(profile.skills) if profile else set()
        available = profile.available if profile else True
        avg, n = ratings.get(user_id, (None, 0))
        suggestion = Suggestion(
            user=membership.user,
            role=membership.role,
            score=0.0,
            paired=user_id in paired,
            serves_grid=user_id in in_grid or membership.area.path.startswith(grid_path),
            skill_match=skill in skills,
            load=loads.get(user_id, 0),
            rating=float(avg) if avg is not None else None,
            ratings=n,
            available=available,
            skill=skill_label,
        )
        suggestion.score = _score(suggestion)
        out.append(suggestion)
    out.sort(key=lambda s: (-s.score, s.load, s.user.pk))
    return out[:limit]


def _score(s: Suggestion) -> float:
    score = 0.0
    if s.paired:
        score += WEIGHTS["paired"]
    if s.serves_grid:
        score += WEIGHTS["grid"]
    if s.skill_match:
        score += WEIGHTS["skill"]
    score += WEIGHTS["load"] * s.load
    if s.rating is not None:
        score += WEIGHTS["rating"] * (s.rating - 3)
    if not s.available:
        score += WEIGHTS["unavailable"]
    return round(score, 1)


def _loads(user_ids: list[int]) -> dict[int, int]:
    loads: dict[int, int] = {}
    for row in (
        WorkOrder.objects.filter(
            assignee_id__in=user_ids, status__in=[Status.ACCEPTED, Status.IN_PROGRESS]
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
    ):
        loads[row["assignee_id"]] = row["n"]
    for offers in (
        Offer.objects.filter(
            handler_id__in=user_ids, closed_at__isnull=True, order__status=Status.DISPATCHED
        )
        .values("handler_id")
        .annotate(n=Count("pk"))
    ):
        loads[offers["handler_id"]] = loads.get(offers["handler_id"], 0) + offers["n"]
    return loads


def handler_get_for(*, order: WorkOrder, user_id: Any) -> User:
    """A user the order may be dispatched to, by id; NotFound otherwise."""
    user = get_by_id(User.objects.all(), user_id, is_active=True)
    if not policy.may_handle(user, order):
        raise NotFound()
    return user


def _ids(values: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            number = 0
        if number not in out:
            out.append(number)
    return out


def not_handlers_here(ids: Iterable[Any]) -> ValidationError:
    """The one answer for ids that are not handlers of the order's area: missing users,
    residents, handlers elsewhere alike. It repeats the ids given, never a name."""
    shown = ", ".join(str(i) for i in ids)
    return ValidationError(
        {
            "handlers": [
                _("No volunteer or party member of this area has the id %(ids)s.") % {"ids": shown}
            ]
        }
    )


def handlers_get_for(*, user: Viewer, order: WorkOrder, user_ids: Iterable[Any]) -> list[User]:
    """The users, by id, whom `user` (who decides at the order's level; Forbidden
    otherwise) offers the order to: each must be an active user who may handle it at its
    place. Any other id raises `not_handlers_here`, whether the user is missing or merely
    someone the dispatcher may not see (walking ids reveals no names)."""
    if not policy.may_dispatch(user, order):
        raise Forbidden()
    ids = _ids(user_ids)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    unknown = [i for i in ids if i not in users or not policy.may_handle(users[i], order)]
    if unknown:
        raise not_handlers_here(unknown)
    return [users[i] for i in ids]


def handler_get_for_dispatcher(*, user: Viewer, user_id: Any) -> User:
    """A volunteer or party member who serves somewhere in the area where `user`
    dispatches (or above it), by id — for bulk dispatch. Any other id, `not_handlers_here`."""
    ids = _ids([user_id])
    paths = access.paths(user, Perm.WORKORDER_DISPATCH)
    found = User.objects.filter(pk=ids[0], is_active=True).first()
    if found is not None and paths:
        for membership in handler_memberships_of(found):
            if scope.overlaps(membership.area.path, paths):
                return found
    raise not_handlers_here(ids)


def handler_choices_for(
    *, user: Viewer, area_id: Any = None, limit: int = 300
) -> list[tuple[int, str]]:
    """Volunteers and party members of the user's dispatch area (or of the chosen grid in
    it), as (user id, "name · area") for bulk dispatch; the service checks each order's
    place again."""
    memberships = Membership.objects.filter(
        is_active=True, user__is_active=True, role__in=sorted(HANDLER_ROLES)
    )
    if area_id:
        area = area_get_for(user=user, area_id=area_id)
        memberships = memberships.filter(area__in=Area.objects.within(area.path))
    else:
        memberships = access.restrict(memberships, user, Perm.WORKORDER_DISPATCH, "area__path")
    memberships = memberships.select_related("user", "area").order_by(
        "area__path", "user__username"
    )[:limit]
    seen: dict[int, str] = {}
    for m in memberships:
        seen.setdefault(m.user_id, f"{m.user} · {m.area.name}")
    return list(seen.items())


def suggestions_for_dispatcher(
    *, user: Viewer, order: WorkOrder, limit: int = 8
) -> list[Suggestion]:
    """Suggestions, for staff who decide at the order's level (Forbidden otherwise)."""
    if not policy.may_dispatch(user, order):
        raise Forbidden()
    return suggestions_for(order=order, limit=limit)


# --- filing: whom and where a user may ask for ---------------------------------------------


def person_for_filing(*, user: Viewer, person_id: Any) -> Person:
    """A person the user may ask for: themselves, someone they act for, or a resident of
    the area where they keep the register or are building head."""
    person = get_by_id(Person.objects.select_related("household__building"), person_id)
    if person.pk in policy.acting_person_ids(user):
        return person
    if access.can(user, Perm.WORKORDER_REQUEST, person.area_path) and access.can(
        user, Perm.REGISTER_VIEW, person.area_path
    ):
        return person
    raise NotFound()


def place_for_filing(*, user: Viewer, area_id: Any) -> Area:
    area = get_by_id(Area.objects.select_related("compound"), area_id)
    if not access.can(user, Perm.WORKORDER_REQUEST, area.path):
        raise NotFound()
    return area


# --- an order's parts ---------------------------------------------------------------------------


def open_offers(order: WorkOrder) -> list[Offer]:
    return list(
        order.offers.filter(closed_at__isnull=True).select_related("handler").order_by("pk")
    )


def timeline_for(*, user: Viewer, order: WorkOrder) -> list[TimelineEntry]:
    """The steps the viewer may see: residents see the public ones only."""
    entries = order.timeline.select_related("actor", "assignee", "level", "on_behalf_of")
    if not (policy.is_staff_for(user, order) or policy.is_handler(user, order)):
        entries = entries.filter(action__in=sorted(states.PUBLIC_ACTIONS))
    found = list(entries.prefetch_related("attachments").order_by("at", "id"))
    hide = not policy.sees_requester(user, order)
    for entry in found:
        # An anonymous complaint's steps by the resident do not name them to the handler.
        entry.actor_hidden = (
            hide and entry.actor_id is not None and entry.actor_id == order.requester_id
        )
        if hide:
            entry.on_behalf_of = None
    return found


@dataclass
class ResidentStep:
    """One line of the resident's timeline: the step in their words, its note if it is
    theirs to read, its photos."""

    action: str
    at: dt.datetime
    text: str
    note: str
    photos: list[Attachment]
    order_id: int


def resident_timeline_for(*, user: Viewer, order: WorkOrder) -> list[ResidentStep]:
    """The public steps in residents' words, each said once: a step that reads the same
    as the one before it and adds no note or photo (offered again after a decline,
    escalated again) is left out."""
    out: list[ResidentStep] = []
    for entry in timeline_for(user=user, order=order):
        words = states.RESIDENT_STEPS.get(entry.action)
        if words is None:
            continue
        note = entry.note if entry.action in states.RESIDENT_NOTES else ""
        photos = list(entry.attachments.all())
        text = str(words)
        if out and out[-1].text == text and not note and not photos:
            continue
        out.append(ResidentStep(entry.action, entry.at, text, note, photos, order.pk))
    return out


def attachments_of(order: WorkOrder) -> list[Attachment]:
    return list(order.attachments.order_by("uploaded_at", "id"))


def attachment_get_for(*, user: Viewer, order_id: Any, attachment_id: Any) -> Attachment:
    order = workorder_get_for(user=user, order_id=order_id)
    return get_by_id(order.attachments.all(), attachment_id)


def category_list(*, active_only: bool = True) -> list[Category]:
    categories = Category.objects.prefetch_related("slas").order_by("sort", "code")
    if active_only:
        categories = categories.filter(is_active=True)
    return list(categories)


def category_get(code: str) -> Category:
    try:
        return Category.objects.get(code=code, is_active=True)
    except Category.DoesNotExist:
        raise NotFound() from None


# --- whom to tell ------------------------------------------------------------------------------


def dispatcher_ids(level: Area) -> list[int]:
    """The staff who decide at `level`: dispatching roles on the nearest node at or above
    it that has any (a grid's workers; a community's staff; a street's officers)."""
    return sorted({m.user_id for m in access.holders(Perm.WORKORDER_DISPATCH, level.path)})


def served_ids(order: WorkOrder) -> list[int]:
    """The resident's accounts to tell: who asked for themselves or as a proxy, and the
    accounts of the person it is for — not the staff or building head who filed it on the
    person's behalf (channel `staff`)."""
    ids = {order.requester_id} if order.requester_id and order.channel != Channel.STAFF else set()
    if order.person_id:
        ids.update(User.objects.filter(person_id=order.person_id).values_list("pk", flat=True))
    return sorted(ids)
