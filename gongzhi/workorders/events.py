"""Events other modules listen to, so that work orders need not know them.

The points module (能量广场) awards points from residents' ratings, not from a photo
check-in; it connects a receiver in its AppConfig.ready():

    from gongzhi.workorders.events import order_rated

    def award(sender, event, **kwargs):
        points_services.award_for_rating(handler_id=event.assignee_id, stars=event.rating,
                                         by_phone=event.via_callback,
                                         source=f"workorder-event:{event.id}")

    order_rated.connect(award, dispatch_uid="points.award_for_rating")

A rating staff recorded on a callback (回访: the resident rated by phone) is an `order.rated`
event too, with `via_callback` True, so a listener can weigh it differently.

Signals are sent after the transaction that made the step commits, once per step.
Each event's `id` is the id of its timeline entry, so a receiver can make its own write
idempotent with it, and a consumer that was down catches up with `events_since(last_id)`.
Work orders import nothing of the modules that listen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.dispatch import Signal

from gongzhi.workorders.models import TimelineEntry, WorkOrder
from gongzhi.workorders.states import Action

# Sent with `event=OrderEvent`.
order_resolved = Signal()
order_rated = Signal()

SIGNALS: dict[str, Signal] = {
    Action.RESOLVE: order_resolved,
    Action.SOLVE: order_resolved,
    Action.RATE: order_rated,
    Action.CALLBACK: order_rated,
}
KINDS: dict[str, str] = {
    Action.RESOLVE: "order.resolved",
    Action.SOLVE: "order.resolved",
    Action.RATE: "order.rated",
    Action.CALLBACK: "order.rated",
}
RATED = (Action.RATE, Action.CALLBACK)


@dataclass(frozen=True)
class OrderEvent:
    id: int  # the timeline entry's id: unique, increasing
    kind: str  # "order.resolved" or "order.rated"
    at: dt.datetime
    order_id: int
    category: str
    area_path: str  # the place the order is about
    requester_id: int | None
    assignee_id: int | None  # who did the work (None when staff solved it themselves)
    resolved_by_id: int | None
    rating: int | None  # 1–5 for order.rated
    # order.rated: the resident gave the rating on the phone and staff recorded it (回访);
    # False when the resident (or their proxy) rated it themselves.
    via_callback: bool = False


def event_of(entry: TimelineEntry, order: WorkOrder) -> OrderEvent:
    return OrderEvent(
        id=entry.pk,
        kind=KINDS[entry.action],
        at=entry.at,
        order_id=order.pk,
        category=order.category.code,
        area_path=order.area_path,
        requester_id=order.requester_id,
        assignee_id=entry.assignee_id,
        resolved_by_id=entry.actor_id if entry.action not in RATED else order.resolved_by_id,
        rating=entry.rating,
        via_callback=entry.action == Action.CALLBACK,
    )


def publish(entry: TimelineEntry, order: WorkOrder) -> None:
    """Send the step's signal (call after commit)."""
    signal = SIGNALS.get(entry.action)
    if signal is not None:
        signal.send(sender=WorkOrder, event=event_of(entry, order))


def events_since(last_id: int = 0, *, limit: int = 500) -> list[OrderEvent]:
    """Resolved and rated events after `last_id`, oldest first: for catching up."""
    entries = (
        TimelineEntry.objects.filter(pk__gt=last_id, action__in=list(SIGNALS))
        .select_related("order__category")
        .order_by("pk")[:limit]
    )
    return [event_of(entry, entry.order) for entry in entries]
