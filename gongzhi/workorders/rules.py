"""What every work-order write shares: the refusals, the limits, the levels of the tree an
order is handled at, and its deadlines. Underneath filing, the transition, the fan-out and
the sweep, so none of them imports another to get these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gongzhi.core import scope
from gongzhi.core.errors import Conflict
from gongzhi.registry.models import Area, AreaKind, Person
from gongzhi.workorders import selectors, sla
from gongzhi.workorders.models import Category, Channel, WorkOrder
from gongzhi.workorders.states import Status

CONTACT_NAME_MAX = 40
RATING_COMMENT_MAX = 500
MAX_OFFERS = 10  # handlers one dispatch may offer the order to at once
PLACE_KINDS = (AreaKind.BUILDING, AreaKind.GRID, AreaKind.COMMUNITY, AreaKind.STREET)


class IllegalTransition(Conflict):
    """The move does not exist from the order's status (rating an open order …)."""

    code = "illegal_transition"
    default_message = gettext_lazy("This step is not possible for the order as it is now.")


class NothingDue(Exception):
    """The sweep found the order no longer due once it held the lock."""


class AlreadyTaken(Conflict):
    """Two handlers accepted at once: the second is told that the first won."""

    code = "already_taken"
    default_message = gettext_lazy("Someone else accepted this order first.")


def category_label(category: Category) -> str:
    return category.name_en if translation.get_language() == "en" else category.name


def _ancestors(area: Area) -> list[Area]:
    """The node and its ancestors, top first."""
    return list(
        Area.objects.filter(path__in=scope.ancestors(area.path, inclusive=True)).order_by("path")
    )


def handling_level(place: Area) -> tuple[Area, Area | None]:
    """(the level that handles an order about `place` first, the lowest grid above it)."""
    chain = _ancestors(place)
    levels = [a for a in chain if a.kind in selectors.LEVEL_KINDS]
    grids = [a for a in chain if a.kind == AreaKind.GRID]
    if not levels:
        raise ValidationError({"place": [_("Choose a building, grid or community.")]})
    return levels[-1], (grids[-1] if grids else None)


def level_above(level: Area) -> Area | None:
    """Where escalation goes: the next grid, community or street up (None at the street)."""
    if level.kind == AreaKind.STREET:
        return None
    chain = [a for a in _ancestors(level)[:-1] if a.kind in selectors.LEVEL_KINDS]
    return chain[-1] if chain else None


def schedule(order: WorkOrder, now: dt.datetime) -> None:
    """The next deadline the sweep watches, for the order's status, and its reminder."""
    if order.status in (Status.NEW, Status.ESCALATED, Status.DISPATCHED):
        candidates = [d for d in (order.response_due, order.resolve_due) if d is not None]
        due = min(candidates) if candidates else None
    elif order.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        due = order.resolve_due
    else:
        due = None
    order.due_at = due
    order.remind_at = sla.remind_time(now, due) if due is not None and due > now else None


@dataclass(frozen=True)
class Deadline:
    """Which deadline an order's `due_at` ("下一截止时间") is, in words for its page."""

    kind: str  # "response" or "resolution"
    label: str
    help: str


def deadline_kind(order: WorkOrder) -> Deadline | None:
    """The deadline `schedule` chose for the order's status: the response deadline while
    nobody has accepted it (unless resolving is due sooner), then the resolution deadline."""
    if order.due_at is None:
        return None
    if (
        order.resolve_due is not None
        and order.due_at == order.resolve_due
        and (
            order.status not in (Status.NEW, Status.ESCALATED, Status.DISPATCHED)
            or order.response_due is None
            or order.resolve_due < order.response_due
        )
    ):
        return Deadline(
            "resolution",
            _("Resolve by"),
            _(
                "The resolution deadline of this category and priority (SLA): the order must "
                "be resolved by then. Past it, the order goes one level up by itself (at the "
                "street, the missed deadline is recorded)."
            ),
        )
    return Deadline(
        "response",
        _("Respond by"),
        _(
            "The response deadline of this category and priority (SLA): someone must accept "
            "the order by then. Once accepted, the resolution deadline applies. Past it, the "
            "order goes one level up by itself (at the street, the missed deadline is recorded)."
        ),
    )


def restart_clocks(order: WorkOrder, now: dt.datetime, *, keep_resolution: bool) -> None:
    """Fresh deadlines at a new level (escalation) or after the resident reopens."""
    rule = sla.deadlines_for(order.category, order.priority, order.area_path)
    if rule is None:
        order.response_due = order.resolve_due = None
        return
    order.response_due = sla.add_time(now, rule.response_minutes, working_hours=rule.working_hours)
    fresh = sla.add_time(now, rule.resolution_minutes, working_hours=rule.working_hours)
    if keep_resolution and order.resolve_due is not None and order.resolve_due > fresh:
        return
    if keep_resolution and order.resolve_due is not None and order.resolve_due > now:
        order.resolve_due = max(order.resolve_due, order.response_due)
        return
    order.resolve_due = fresh


def proxy_purpose(channel: str, person: Person | None) -> str:
    if person is None:
        return ""
    if channel == Channel.PROXY:
        return f"proxy for person {person.pk}"
    if channel == Channel.STAFF:
        return f"on behalf of person {person.pk}"
    return ""


def time_left(due: dt.datetime | None, now: dt.datetime) -> str:
    """How long until the deadline, or how long past it, in the largest whole unit:
    "剩余 3 小时", "已超时 2 天"; "" without a deadline."""
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    late = seconds < 0
    seconds = abs(seconds)
    if seconds >= 86400:
        n = int(seconds // 86400)
        unit = ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    elif seconds >= 3600:
        n = int(seconds // 3600)
        unit = ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    else:
        n = max(1, int(seconds // 60))
        unit = ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    if late:
        return _("%(time)s overdue") % {"time": unit}
    return _("%(time)s left") % {"time": unit}
