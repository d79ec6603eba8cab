"""Arrival declarations (返乡/外来人员登记): writes.

A community's QR link carries a signed key (`community_key`): stable, needs no table, and
cannot be made up for another community. Whoever opens it may declare; a phone code
confirms the number (`declare_code_request`), unless the number is the signed-in user's
own or, for a proxy, the register's number of the parent they act for.

A declaration is matched to the community's register on blind indexes (ID number first,
then name + phone) and becomes a watch-list entry routed to the grid worker, or joins the
person's open entry (a second declaration, or an upstream list's): merged, not doubled.
A declaration that matches nobody waits for the grid worker of the chosen building, who
links it to a person, registers the person, or rejects it (`declaration_confirm`).

Dates: the arrival must be within the last year (`ARRIVAL_MAX_AGE` days), not in the
future, and (a plain sanity rule) not before 1900.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.acting import proxy_purpose
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.services import normalize_mobile, sms_code_check, sms_code_issue
from gongzhi.accounts.services import phone_index as account_phone_index
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity, scope
from gongzhi.core.errors import IllegalTransition, NotFound
from gongzhi.core.fields import reveal
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.health import selectors, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import (
    Declaration,
    DeclarationStatus,
    TravelMode,
    WatchEntry,
    WatchEvent,
)
from gongzhi.health.states import OPEN_STATUSES, EntryStatus, Outcome, Tier
from gongzhi.notifications.services import sms_send
from gongzhi.registry import rows as register_rows
from gongzhi.registry import services as registry_services
from gongzhi.registry.choices import HouseholdStatus
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Household, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

KEY_SALT = "gongzhi.health.declare"
CODE_PURPOSE = "declare"  # of the SMS code (accounts.SmsCode.purpose, at most 16 characters)
ORIGIN_MAX = 100
ROOM_MAX = register_rows.ROOM_MAX
NOTE_MAX = 500
ARRIVAL_MAX_AGE = 365  # days: older arrivals are not a health matter any more
EARLIEST = dt.date(1900, 1, 1)
NO_SYMPTOMS = "none"
SYMPTOMS: dict[str, Any] = {
    "fever": gettext_lazy("Fever (37.3 °C or more)"),
    "cough": gettext_lazy("Cough"),
    "sore_throat": gettext_lazy("Sore throat"),
    "fatigue": gettext_lazy("Fatigue"),
    "smell_taste": gettext_lazy("Loss of smell or taste"),
    "diarrhoea": gettext_lazy("Diarrhoea"),
    NO_SYMPTOMS: gettext_lazy("None of these"),
}
EVENT_DECLARED = "declared"  # a WatchEvent: a declaration joined (or opened) the entry
EVENT_CONFIRMED = "confirmed"  # the grid worker linked or registered the declared person
EVENT_LISTED = "listed"  # an upstream list's row about the person joined the entry


# --- the community's link ------------------------------------------------------------------------


def community_key(community: Area) -> str:
    """The key in a community's declaration link: its id, signed (stable, unforgeable)."""
    return signing.Signer(salt=KEY_SALT).sign(str(community.pk))


def community_for_key(key: str) -> Area:
    """The open community a link's key names; NotFound for a forged or unknown key."""
    try:
        raw = signing.Signer(salt=KEY_SALT).unsign(key or "")
    except signing.BadSignature:
        raise NotFound() from None
    community = Area.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    if community is None or community.kind != AreaKind.COMMUNITY or community.is_closed:
        raise NotFound()
    return community


def building_choices(community: Area) -> list[Area]:
    """The community's open buildings, in tree order (the form's address choice)."""
    buildings = Area.objects.filter(kind=AreaKind.BUILDING).within(community.path)
    return [b for b in buildings.select_related("compound").order_by("path") if not b.is_closed]


def building_label(building: Area) -> str:
    compound = building.compound.name if building.compound is not None else ""
    return f"{compound} {building.name}".strip()


# --- the phone code ------------------------------------------------------------------------------


def code_text(code: str) -> str:
    minutes = max(1, int(getattr(settings, "GONGZHI_SMS_CODE_TTL_SECONDS", 300)) // 60)
    signature = getattr(settings, "GONGZHI_SMS_SIGNATURE", "【共治】")
    return signature + _(
        "Your code for the arrival declaration is %(code)s, valid for %(minutes)d minutes. "
        "Never tell it to anyone."
    ) % {"code": code, "minutes": minutes}


@transaction.atomic
def declare_code_request(*, phone: str, ip: str = "") -> str:
    """Text a code confirming `phone` for a declaration; the normalised number. Rate limits
    (per number, per client address) are `sms_code_issue`'s: a ValidationError on `phone`."""
    _row, code, normalized = sms_code_issue(phone=phone, ip=ip, purpose=CODE_PURPOSE)
    sms_send(phone=normalized, text=code_text(code), kind="health.declare_code", sensitive=True)
    return normalized


# --- checking a declaration ----------------------------------------------------------------------


@dataclass
class Cleaned:
    name: str
    id_number: str
    id_index: str
    birth_date: dt.date
    phone: str
    phone_index: str
    origin: str
    arrived_on: dt.date
    travel_mode: str
    building: Area
    room: str
    symptoms: list[str]


def _arrival(errors: dict[str, list[str]], value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        errors.setdefault("arrived_on", []).append(_("Enter the arrival date as YYYY-MM-DD."))
        return None
    today = clock.today()
    if value > today:
        errors.setdefault("arrived_on", []).append(_("The arrival date cannot be in the future."))
    elif value < EARLIEST:
        errors.setdefault("arrived_on", []).append(_("The arrival date cannot be before 1900."))
    elif value < today - dt.timedelta(days=ARRIVAL_MAX_AGE):
        errors.setdefault("arrived_on", []).append(
            _("Declare arrivals of the last %(days)d days only; this one is older.")
            % {"days": ARRIVAL_MAX_AGE}
        )
    return value


def declaration_check(*, community: Area, data: dict[str, Any]) -> Cleaned:
    """Every field of a declaration checked at once (ValidationError naming each field)."""
    errors: dict[str, list[str]] = {}
    name = ""
    try:
        name = identity.normalize_name(str(data.get("name") or ""))
    except ValidationError as exc:
        errors.setdefault("name", []).extend(exc.messages)
    rid = None
    try:
        rid = identity.parse_resident_id(str(data.get("id_number") or ""))
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    phone = ""
    try:
        phone = normalize_mobile(str(data.get("phone") or ""))
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    origin = text_field(errors, "origin", data.get("origin"), ORIGIN_MAX, required=True)
    arrived_on = _arrival(errors, data.get("arrived_on"))
    travel_mode = str(data.get("travel_mode") or "")
    if travel_mode not in TravelMode.values:
        errors.setdefault("travel_mode", []).append(_("Choose how you travelled."))
    building = None
    raw_building = data.get("building")
    if isinstance(raw_building, Area):
        raw_building = raw_building.pk
    try:
        building_id = int(raw_building) if raw_building not in (None, "") else None
    except (TypeError, ValueError):
        building_id = -1
    if building_id is None:
        errors.setdefault("building", []).append(_("Choose the building you stay in."))
    else:
        building = next((b for b in building_choices(community) if b.pk == building_id), None)
        if building is None:
            errors.setdefault("building", []).append(
                _("This building is not in this community; choose one from the list.")
            )
    room = text_field(errors, "room", data.get("room"), ROOM_MAX, required=True, one_line=True)
    symptoms = [str(s) for s in (data.get("symptoms") or [])]
    unknown = [s for s in symptoms if s not in SYMPTOMS]
    if unknown or not symptoms:
        errors.setdefault("symptoms", []).append(
            _("Tick each symptom you have, or “None of these”.")
        )
    elif NO_SYMPTOMS in symptoms and len(symptoms) > 1:
        errors.setdefault("symptoms", []).append(
            _("“None of these” cannot go with a symptom; tick one or the other.")
        )
    raise_errors(errors)
    assert rid is not None and arrived_on is not None and building is not None
    return Cleaned(
        name=name,
        id_number=rid.number,
        id_index=register_rows.id_number_index(rid.number),
        birth_date=rid.birth_date,
        phone=phone,
        phone_index=register_rows.phone_index(phone),
        origin=origin,
        arrived_on=arrived_on,
        travel_mode=travel_mode,
        building=building,
        room=room,
        symptoms=sorted(set(symptoms), key=list(SYMPTOMS).index),
    )


def phone_is_known(*, actor: Any, phone: str, person: Person | None = None) -> bool:
    """Is `phone` (normalised) already proven: the signed-in user's own number, or the
    register's number of the person a proxy declares for? Then no code is needed."""
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    if signed_in and actor.phone_index and actor.phone_index == account_phone_index(phone):
        return True
    return bool(
        person is not None
        and person.phone_index
        and person.phone_index == register_rows.phone_index(phone)
    )


# --- matching and the watch list -----------------------------------------------------------------


def match_person(*, community: Area, id_index: str, name: str, phone_idx: str) -> tuple:
    """(person, tier): the one present person of the community with this ID number, else
    the one with this name and phone; (None, "none") when none or several."""
    people = Person.objects.within(community.path).filter(residency__in=PRESENT_RESIDENCY)
    found = list(people.filter(id_number_index=id_index)[:2])
    if len(found) == 1:
        return found[0], Tier.ID_NUMBER
    if phone_idx:
        found = list(people.filter(name=name, phone_index=phone_idx)[:2])
        if len(found) == 1:
            return found[0], Tier.NAME_PHONE
    return None, Tier.NOT_IN_REGISTER


def _place(entry: WatchEntry, path: str) -> None:
    """Follow the entry up where `path` (a building's) lies: its grid and grid worker."""
    entry.area_path = path
    grid_path = path[: -scope.STEP]
    entry.grid = Area.objects.filter(path=grid_path, kind=AreaKind.GRID).first()
    entry.assignee = selectors.responsible_grid_workers([path])[path]


def open_entry_for(
    *, person: Person | None, id_index: str, community: Area, exclude: int | None = None
) -> WatchEntry | None:
    """The open (not merged) entry of the person, locked; for one not yet in the register,
    an open entry of the community with the same ID number and no person."""
    entries = WatchEntry.objects.select_for_update(of=("self",)).filter(
        status__in=OPEN_STATUSES, merged_into__isnull=True
    )
    if person is not None:
        entries = entries.filter(person=person)
    elif id_index:
        entries = entries.filter(person__isnull=True, id_number_index=id_index).within(
            community.path
        )
    else:
        return None
    if exclude is not None:
        entries = entries.exclude(pk=exclude)
    return entries.order_by("created_at", "pk").first()


def _event(entry: WatchEntry, action: str, actor: Any, **data: Any) -> WatchEvent:
    return WatchEvent.objects.create(
        entry=entry,
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=entry.status,
        to_status=entry.status,
        data=data,
    )


def _entry_for(declaration: Declaration, clean: Cleaned, tier: str) -> WatchEntry:
    entry = WatchEntry(
        upstream_list=None,
        row_number=None,
        name=clean.name,
        id_number=clean.id_number,
        id_number_index=clean.id_index,
        phone=clean.phone,
        phone_index=clean.phone_index,
        birth_date=clean.birth_date,
        origin=clean.origin,
        arrival_date=clean.arrived_on,
        source=_("Arrival declaration"),
        address=f"{building_label(clean.building)} {clean.room}"[:200],
        tier=tier,
        person=declaration.person,
    )
    _place(entry, declaration.area_path)
    entry.save()
    return entry


def _inputs_changed(person_ids: list[int]) -> None:
    ids = [pid for pid in person_ids if pid]
    if ids:
        transaction.on_commit(
            lambda: health_inputs_changed.send(sender=Declaration, person_ids=ids)
        )


# --- declaring -----------------------------------------------------------------------------------


def declaration_submit(
    *,
    community: Area,
    data: dict[str, Any],
    actor: Actor = None,
    for_person_id: Any = None,
    code: str = "",
    ip: str = "",
) -> Declaration:
    """Check, confirm the number, then write the declaration and its watch-list entry.

    `actor`: the signed-in user, or None (anonymous). `for_person_id`: the parent a proxy
    declares for (the user must hold an active proxy link to them, and the ID number must
    be theirs). `code`: the SMS code confirming `data["phone"]` (not needed for a number
    `phone_is_known`). Nothing is written unless every check passes; the code is spent
    only once the fields are good."""
    errors: dict[str, list[str]] = {}
    clean: Cleaned | None = None
    try:
        clean = declaration_check(community=community, data=data)
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            errors.setdefault(field, []).extend(problems)
    link = None
    if for_person_id not in (None, ""):
        link = proxy_link_for(actor, for_person_id) if actor is not None else None
        if link is None:
            errors.setdefault("for_person", []).append(
                _("You do not act for this person; declare for yourself, or ask to act for them.")
            )
        elif clean is not None and link.person.id_number_index != clean.id_index:
            errors.setdefault("id_number", []).append(
                _("This is not the ID number of the person you act for.")
            )
    known = clean is not None and phone_is_known(
        actor=actor, phone=clean.phone, person=link.person if link is not None else None
    )
    if clean is not None and not known and not "".join((code or "").split()):
        errors.setdefault("code", []).append(
            _("Confirm this number: ask for a code by SMS and enter it.")
        )
    raise_errors(errors)
    assert clean is not None
    if not known:
        sms_code_check(phone=clean.phone, code=code, ip=ip, purpose=CODE_PURPOSE)
    return _declaration_write(community=community, clean=clean, actor=actor, link=link)


def declaration_record_confirmed(*, community: Area, data: dict[str, Any]) -> Declaration:
    """A declaration whose number was confirmed elsewhere (the demo, a paper form the
    community typed in): checked like any other, by the system, no code."""
    clean = declaration_check(community=community, data=data)
    return _declaration_write(community=community, clean=clean, actor=None, link=None)


@transaction.atomic
def _declaration_write(*, community: Area, clean: Cleaned, actor: Actor, link: Any) -> Declaration:
    now = clock.now()
    person, tier = match_person(
        community=community, id_index=clean.id_index, name=clean.name, phone_idx=clean.phone_index
    )
    declaration = Declaration(
        community=community,
        area_path=person.area_path if person is not None else clean.building.path,
        building=clean.building,
        name=clean.name,
        id_number=clean.id_number,
        id_number_index=clean.id_index,
        phone=clean.phone,
        phone_index=clean.phone_index,
        origin=clean.origin,
        arrived_on=clean.arrived_on,
        travel_mode=clean.travel_mode,
        address=clean.room,
        symptoms=clean.symptoms,
        person=person,
        status=DeclarationStatus.MATCHED
        if person is not None
        else DeclarationStatus.PENDING_PERSON,
        declared_by=actor if getattr(actor, "pk", None) else None,
        by_proxy=link is not None,
        retain_until=sunset.retain_until("declaration", now),
    )
    declaration.save()
    entry = open_entry_for(person=person, id_index=clean.id_index, community=community)
    merged = entry is not None
    if entry is None:
        entry = _entry_for(declaration, clean, tier)
    declaration.entry = entry
    declaration.save(update_fields=["entry", "updated_at"])
    _event(entry, EVENT_DECLARED, actor, declaration=declaration.pk, merged=merged)
    audit_record(
        actor=actor,
        action="declaration.submit",
        obj=declaration,
        area_path=declaration.area_path,
        fields=["name", "id_number", "phone", "origin", "arrived_on", "symptoms"],
        purpose=proxy_purpose(link) if link is not None else "",
    )
    _inputs_changed([declaration.person_id or 0])
    return declaration


# --- the grid worker's confirmation ---------------------------------------------------------------

CONFIRM_ACTIONS = ("link", "create", "reject")


def _person_choice(actor: Actor, declaration: Declaration, raw: Any) -> Person | None:
    try:
        person_id = int(raw)
    except (TypeError, ValueError):
        return None
    person = (
        Person.objects.filter(pk=person_id, residency__in=PRESENT_RESIDENCY)
        .within(declaration.community.path)
        .first()
    )
    if person is None or (
        actor is not None and not access.can(actor, Perm.REGISTER_VIEW, person.area_path)
    ):
        return None
    return person


def _household_choice(declaration: Declaration, raw: Any) -> Household | None:
    try:
        household_id = int(raw)
    except (TypeError, ValueError):
        return None
    households = Household.objects.filter(pk=household_id, building=declaration.building)
    return households.exclude(status=HouseholdStatus.CLOSED).first()


@transaction.atomic
def declaration_confirm(
    *, actor: Actor, declaration: Declaration, action: str, data: dict[str, Any] | None = None
) -> Declaration:
    """The grid worker's answer to a declaration that matched nobody.

    `link`: `data["person"]` is the registered person (of the community, in the actor's
    sight) who declared. `create`: register them through `registry.services` in
    `data["household"]` (a household of the declared building) or, without one, in a new
    household at the declared room. `reject`: not a person of this community
    (`data["note"]` says why). The entry then follows the person (merged into their open
    entry if they have one) or, rejected, is closed."""
    data = data or {}
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("building", "community")
        .get(pk=declaration.pk)
    )
    # The register's keepers where it lies (the grid worker): they link or register persons.
    access.require(actor, Perm.WATCHLIST_FOLLOW_UP, declaration.area_path)
    access.require(actor, Perm.REGISTER_EDIT, declaration.area_path)
    if declaration.status != DeclarationStatus.PENDING_PERSON:
        raise IllegalTransition(_("This declaration is already confirmed or rejected."))
    errors: dict[str, list[str]] = {}
    if action not in CONFIRM_ACTIONS:
        raise ValidationError({"action": [_("Choose what to do with the declaration.")]})
    note = text_field(errors, "note", data.get("note"), NOTE_MAX)
    person: Person | None = None
    if action == "link":
        person = _person_choice(actor, declaration, data.get("person"))
        if person is None:
            errors.setdefault("person", []).append(
                _("Choose a registered person of this community.")
            )
    elif action == "create":
        household = None
        if data.get("household") not in (None, ""):
            household = _household_choice(declaration, data.get("household"))
            if household is None:
                errors.setdefault("household", []).append(
                    _("Choose a household of the declared building.")
                )
        raise_errors(errors)
        building = declaration.building
        if building is None:
            raise ValidationError({"household": [_("The declaration names no building.")]})
        if household is None:
            existing = (
                Household.objects.filter(
                    building=building, unit="", room=reveal(declaration.address)
                )
                .exclude(status=HouseholdStatus.CLOSED)
                .first()
            )
            household = existing or registry_services.household_create(
                actor=actor, building=building, room=reveal(declaration.address)
            )
        person = registry_services.person_create(
            actor=actor,
            household=household,
            data={
                "name": reveal(declaration.name),
                "id_number": reveal(declaration.id_number),
                "phone": reveal(declaration.phone),
            },
        )
    elif not note:
        errors.setdefault("note", []).append(_("Say why the person is not of this community."))
    raise_errors(errors)
    now = clock.now()
    declaration.confirmed_by = actor if getattr(actor, "pk", None) else None
    declaration.confirmed_at = now
    entry = (
        WatchEntry.objects.select_for_update(of=("self",)).filter(pk=declaration.entry_id).first()
        if declaration.entry_id
        else None
    )
    if person is None:  # rejected
        declaration.status = DeclarationStatus.REJECTED
        declaration.save()
        others = (
            Declaration.objects.filter(entry=entry)
            .exclude(pk=declaration.pk)
            .exclude(status=DeclarationStatus.REJECTED)
            .exists()
            if entry is not None
            else True
        )
        alone = entry is not None and entry.upstream_list_id is None and not others
        if alone and entry is not None and entry.status in OPEN_STATUSES:
            previous = entry.status
            entry.status, entry.outcome = EntryStatus.CLOSED, Outcome.NOT_HERE
            entry.review_note, entry.reviewed_at, entry.closed_at = note, now, now
            entry.save()
            WatchEvent.objects.create(
                entry=entry, at=now, actor=declaration.confirmed_by, action="dismiss",
                from_status=previous, to_status=entry.status, note=note,
                data={"declaration": declaration.pk},
            )  # fmt: skip
        audit_record(
            actor=actor,
            action="declaration.reject",
            obj=declaration,
            area_path=declaration.area_path,
            fields=["status"],
        )
        return declaration
    declaration.person = person
    declaration.status = DeclarationStatus.MATCHED
    declaration.area_path = person.area_path
    declaration.save()
    if entry is not None:
        target = open_entry_for(
            person=person, id_index="", community=declaration.community, exclude=entry.pk
        )
        if target is not None and entry.upstream_list_id is None:
            # The person already has an open entry: this one joins it.
            entry.merged_into = target
            entry.save(update_fields=["merged_into", "updated_at"])
            Declaration.objects.filter(entry=entry).update(entry=target)
            _event(target, EVENT_DECLARED, actor, declaration=declaration.pk, merged=True)
            entry = target
        elif entry.person_id is None:
            entry.person = person
            _place(entry, person.area_path)
            entry.save()
        _event(entry, EVENT_CONFIRMED, actor, declaration=declaration.pk, how=action)
    audit_record(
        actor=actor,
        action="declaration.confirm",
        obj=declaration,
        area_path=declaration.area_path,
        fields=["person", "status"],
    )
    _inputs_changed([person.pk])
    return declaration
