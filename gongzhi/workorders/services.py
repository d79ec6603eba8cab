"""Writes to work orders. Every status change goes through `workorder_transition`.

`workorder_transition` locks the order's row, checks that the move exists
(`states.ACTIONS`) and that the actor may make it (`policy.part`), runs the move's own row
of `STEPS`, writes the order, its timeline entry and the audit entry in one transaction,
and only after commit tells people and other modules (`fanout.after`). `actor=None` is the
system itself (the SLA sweep, the demo).

The other writes live beside it: filing an order (`filing.py`), several orders at once
(`bulk.py`), the SLA sweep (`sweep.py`), handler profiles and pairings (`pairings.py`);
what they share (refusals, limits, levels, deadlines) is `rules.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.fields import reveal
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notifications_mark_read_about
from gongzhi.registry.models import Area, Person
from gongzhi.registry.services import person_reveal
from gongzhi.workorders import policy, selectors, uploads
from gongzhi.workorders.fanout import after
from gongzhi.workorders.models import (
    NOTE_MAX,
    AttachmentKind,
    Channel,
    Offer,
    OfferOutcome,
    TimelineEntry,
    WorkOrder,
)
from gongzhi.workorders.rules import (
    MAX_OFFERS,
    RATING_COMMENT_MAX,
    AlreadyTaken,
    IllegalTransition,
    NothingDue,
    level_above,
    proxy_purpose,
    restart_clocks,
    schedule,
)
from gongzhi.workorders.states import (
    ACTIONS,
    ALLOWED_TRANSITIONS,
    BACK_TO_INBOX,
    Action,
    Status,
    Who,
)
from gongzhi.workorders.uploads import StoredFiles, attach

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor

# --- the resident's phone, for a callback -----------------------------------------------------

CALLBACK_PURPOSE = "callback"


def workorder_phone_reveal(*, actor: Actor, order: WorkOrder) -> str:
    """The full phone to call the resident back on: the order's contact phone, else the
    phone of the person it is for. Audited with the purpose "callback" — the order's own
    field on the order, the register's through `registry.services.person_reveal` (the
    register's one reveal). NotFound if the actor cannot see the order, Forbidden if they
    may not reveal there; a ValidationError names the missing phone."""
    if actor is None or not policy.can_see(actor, order):
        raise NotFound()
    if not policy.may_reveal_phone(actor, order):
        raise Forbidden()
    if order.contact_phone:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="workorder.reveal",
                obj=order,
                area_path=order.area_path,
                fields=["contact_phone"],
                purpose=CALLBACK_PURPOSE,
            )
        return reveal(order.contact_phone)
    person = order.person
    if person is None or not person.phone:
        raise ValidationError({"phone": [_("No phone is on record for this order.")]})
    return person_reveal(actor=actor, person=person, field="phone", purpose=CALLBACK_PURPOSE)


# --- the one transition service ---------------------------------------------------------------


def workorder_transition(
    *,
    actor: Actor,
    order: WorkOrder | int,
    action: str,
    note: str = "",
    handlers: Sequence[User] = (),
    rating: int | None = None,
    photos: Sequence[Any] = (),
    only_if_due: dt.datetime | None = None,
) -> WorkOrder:
    """Make one step of the cycle. Raises NotFound (the actor cannot see the order),
    Forbidden (their part does not allow the step), IllegalTransition / AlreadyTaken (409:
    not from the order's status) or ValidationError (a field, named)."""
    order_id = order.pk if isinstance(order, WorkOrder) else int(order)
    if action not in ACTIONS:
        raise ValidationError({"action": [_("Unknown step.")]})
    move = ACTIONS[action]
    # Photos are checked before the row is locked: decoding them takes a while.
    cleaned = uploads.clean_photos(list(photos)) if photos else []
    with transaction.atomic():
        try:
            order = (
                WorkOrder.objects.select_for_update(of=("self",))
                .select_related("category", "level", "place", "grid")
                .get(pk=order_id)
            )
        except WorkOrder.DoesNotExist:
            raise NotFound() from None
        if actor is not None and not policy.can_see(actor, order):
            raise NotFound()
        who = policy.part(actor, order, move.who)
        if who is None:
            raise Forbidden()
        now = clock.now()
        acting_for, purpose = _for_whom(actor, order, who)
        if only_if_due is not None and not _still_due(order, STEPS[action], only_if_due):
            raise NothingDue()  # someone acted in time: the sweep has nothing to do
        if order.status not in move.sources:
            raise _refusal(actor, order, action)
        errors: dict[str, list[str]] = {}
        note = text_field(errors, "note", note, NOTE_MAX, required=move.needs_reason)
        if cleaned and order.attachments.count() + len(cleaned) > uploads.MAX_PER_ORDER:
            errors.setdefault("photos", []).append(
                _("At most %(total)d photos for one order.") % {"total": uploads.MAX_PER_ORDER}
            )
        step = _Step(order=order, actor=actor, now=now, note=note, who=who, photos=len(cleaned))
        rule = STEPS[action]
        rule.run(step, errors=errors, handlers=handlers, rating=rating)
        raise_errors(errors)
        target = move.target
        if target == Status.NEW:
            target = BACK_TO_INBOX[order.escalations > 0]
        if step.target is not None:
            target = step.target
        before = order.status
        if target is not None and target != before:
            if target not in ALLOWED_TRANSITIONS[before]:
                raise IllegalTransition()
            order.status = target
        schedule(order, now)
        for name in rule.clears:
            setattr(order, name, None)
        order.save()
        entry = TimelineEntry.objects.create(
            order=order,
            at=now,
            actor=actor,
            on_behalf_of=acting_for,
            action=action,
            from_status=before,
            to_status=order.status,
            note=note,
            assignee=step.entry_assignee,
            level=step.entry_level,
            rating=rating if rule.rated else None,
        )
        with StoredFiles() as files:
            attach(
                order=order,
                entry=entry,
                photos=cleaned,
                kind=AttachmentKind.EVIDENCE if who == Who.ASSIGNEE else AttachmentKind.REQUEST,
                actor=actor,
                files=files,
            )
            audit_record(
                actor=actor,
                action=f"workorder.{action}",
                obj=order,
                area_path=order.area_path,
                fields=sorted(step.fields | ({"status"} if order.status != before else set())),
                purpose=purpose,
            )
        if actor is not None:
            notifications_mark_read_about(user=actor, obj=order)  # handled means read
        transaction.on_commit(lambda: after(order.pk, entry.pk, step.told), robust=True)
    return order


def _for_whom(actor: Actor, order: WorkOrder, who: str) -> tuple[Person | None, str]:
    """Whom the actor acts for on this step (`policy.acting_for`), and the audit purpose
    saying so — from the actor and the order, whichever page or API call it came through."""
    person = policy.acting_for(actor, order, who)
    if person is None:
        return None, ""
    return person, proxy_purpose(Channel.STAFF if who == Who.CALLER else Channel.PROXY, person)


@dataclass
class _Step:
    order: WorkOrder
    actor: Actor
    now: dt.datetime
    note: str
    who: str
    target: str | None = None  # overrides the table's target (decline with offers left)
    entry_assignee: User | None = None
    entry_level: Area | None = None
    fields: set[str] = None  # type: ignore[assignment]
    told: tuple[int, ...] = ()  # extra users to tell (handlers whose offer closed)
    photos: int = 0

    def __post_init__(self) -> None:
        self.fields = set()


def _still_due(order: WorkOrder, rule: StepRule, at: dt.datetime) -> bool:
    """Is the deadline the sweep's step answers still passed (under the row lock)?"""
    when = getattr(order, rule.watches)
    return when is not None and when <= at


def _refusal(actor: Actor, order: WorkOrder, action: str) -> Exception:
    """The clear answer to a step the order's status does not allow."""
    if action == Action.ACCEPT and order.status in (
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
    ):
        if actor is not None and order.assignee_id == actor.pk:
            return IllegalTransition(_("You have already accepted this order."))
        return AlreadyTaken()
    messages: dict[str, str] = {
        Action.RATE: _("Only a resolved order can be rated, and only once."),
        Action.CALLBACK: _("Only a resolved order can be rated, and only once."),
        Action.REOPEN: _("Only a resolved order can be reopened."),
        Action.ACCEPT: _(
            "This order is not waiting for you to accept it (it may have been escalated or withdrawn)."
        ),
        Action.RESOLVE: _("Accept the order before resolving it."),
        Action.CANCEL: _("An order someone is already working on cannot be cancelled."),
    }
    return IllegalTransition(messages.get(action) or IllegalTransition.default_message)


def _close_offers(
    order: WorkOrder, now: dt.datetime, outcome: str, *, except_user: User | None = None
) -> list[int]:
    offers = Offer.objects.filter(order=order, closed_at__isnull=True)
    if except_user is not None:
        offers = offers.exclude(handler=except_user)
    ids = list(offers.values_list("handler_id", flat=True))
    offers.update(closed_at=now, outcome=outcome)
    return ids


def _dispatch(step: _Step, *, errors: dict, handlers: Sequence[User], **_kw: Any) -> None:
    order = step.order
    chosen = list(dict.fromkeys(handlers))
    if not chosen:
        errors.setdefault("handlers", []).append(_("Choose who should do it."))
        return
    if len(chosen) > MAX_OFFERS:
        errors.setdefault("handlers", []).append(
            _("Offer an order to at most %(n)d people at once.") % {"n": MAX_OFFERS}
        )
        return
    refused = [h.pk for h in chosen if not policy.may_handle(h, order)]
    if refused:
        # The ids given, never a name: the dispatcher may not see who these users are.
        for problem in selectors.not_handlers_here(refused).message_dict["handlers"]:
            errors.setdefault("handlers", []).append(problem)
        return
    withdrawn = _close_offers(order, step.now, OfferOutcome.WITHDRAWN)
    for handler in chosen:
        Offer.objects.create(
            order=order,
            handler=handler,
            offered_by=step.actor,
            offered_at=step.now,
        )
    step.entry_assignee = chosen[0] if len(chosen) == 1 else None
    if len(chosen) > 1:
        names = "、".join(str(h) for h in chosen)
        step.note = (step.note + "\n" if step.note else "") + _("Offered to: %(names)s") % {
            "names": names
        }
    step.fields = {"offers"}
    step.told = tuple(sorted(set(withdrawn) - {h.pk for h in chosen}))


def _accept(step: _Step, *, errors: dict, **_kw: Any) -> None:
    order, actor = step.order, step.actor
    mine = Offer.objects.filter(order=order, handler=actor, closed_at__isnull=True).first()
    if mine is None:
        raise IllegalTransition(_("This order is no longer offered to you."))
    mine.closed_at, mine.outcome = step.now, OfferOutcome.ACCEPTED
    mine.save(update_fields=["closed_at", "outcome"])
    step.told = tuple(_close_offers(order, step.now, OfferOutcome.TAKEN))
    order.assignee = actor
    order.accepted_at = step.now
    step.entry_assignee = actor
    step.fields = {"assignee"}


def _decline(step: _Step, *, errors: dict, **_kw: Any) -> None:
    order, actor = step.order, step.actor
    mine = Offer.objects.filter(order=order, handler=actor, closed_at__isnull=True).first()
    if mine is None:
        raise IllegalTransition(_("This order is no longer offered to you."))
    if errors:
        return
    mine.closed_at, mine.outcome, mine.note = step.now, OfferOutcome.DECLINED, step.note[:500]
    mine.save(update_fields=["closed_at", "outcome", "note"])
    if Offer.objects.filter(order=order, closed_at__isnull=True).exists():
        step.target = Status.DISPATCHED  # others may still accept
    step.fields = {"offers"}


def _own_order(step: _Step) -> None:
    if step.order.assignee_id != getattr(step.actor, "pk", None):
        raise Forbidden(_("This order is someone else's."))


def _start(step: _Step, **_kw: Any) -> None:
    _own_order(step)


def _evidence(step: _Step, *, errors: dict, **_kw: Any) -> None:
    _own_order(step)
    if not step.note and not step.photos:
        errors.setdefault("note", []).append(_("Add a photo or a few words."))
    step.fields = {"evidence"}


def _info(step: _Step, *, errors: dict, **_kw: Any) -> None:
    """The resident adds words or photos to their open order."""
    if not step.note and not step.photos:
        errors.setdefault("note", []).append(
            _("Add information: write a few words or choose a photo.")
        )
    step.fields = {"info"}


def _resolve(step: _Step, **_kw: Any) -> None:
    _own_order(step)
    order = step.order
    order.resolution = step.note
    order.resolved_at = step.now
    order.resolved_by = step.actor
    step.entry_assignee = order.assignee
    step.fields = {"resolution"}


def _solve(step: _Step, **_kw: Any) -> None:
    order = step.order
    order.resolution = step.note
    order.resolved_at = step.now
    order.resolved_by = step.actor
    step.fields = {"resolution"}


def _escalate(step: _Step, *, errors: dict, **_kw: Any) -> None:
    order = step.order
    above = level_above(order.level)
    if above is None:
        raise IllegalTransition(
            _("The order is already at the street, the highest level it can go to.")
        )
    if errors:
        return
    step.told = tuple(_close_offers(order, step.now, OfferOutcome.WITHDRAWN))
    if order.assignee_id:
        step.told = (*step.told, order.assignee_id)
    order.assignee = None
    order.accepted_at = None
    order.level = above
    order.level_path = above.path
    order.escalations += 1
    restart_clocks(order, step.now, keep_resolution=True)
    step.entry_level = above
    step.fields = {"level", "assignee"}


def _rate(step: _Step, *, errors: dict, rating: int | None, **_kw: Any) -> None:
    order = step.order
    if rating is None or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors.setdefault("rating", []).append(_("Give 1 to 5 stars."))
        return
    order.rating = rating
    order.rating_comment = step.note[:RATING_COMMENT_MAX]
    if len(step.note) > RATING_COMMENT_MAX:
        errors.setdefault("note", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": RATING_COMMENT_MAX, "count": len(step.note)}
        )
    order.closed_at = step.now
    step.entry_assignee = order.assignee
    step.fields = {"rating", "rating_comment"}


def _callback(step: _Step, *, errors: dict, rating: int | None, **kw: Any) -> None:
    """回访: the rating a resident gave on the phone, recorded by staff who did not handle
    the order, for an order filed on the resident's behalf."""
    order = step.order
    if policy.handled(step.actor, order):
        raise Forbidden(_("You handled this order: a colleague calls the resident back."))
    if order.channel != Channel.STAFF:
        raise IllegalTransition(
            _("A callback is only for an order filed on a resident's behalf; they rate it.")
        )
    _rate(step, errors=errors, rating=rating, **kw)
    order.rating_by_callback = True
    step.fields |= {"rating_by_callback"}


def _reopen(step: _Step, **_kw: Any) -> None:
    order = step.order
    order.reopen_count += 1
    order.assignee = None
    order.accepted_at = None
    order.resolved_at = None
    order.resolved_by = None
    restart_clocks(order, step.now, keep_resolution=False)
    step.fields = {"assignee", "resolution"}


def _cancel(step: _Step, **_kw: Any) -> None:
    step.told = tuple(_close_offers(step.order, step.now, OfferOutcome.WITHDRAWN))
    step.order.closed_at = step.now


def _nothing(step: _Step, **_kw: Any) -> None:
    """The sweep's reminder and breach record the step and change nothing else."""


@dataclass(frozen=True)
class StepRule:
    """What one move does besides the status change `states.ACTIONS` gives it."""

    run: Callable[..., None]  # checks and writes of the step (errors go in `errors`)
    rated: bool = False  # the timeline entry keeps the stars
    clears: tuple[str, ...] = ()  # order fields emptied after the deadlines are set again
    watches: str = "due_at"  # the deadline the sweep's step answers (re-checked when due)


# The moves' own work, one row each (the moves themselves: `states.ACTIONS`).
STEPS: dict[str, StepRule] = {
    Action.DISPATCH: StepRule(_dispatch),
    Action.ACCEPT: StepRule(_accept),
    Action.DECLINE: StepRule(_decline),
    Action.START: StepRule(_start),
    Action.EVIDENCE: StepRule(_evidence),
    Action.INFO: StepRule(_info),
    Action.RESOLVE: StepRule(_resolve),
    Action.SOLVE: StepRule(_solve),
    Action.ESCALATE: StepRule(_escalate),
    Action.RATE: StepRule(_rate, rated=True),
    Action.CALLBACK: StepRule(_callback, rated=True),
    Action.REOPEN: StepRule(_reopen),
    Action.CANCEL: StepRule(_cancel),
    # Once per deadline: a reminder is not sent again for the same deadline …
    Action.REMIND: StepRule(_nothing, clears=("remind_at",), watches="remind_at"),
    # … and at the street, with nowhere higher to go, a breach is recorded once, then
    # left to staff.
    Action.BREACH: StepRule(_nothing, clears=("remind_at", "due_at")),
}
