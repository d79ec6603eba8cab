"""Filing an order (居民点单): who it is for, where, and how it was asked for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.registry.models import Area, AreaKind, Household, Person
from gongzhi.workorders import policy, selectors, sla, uploads
from gongzhi.workorders.fanout import after
from gongzhi.workorders.models import (
    DESCRIPTION_MAX,
    AttachmentKind,
    Category,
    Channel,
    Priority,
    TimelineEntry,
    WorkOrder,
)
from gongzhi.workorders.rules import (
    CONTACT_NAME_MAX,
    PLACE_KINDS,
    category_label,
    handling_level,
    proxy_purpose,
    schedule,
)
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.uploads import StoredFiles, attach

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor


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
    actor: Actor,
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
    if place.kind == AreaKind.BUILDING and place.compound is not None:
        return f"{place.compound.name} {place.name}"
    return place.name


@transaction.atomic
def workorder_create(
    *,
    actor: Actor,
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
                "category": category_label(category),
                "allowed": "、".join(category_label(c) for c in allowed),
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
    rule = sla.deadlines_for(category, priority, filing.place.path)
    if rule is not None:
        order.response_due = sla.add_time(
            now, rule.response_minutes, working_hours=rule.working_hours
        )
        order.resolve_due = sla.add_time(
            now, rule.resolution_minutes, working_hours=rule.working_hours
        )
    schedule(order, now)
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
    with StoredFiles() as files:
        attach(
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
            purpose=proxy_purpose(filing.channel, filing.person),
        )
    transaction.on_commit(lambda: after(order.pk, entry.pk), robust=True)
    return order
