"""Writes to work orders. Every status change goes through `workorder_transition`.

`workorder_transition` locks the order's row, checks that the move exists
(`states.ACTIONS`) and that the actor may make it, writes the order, its timeline entry
and the audit entry in one transaction, and only after commit tells people (notifications)
and other modules (`events`). `actor=None` is the system itself (the SLA sweep, the demo).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity, scope
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notify
from gongzhi.registry.models import Area, AreaKind, Household, Person
from gongzhi.workorders import events, policy, selectors, sla, uploads
from gongzhi.workorders.models import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    Attachment,
    AttachmentKind,
    Category,
    Channel,
    HandlerProfile,
    Offer,
    OfferOutcome,
    Pairing,
    Priority,
    Skill,
    TimelineEntry,
    WorkOrder,
)
from gongzhi.workorders.states import (
    ACTIONS,
    ALLOWED_TRANSITIONS,
    BACK_TO_INBOX,
    DONE,
    Action,
    Status,
    Who,
)

logger = logging.getLogger(__name__)
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


# --- helpers -------------------------------------------------------------------------------------


def _category_label(category: Category) -> str:
    return category.name_en if translation.get_language() == "en" else category.name


def _ancestors(area: Area) -> list[Area]:
    """The node and its ancestors, top first."""
    return list(Area.objects.filter(path__in=selectors.prefixes(area.path)).order_by("path"))


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


def _schedule(order: WorkOrder, now: dt.datetime) -> None:
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


def _restart_clocks(order: WorkOrder, now: dt.datetime, *, keep_resolution: bool) -> None:
    """Fresh deadlines at a new level (escalation) or after the resident reopens."""
    rule = sla.deadlines_for(order.category, order.priority)
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


class _StoredFiles:
    """Photos written before the transaction commits are removed if it does not."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __enter__(self) -> _StoredFiles:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            for path in self.paths:
                uploads.remove_stored(path)


def _attach(
    *,
    order: WorkOrder,
    entry: TimelineEntry,
    photos: Sequence[uploads.CleanPhoto],
    kind: str,
    actor: Any,
    files: _StoredFiles,
) -> list[Attachment]:
    out = []
    for photo in photos:
        path = uploads.store(photo)
        files.paths.append(path)
        out.append(
            Attachment.objects.create(
                order=order,
                entry=entry,
                kind=kind,
                path=path,
                content_type=photo.content_type,
                size=len(photo.data),
                width=photo.width,
                height=photo.height,
                sha256=photo.sha256,
                uploaded_by=actor,
                uploaded_at=entry.at,
            )
        )
    return out


# --- filing an order ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """Who the order is for and where, as worked out from the request."""

    person: Person | None
    household: Household | None
    place: Area
    channel: str
    address: str


def _filing(
    *,
    actor: Any,
    person: Person | None,
    household: Household | None,
    place: Area | None,
    channel: str | None,
    address: str,
) -> Filing:
    """Check the actor may file this order, and for whom. Staff and building heads file on
    a resident's behalf (workorder.request and register.view there); a resident files for
    their own record or for someone they are a confirmed proxy of; a place without a
    person needs workorder.request there."""
    acting = policy.acting_person_ids(actor) if actor is not None else frozenset()
    own_person_id = getattr(actor, "person_id", None) if actor is not None else None

    def on_behalf(path: str) -> bool:
        return access.can(actor, Perm.WORKORDER_REQUEST, path) and access.can(
            actor, Perm.REGISTER_VIEW, path
        )

    if person is None and household is None and place is None and own_person_id:
        person = Person.objects.select_related("household__building").get(pk=own_person_id)
    if person is not None:
        household = person.household
        if actor is None:
            how = channel or Channel.STAFF
        elif person.pk in acting:
            how = Channel.SELF if person.pk == own_person_id else Channel.PROXY
        elif on_behalf(person.area_path):
            how = Channel.STAFF
        else:
            raise ValidationError({"person": [_("No such person in your area.")]})
        return Filing(person, household, household.building, channel or how, household.address)
    if household is not None:
        own_households = set(
            Person.objects.filter(pk__in=sorted(acting)).values_list("household_id", flat=True)
        )
        if actor is None:
            how = channel or Channel.STAFF
        elif household.pk in own_households:
            how = Channel.SELF
        elif on_behalf(household.area_path):
            how = Channel.STAFF
        else:
            raise ValidationError({"household": [_("No such household in your area.")]})
        return Filing(None, household, household.building, channel or how, household.address)
    if place is None:
        raise ValidationError(
            {"place": [_("Say where: choose a household, a building or a grid.")]}
        )
    if place.kind not in PLACE_KINDS:
        raise ValidationError({"place": [_("Choose a building, grid or community.")]})
    if actor is not None and not access.can(actor, Perm.WORKORDER_REQUEST, place.path):
        raise ValidationError({"place": [_("No such place in your area.")]})
    how = channel or (
        Channel.STAFF if actor is not None and on_behalf(place.path) else Channel.SELF
    )
    return Filing(None, None, place, how, address or _place_label(place))


def _place_label(place: Area) -> str:
    if place.kind == AreaKind.BUILDING and place.compound_id:
        return f"{place.compound.name} {place.name}"
    return place.name


@transaction.atomic
def workorder_create(
    *,
    actor: Any,
    category: Category,
    description: str,
    person: Person | None = None,
    household: Household | None = None,
    place: Area | None = None,
    priority: str = "",
    anonymous: bool = False,
    preferred_at: dt.datetime | None = None,
    photos: Sequence[Any] = (),
    channel: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    lat: Any = None,
    lon: Any = None,
) -> WorkOrder:
    """A resident asks (居民点单): the order waits in the inbox of its grid."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    description = text_field(errors, "description", description, DESCRIPTION_MAX, required=True)
    contact_name = text_field(errors, "contact_name", contact_name, CONTACT_NAME_MAX)
    address = text_field(errors, "address", address, 200)
    if not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer offered."))
    priority = priority or category.default_priority
    if priority not in Priority.values:
        errors.setdefault("priority", []).append(_("Choose a priority."))
    if anonymous and not category.allows_anonymous:
        allowed = [c for c in selectors.category_list() if c.allows_anonymous]
        errors.setdefault("anonymous", []).append(
            _("“%(category)s” cannot be anonymous; these can: %(allowed)s.")
            % {
                "category": _category_label(category),
                "allowed": "、".join(_category_label(c) for c in allowed),
            }
        )
    phone = ""
    if contact_phone:
        try:
            phone = identity.normalize_phone(contact_phone)
        except ValidationError as exc:
            errors.setdefault("contact_phone", []).extend(exc.messages)
    now = clock.now()
    if preferred_at is not None and preferred_at < now - dt.timedelta(days=1):
        errors.setdefault("preferred_at", []).append(_("Choose a time from today on."))
    for name, value, bound in (("lat", lat, 90), ("lon", lon, 180)):
        if value is not None and not -bound <= float(value) <= bound:
            errors.setdefault(name, []).append(_("Out of range."))
    try:
        filing = _filing(
            actor=actor,
            person=person,
            household=household,
            place=place,
            channel=channel,
            address=address,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        filing = None
    cleaned: list[uploads.CleanPhoto] = []
    if photos:
        try:
            cleaned = uploads.clean_photos(list(photos))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    raise_errors(errors)
    assert filing is not None
    level, grid = handling_level(filing.place)
    order = WorkOrder(
        category=category,
        priority=priority,
        status=Status.NEW,
        description=description,
        anonymous=anonymous,
        requester=actor,
        person=filing.person,
        household=filing.household,
        channel=filing.channel,
        contact_name=contact_name or (filing.person.name if filing.person else ""),
        contact_phone=phone,
        place=filing.place,
        area_path=filing.place.path,
        address=address or filing.address,
        lat=lat,
        lon=lon,
        grid=grid,
        level=level,
        level_path=level.path,
        submitted_at=now,
        preferred_at=preferred_at,
    )
    rule = sla.deadlines_for(category, priority)
    if rule is not None:
        order.response_due = sla.add_time(
            now, rule.response_minutes, working_hours=rule.working_hours
        )
        order.resolve_due = sla.add_time(
            now, rule.resolution_minutes, working_hours=rule.working_hours
        )
    _schedule(order, now)
    order.save()
    entry = TimelineEntry.objects.create(
        order=order,
        at=now,
        actor=actor,
        on_behalf_of=filing.person if filing.channel in (Channel.PROXY, Channel.STAFF) else None,
        action=Action.CREATE,
        to_status=Status.NEW,
        level=level,
    )
    with _StoredFiles() as files:
        _attach(
            order=order,
            entry=entry,
            photos=cleaned,
            kind=AttachmentKind.REQUEST,
            actor=actor,
            files=files,
        )
        audit_record(
            actor=actor,
            action="workorder.create",
            obj=order,
            area_path=order.area_path,
            fields=["category", "description", "place", "channel"]
            + (["photos"] if cleaned else []),
            purpose=_proxy_purpose(filing.channel, filing.person),
        )
    transaction.on_commit(lambda: _after(order.pk, entry.pk), robust=True)
    return order


def _proxy_purpose(channel: str, person: Person | None) -> str:
    if person is None:
        return ""
    if channel == Channel.PROXY:
        return f"proxy for person {person.pk}"
    if channel == Channel.STAFF:
        return f"on behalf of person {person.pk}"
    return ""


# --- the one transition service ---------------------------------------------------------------


def workorder_transition(
    *,
    actor: Any,
    order: WorkOrder | int,
    action: str,
    note: str = "",
    handlers: Sequence[Any] = (),
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
        if only_if_due is not None and not _still_due(order, action, only_if_due):
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
        handler = _HANDLERS[action]
        handler(step, errors=errors, handlers=handlers, rating=rating)
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
        _schedule(order, now)
        if action in (Action.REMIND, Action.BREACH):
            order.remind_at = None  # once per deadline
        if action == Action.BREACH:
            order.due_at = None  # nowhere higher to go: recorded once, then left to staff
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
            rating=rating if action in (Action.RATE, Action.CALLBACK) else None,
        )
        with _StoredFiles() as files:
            _attach(
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
        transaction.on_commit(lambda: _after(order.pk, entry.pk, step.told), robust=True)
    return order


def _for_whom(actor: Any, order: WorkOrder, who: str) -> tuple[Person | None, str]:
    """Whom the actor acts for on this step (`policy.acting_for`), and the audit purpose
    saying so — from the actor and the order, whichever page or API call it came through."""
    person = policy.acting_for(actor, order, who)
    if person is None:
        return None, ""
    return person, _proxy_purpose(Channel.STAFF if who == Who.CALLER else Channel.PROXY, person)


@dataclass
class _Step:
    order: WorkOrder
    actor: Any
    now: dt.datetime
    note: str
    who: str
    target: str | None = None  # overrides the table's target (decline with offers left)
    entry_assignee: Any = None
    entry_level: Area | None = None
    fields: set[str] = None  # type: ignore[assignment]
    told: tuple[int, ...] = ()  # extra users to tell (handlers whose offer closed)
    photos: int = 0

    def __post_init__(self) -> None:
        self.fields = set()


def _still_due(order: WorkOrder, action: str, at: dt.datetime) -> bool:
    if action == Action.REMIND:
        return order.remind_at is not None and order.remind_at <= at
    return order.due_at is not None and order.due_at <= at


def _refusal(actor: Any, order: WorkOrder, action: str) -> Exception:
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
    messages = {
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
    order: WorkOrder, now: dt.datetime, outcome: str, *, except_user: Any = None
) -> list[int]:
    offers = Offer.objects.filter(order=order, closed_at__isnull=True)
    if except_user is not None:
        offers = offers.exclude(handler=except_user)
    ids = list(offers.values_list("handler_id", flat=True))
    offers.update(closed_at=now, outcome=outcome)
    return ids


def _dispatch(step: _Step, *, errors: dict, handlers: Sequence[Any], **_kw: Any) -> None:
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
    _restart_clocks(order, step.now, keep_resolution=True)
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
    _restart_clocks(order, step.now, keep_resolution=False)
    step.fields = {"assignee", "resolution"}


def _cancel(step: _Step, **_kw: Any) -> None:
    step.told = tuple(_close_offers(step.order, step.now, OfferOutcome.WITHDRAWN))
    step.order.closed_at = step.now


def _remind(step: _Step, **_kw: Any) -> None:
    pass


def _breach(step: _Step, **_kw: Any) -> None:
    pass


_HANDLERS = {
    Action.DISPATCH: _dispatch,
    Action.ACCEPT: _accept,
    Action.DECLINE: _decline,
    Action.START: _start,
    Action.EVIDENCE: _evidence,
    Action.RESOLVE: _resolve,
    Action.SOLVE: _solve,
    Action.ESCALATE: _escalate,
    Action.RATE: _rate,
    Action.CALLBACK: _callback,
    Action.REOPEN: _reopen,
    Action.CANCEL: _cancel,
    Action.REMIND: _remind,
    Action.BREACH: _breach,
}


# --- after commit: tell people, publish events ----------------------------------------------------


def _notify(**kwargs: Any) -> None:
    if kwargs.get("recipients"):
        notify(**kwargs)


_TITLES = {
    Action.CREATE: gettext_lazy("New request %(number)s: %(category)s"),
    Action.DISPATCH: gettext_lazy("Order %(number)s (%(category)s) is offered to you"),
    Action.ACCEPT: gettext_lazy("Your request %(number)s was accepted"),
    Action.START: gettext_lazy("Work on your request %(number)s has started"),
    Action.RESOLVE: gettext_lazy("Your request %(number)s is resolved: please rate it"),
    Action.SOLVE: gettext_lazy("Your request %(number)s is resolved: please rate it"),
    Action.ESCALATE: gettext_lazy("Order %(number)s was escalated to %(level)s"),
    Action.DECLINE: gettext_lazy("Order %(number)s was declined and waits for dispatch"),
    Action.REMIND: gettext_lazy("Order %(number)s is close to its deadline"),
    Action.BREACH: gettext_lazy("Order %(number)s missed its deadline at the street"),
    Action.RATE: gettext_lazy("Order %(number)s was rated %(rating)s stars"),
    Action.CALLBACK: gettext_lazy(
        "Order %(number)s was rated %(rating)s stars by the resident on a callback"
    ),
    Action.REOPEN: gettext_lazy("Order %(number)s was reopened by the resident"),
    Action.CANCEL: gettext_lazy("Order %(number)s was cancelled"),
}
_RESIDENT_STEPS = {
    Action.CREATE: gettext_lazy("We received your request %(number)s."),
    Action.DISPATCH: gettext_lazy("Your request %(number)s was passed to a volunteer."),
    Action.ESCALATE: gettext_lazy("Your request %(number)s was passed up to %(level)s."),
    Action.CANCEL: gettext_lazy("Your request %(number)s was cancelled."),
}


def _after(order_id: int, entry_id: int, told: Iterable[int] = ()) -> None:
    """Side effects of a committed step: notifications, then events for other modules."""
    from django.conf import settings
    from django.utils import translation

    entry = TimelineEntry.objects.select_related("actor", "level").get(pk=entry_id)
    order = WorkOrder.objects.select_related("category", "level").get(pk=order_id)
    with translation.override(settings.LANGUAGE_CODE):
        _tell(order, entry, told)
    events.publish(entry, order)


def _tell(order: WorkOrder, entry: TimelineEntry, told: Iterable[int]) -> None:
    action = entry.action
    params = {
        "number": order.number,
        "category": order.category.name,
        "level": order.level.name,
        "rating": entry.rating or "",
    }
    staff_url = reverse("workorders:detail", args=[order.pk])
    try:
        resident_url = reverse("workorders_resident:detail", args=[order.pk])
    except Exception:  # the residents' pages are not mounted
        resident_url = ""
    title = str(_TITLES.get(action, "")) % params if action in _TITLES else ""
    body = order.description[:140]
    common = {"actor": entry.actor, "obj": order}
    actor_id = entry.actor_id
    residents = (
        []
        if order.channel in (Channel.OPEN311, Channel.API)
        else [i for i in selectors.requester_ids(order) if i != actor_id]
    )
    dispatchers = [i for i in selectors.dispatcher_ids(order.level) if i != actor_id]

    def send(ids: Iterable[int], kind: str, text: str, url: str, *, sms: bool = False) -> None:
        _notify(
            recipients=sorted({i for i in ids if i}),
            kind=kind,
            title=text,
            body=body,
            url=url,
            sms=sms,
            # The description may name people or places: it stays in the inbox, out of
            # the SMS outbox and the provider (the title has the number and the step).
            sms_body="",
            **common,
        )

    kind = f"workorder.{action}"
    if action == Action.CREATE:
        send(dispatchers, kind, title, staff_url)
        send(residents, kind, str(_RESIDENT_STEPS[action]) % params, resident_url)
    elif action == Action.DISPATCH:
        handlers = [o.handler_id for o in selectors.open_offers(order)]
        send(handlers, kind, title, staff_url, sms=True)
        send(residents, kind, str(_RESIDENT_STEPS[action]) % params, resident_url)
        send(told, "workorder.withdrawn", _withdrawn(order), staff_url)
    elif action in (Action.ACCEPT, Action.START, Action.RESOLVE, Action.SOLVE):
        send(residents, kind, title, resident_url, sms=action in (Action.RESOLVE, Action.SOLVE))
        if action == Action.ACCEPT:
            send(told, "workorder.taken", str(AlreadyTaken.default_message), staff_url)
    elif action == Action.ESCALATE:
        send(dispatchers, kind, title, staff_url)
        send(residents, kind, str(_RESIDENT_STEPS[action]) % params, resident_url)
        send(told, "workorder.withdrawn", _withdrawn(order), staff_url)
    elif action in (Action.DECLINE, Action.REOPEN, Action.BREACH):
        send(dispatchers, kind, title, staff_url)
    elif action == Action.REMIND:
        if order.status in (Status.ACCEPTED, Status.IN_PROGRESS):
            send([order.assignee_id], kind, title, staff_url, sms=True)
        elif order.status == Status.DISPATCHED:
            send([o.handler_id for o in selectors.open_offers(order)], kind, title, staff_url)
            send(dispatchers, kind, title, staff_url)
        else:
            send(dispatchers, kind, title, staff_url)
    elif action in (Action.RATE, Action.CALLBACK):
        send([order.assignee_id or order.resolved_by_id], kind, title, staff_url)
    elif action == Action.CANCEL:
        send(told, "workorder.withdrawn", _withdrawn(order), staff_url)
        send(residents, kind, str(_RESIDENT_STEPS[action]) % params, resident_url)
        send(dispatchers, kind, title, staff_url)


def _withdrawn(order: WorkOrder) -> str:
    return _("Order %(number)s is no longer offered to you.") % {"number": order.number}


# --- several orders at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    failed: dict[int, str]  # order id -> why


BULK_ACTIONS = (Action.DISPATCH, Action.ESCALATE, Action.SOLVE, Action.CANCEL)
BULK_MAX = 100


def workorder_bulk(
    *,
    actor: Any,
    order_ids: Sequence[int],
    action: str,
    note: str = "",
    handlers: Sequence[Any] = (),
) -> BulkResult:
    """The same step on several orders of the inbox, each in its own transaction: one
    order that cannot move does not stop the others; each failure says why."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [_("This step cannot be done in bulk.")]})
    ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not ids:
        raise ValidationError({"orders": [_("Choose at least one order.")]})
    if len(ids) > BULK_MAX:
        raise ValidationError({"orders": [_("At most %(n)d orders at once.") % {"n": BULK_MAX}]})
    done, failed = [], {}
    for order_id in ids:
        try:
            order = selectors.workorder_get_for(user=actor, order_id=order_id)
            workorder_transition(
                actor=actor, order=order, action=action, note=note, handlers=handlers
            )
        except NotFound as exc:
            failed[order_id] = str(exc.message)
        except (Forbidden, Conflict) as exc:
            failed[order_id] = str(exc.message)
        except ValidationError as exc:
            failed[order_id] = " ".join(str(m) for m in exc.messages)
        else:
            done.append(order_id)
    return BulkResult(done, failed)


# --- the SLA sweep --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    escalated: int
    breached: int
    reminded: int
    errors: int


SWEEP_BATCH = 1000


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 20_000) -> SweepReport:
    """Escalate every order past its deadline one level up (record a breach at the street,
    where there is no higher level), and remind before deadlines. Safe to run twice or in
    two workers at once: each order is re-checked under its row lock."""
    now = now or clock.now()
    escalated = breached = reminded = errors = 0
    due = list(
        WorkOrder.objects.filter(due_at__lte=now)
        .exclude(status__in=sorted(DONE))  # done orders have no deadline; belt and braces
        .order_by("due_at", "pk")
        .values_list("pk", "level__kind")[:limit]
    )
    for order_id, level_kind in due:
        action = Action.BREACH if level_kind == AreaKind.STREET else Action.ESCALATE
        note = (
            _("Deadline passed (SLA): escalated automatically.")
            if action == Action.ESCALATE
            else _("Deadline passed (SLA) at the highest level.")
        )
        try:
            workorder_transition(
                actor=None, order=order_id, action=action, note=note, only_if_due=now
            )
        except NothingDue:
            continue
        except Exception:  # one broken order must not stop the sweep
            logger.exception("SLA sweep failed on order %s", order_id)
            errors += 1
        else:
            if action == Action.ESCALATE:
                escalated += 1
            else:
                breached += 1
    remind = list(
        WorkOrder.objects.filter(remind_at__lte=now)
        .exclude(status__in=sorted(DONE))
        .order_by("remind_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for order_id in remind:
        try:
            workorder_transition(actor=None, order=order_id, action=Action.REMIND, only_if_due=now)
        except NothingDue:
            continue
        except Exception:  # one broken order must not stop the sweep
            logger.exception("SLA reminder failed on order %s", order_id)
            errors += 1
        else:
            reminded += 1
    return SweepReport(escalated, breached, reminded, errors)


# --- exports ------------------------------------------------------------------------------------


def workorder_export_record(
    *, actor: Any, what: str, fmt: str, filters: dict[str, Any] | None = None
) -> None:
    """Audit a download of a work-order list (as shown to the viewer, masked): who, which
    list, which format and filters — like any bulk read of residents' requests."""
    shown = ", ".join(f"{k}={v}" for k, v in (filters or {}).items() if v not in (None, ""))
    audit_record(
        actor=actor,
        action="workorders.export",
        object_type="workorders.export",
        fields=[what],
        purpose=f"{what} as {fmt}" + (f" ({shown})" if shown else ""),
    )


# --- who serves whom --------------------------------------------------------------------------


@transaction.atomic
def handler_profile_set(
    *, actor: Any, user: Any, skills: Iterable[str], available: bool = True, note: str = ""
) -> HandlerProfile:
    """A volunteer's skills and availability: set by themselves or by staff of their area."""
    if actor is not None and actor.pk != user.pk:
        areas = [m.area.path for m in selectors.handler_memberships_of(user)]
        if not any(access.can(actor, Perm.WORKORDER_DISPATCH, path) for path in areas):
            raise Forbidden()
    errors: dict[str, list[str]] = {}
    codes = list(dict.fromkeys(skills))
    unknown = [c for c in codes if c not in Skill.values]
    if unknown:
        errors.setdefault("skills", []).append(
            _("Unknown skill: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    note = text_field(errors, "note", note, 200)
    raise_errors(errors)
    profile, _created = HandlerProfile.objects.update_or_create(
        user=user, defaults={"skills": codes, "available": available, "note": note}
    )
    audit_record(
        actor=actor, action="workorder.handler_profile", obj=profile, fields=["skills", "available"]
    )
    return profile


@transaction.atomic
def pairing_set(*, actor: Any, handler: Any, households: Sequence[Household]) -> list[Pairing]:
    """包干到户: the households `handler` serves (Yuling's standard is 8). Replaces the
    handler's pairings within the actor's area; needs workorder.dispatch at each one."""
    errors: dict[str, list[str]] = {}
    for household in households:
        if actor is not None and not access.can(
            actor, Perm.WORKORDER_DISPATCH, household.area_path
        ):
            raise NotFound()
        if not access.can(handler, Perm.WORKORDER_HANDLE, household.area_path):
            # Ids, not the handler's name or the address: errors name no one.
            errors.setdefault("households", []).append(
                _("User %(user)s is not a volunteer or party member of household %(id)s's area.")
                % {"user": handler.pk, "id": household.pk}
            )
    raise_errors(errors)
    today = clock.today()
    mine = Pairing.objects.filter(handler=handler, is_active=True)
    if actor is not None:
        mine = mine.filter(
            scope.q_within("area_path", access.paths(actor, Perm.WORKORDER_DISPATCH))
        )
    keep = {h.pk for h in households}
    mine.exclude(household_id__in=keep).update(is_active=False)
    out = []
    for household in households:
        pairing, _created = Pairing.objects.update_or_create(
            handler=handler,
            household=household,
            defaults={"is_active": True, "area_path": household.area_path, "since": today},
        )
        out.append(pairing)
    audit_record(
        actor=actor,
        action="workorder.pairing",
        object_type="accounts.user",
        object_id=handler.pk,
        object_label=str(handler),
        fields=["households"],
    )
    return out
