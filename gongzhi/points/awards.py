"""Points and service hours from work orders (群众评单): the receivers of
`workorders.events` and the catch-up job that replays what they missed.

- **A good rating** (`order.rated`, 4 or 5 stars) awards the handler
  `GONGZHI_POINTS_PER_GOOD_RATING` points (source "order-rated:<event id>"); 1–3 stars award
  nothing. A rating the resident gave on the phone and staff recorded on a callback (回访)
  counts the same: it is still the served resident's rating, and workorders lets only staff
  who did not handle the order record it.
- **A resolved order** (`order.resolved`) credits its handler service hours (source
  "order-resolved:<event id>", no points): from the last time the handler started the work
  to the resolution, rounded to tenths and at most `GONGZHI_ORDER_HOURS_CAP`; an order
  resolved without a recorded start credits `GONGZHI_ORDER_HOURS_DEFAULT`. An order staff
  solved themselves (no handler) credits nobody: it is their job, not volunteering.

Signals can be missed (a worker down between commit and send), so the periodic job
`catch_up_order_events` reads `events_since(cursor)` and applies each event again; the
ledger's unique source keys make every replay harmless.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tasks import task

from gongzhi.accounts.models import User
from gongzhi.points import ledger
from gongzhi.points.models import EntryKind, EventCursor, LedgerEntry
from gongzhi.workorders.events import OrderEvent, events_since, order_rated, order_resolved
from gongzhi.workorders.models import TimelineEntry
from gongzhi.workorders.states import Action

log = logging.getLogger(__name__)

GOOD_RATING = 4
CURSOR = "workorders.events"
TENTH = Decimal("0.1")


def points_per_good_rating() -> int:
    return int(getattr(settings, "GONGZHI_POINTS_PER_GOOD_RATING", 10))


def _hours_setting(name: str, default: str) -> Decimal:
    return Decimal(str(getattr(settings, name, default))).quantize(TENTH)


def _handler(event: OrderEvent) -> User | None:
    if event.assignee_id is None:
        return None
    return User.objects.filter(pk=event.assignee_id, is_active=True).first()


def award_for_rating(event: OrderEvent) -> LedgerEntry | None:
    """The handler's award for a rating of 4–5 (once per event); None for anything else."""
    if event.kind != "order.rated" or event.rating is None or event.rating < GOOD_RATING:
        return None
    handler = _handler(event)
    points = points_per_good_rating()
    if handler is None or points <= 0:
        return None
    entry, _created = ledger.entry_post(
        holder=handler,
        kind=EntryKind.AWARD,
        points=points,
        source=f"order-rated:{event.id}",
        reason=f"work order {event.order_id} rated {event.rating}",
        at=event.at,
    )
    return entry


def order_hours(event: OrderEvent) -> Decimal:
    """Hours a resolution credits: started → resolved, capped; the default if never started."""
    cap = _hours_setting("GONGZHI_ORDER_HOURS_CAP", "4.0")
    started = (
        TimelineEntry.objects.filter(
            order_id=event.order_id,
            action=Action.START,
            pk__lt=event.id,
            actor_id=event.assignee_id,
        )
        .order_by("-pk")
        .values_list("at", flat=True)
        .first()
    )
    if started is None:
        return min(_hours_setting("GONGZHI_ORDER_HOURS_DEFAULT", "1.0"), cap)
    seconds = max((event.at - started).total_seconds(), 0)
    hours = (Decimal(seconds) / Decimal(3600)).quantize(TENTH, rounding=ROUND_HALF_UP)
    return min(max(hours, TENTH), cap)


def hours_for_resolution(event: OrderEvent) -> LedgerEntry | None:
    """The handler's service hours for a resolved order (once per event)."""
    if event.kind != "order.resolved":
        return None
    handler = _handler(event)
    if handler is None:
        return None
    hours = order_hours(event)
    if hours <= 0:
        return None
    entry, _created = ledger.entry_post(
        holder=handler,
        kind=EntryKind.AWARD,
        points=0,
        hours=hours,
        source=f"order-resolved:{event.id}",
        reason=f"work order {event.order_id} resolved",
        at=event.at,
    )
    return entry


def order_event_apply(event: OrderEvent) -> LedgerEntry | None:
    """What one work-order event is worth in the ledger (idempotent)."""
    if event.kind == "order.rated":
        return award_for_rating(event)
    if event.kind == "order.resolved":
        return hours_for_resolution(event)
    return None


# --- the receivers ----------------------------------------------------------------------------


def _receive(sender: Any, event: OrderEvent, **kwargs: Any) -> None:
    """Signals are sent after the work order's step committed: a failure here must not
    break the step; the catch-up job applies the event later."""
    try:
        order_event_apply(event)
    except Exception:  # logged; the catch-up job retries the event
        log.exception("points: work-order event %s not applied yet", event.id)


def connect() -> None:
    order_rated.connect(_receive, dispatch_uid="points.award_for_rating")
    order_resolved.connect(_receive, dispatch_uid="points.hours_for_resolution")


# --- catching up -----------------------------------------------------------------------------


def catch_up_order_events(*, limit: int = 500) -> int:
    """Apply the events after the cursor, oldest first, moving the cursor past each one;
    the number applied. Safe to run twice at once: the cursor row is locked."""
    applied = 0
    while True:
        with transaction.atomic():
            cursor, _created = EventCursor.objects.get_or_create(name=CURSOR)
            cursor = EventCursor.objects.select_for_update().get(pk=cursor.pk)
            events = events_since(cursor.last_id, limit=limit)
            for event in events:
                try:
                    with transaction.atomic():
                        order_event_apply(event)
                except (ValidationError, ValueError):
                    # The ledger refused it for good (nothing to credit): skip, never loop.
                    # Anything else (the database away) fails the run; the next one retries.
                    log.warning("points: work-order event %s skipped", event.id)
                cursor.last_id = event.id
                applied += 1
            cursor.save(update_fields=["last_id", "updated_at"])
        if len(events) < limit:
            return applied


@task()
def catch_up_order_events_task() -> dict[str, int]:
    """Periodic: apply the work-order events the receivers missed (safe to run twice)."""
    return {"applied": catch_up_order_events()}
