"""Writes to the register. Each checks the actor's permission on the node it touches,
validates every field (all problems at once, each naming its field and rule), writes,
keeps the register's history and appends to the audit log in one transaction.

`actor=None` is the system itself (the demo generator, migrations, commands).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose, typed_purpose
from gongzhi.core import clock, identity
from gongzhi.core.errors import Conflict, DuplicatePerson
from gongzhi.core.fields import Sealed, reveal
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.registry import areas, rows
from gongzhi.registry.areas import community_of
from gongzhi.registry.choices import ETHNICITY_CODES
from gongzhi.registry.models import (
    Area,
    AreaKind,
    Household,
    HouseholdStatus,
    Person,
    PersonTag,
    RegisterChange,
    Relation,
    Residency,
    Tag,
)

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

# The register's limits and what its rows hold: `rows` (every write path uses it).
NOTES_MAX, UNIT_MAX, ROOM_MAX = rows.NOTES_MAX, rows.UNIT_MAX, rows.ROOM_MAX
address_of = rows.address_of
_shown = rows.shown
PURPOSE_MIN = 4
PURPOSE_MAX = 200
SENSITIVE = ("id_number", "phone")


# --- helpers -------------------------------------------------------------------------------


def _record(
    *,
    actor: Actor,
    action: str,
    household: Household | None = None,
    person: Person | None = None,
    changes: Mapping[str, Any] | None = None,
    note: str = "",
    purpose: str = "",
    audit_fields: Iterable[str] | None = None,
) -> None:
    """History row (masked values) and audit entry (field names only), same transaction."""
    changes = dict(changes or {})
    RegisterChange.objects.create(
        at=clock.now(),
        actor=actor,
        household=household or (person.household if person else None),
        person=person,
        action=action,
        changes=changes,
        note=note[: rows.HISTORY_NOTE_MAX],
    )
    subject = person or household
    audit_record(
        actor=actor,
        action=action,
        obj=subject,
        area_path=subject.area_path if subject else "",
        fields=list(audit_fields if audit_fields is not None else changes),
        purpose=purpose,
    )


# The area tree's writes live in `registry.areas`; callers name them here as before.
area_create = areas.area_create
building_ensure = areas.building_ensure
area_rename = areas.area_rename
area_move = areas.area_move
area_close = areas.area_close
area_reopen = areas.area_reopen
area_details_set = areas.area_details_set
area_geometry_set = areas.area_geometry_set
area_geometry_import = areas.area_geometry_import


# --- households ------------------------------------------------------------------------------


def _check_dwelling(
    errors: dict[str, list[str]], building: Area | None, unit: str, room: str, exclude: int | None
) -> None:
    if building is None or building.kind != AreaKind.BUILDING:
        errors.setdefault("building", []).append(_("Choose a building."))
        return
    if building.is_closed:
        errors.setdefault("building", []).append(
            _("This building is closed: it takes no households.")
        )
        return
    taken = Household.objects.filter(building=building, unit=unit, room=room).exclude(
        status=HouseholdStatus.CLOSED
    )
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        errors.setdefault("room", []).append(
            _("Another registered household already lives at this unit and room.")
        )


@transaction.atomic
def household_create(
    *,
    actor: Actor,
    building: Area,
    unit: str = "",
    room: str,
    notes: str = "",
    status: str = HouseholdStatus.ACTIVE,
) -> Household:
    access.require(actor, Perm.REGISTER_EDIT, building.path)
    errors: dict[str, list[str]] = {}
    unit = text_field(errors, "unit", unit, UNIT_MAX)
    room = text_field(errors, "room", room, ROOM_MAX, required=True)
    notes = text_field(errors, "notes", notes, NOTES_MAX)
    if status not in HouseholdStatus.values:
        errors.setdefault("status", []).append(_("Choose a valid status."))
    _check_dwelling(errors, building, unit, room, exclude=None)
    community = community_of(building) if building.kind == AreaKind.BUILDING else None
    if community is None:
        errors.setdefault("building", []).append(_("The building is not in a community."))
    raise_errors(errors)
    assert community is not None  # refused above
    household = Household.objects.create(
        community=community,
        building=building,
        unit=unit,
        room=room,
        area_path=building.path,
        address=address_of(building, unit, room),
        status=status,
        notes=notes,
    )
    _record(
        actor=actor,
        action="household.create",
        household=household,
        changes=rows.household_created(address=household.address, status=status),
    )
    return household


@transaction.atomic
def household_update(*, actor: Actor, household: Household, data: Mapping[str, Any]) -> Household:
    """Correct unit, room, status, notes or head. Moving to another building: household_move."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.REGISTER_EDIT, household.area_path)
    errors: dict[str, list[str]] = {}
    new: dict[str, Any] = {}
    if "unit" in data:
        new["unit"] = text_field(errors, "unit", data["unit"], UNIT_MAX)
    if "room" in data:
        new["room"] = text_field(errors, "room", data["room"], ROOM_MAX, required=True)
    if "notes" in data:
        new["notes"] = text_field(errors, "notes", data["notes"], NOTES_MAX)
    if "status" in data:
        if data["status"] not in HouseholdStatus.values:
            errors.setdefault("status", []).append(_("Choose a valid status."))
        new["status"] = data["status"]
    if "head" in data:
        head = data["head"]
        if head is not None and (
            head.household_id != household.pk
            or head.residency not in (Residency.LIVING, Residency.TENANT, Residency.AWAY)
        ):
            errors.setdefault("head", []).append(
                _("The head must be a present member of this household.")
            )
        new["head"] = head
    if ("unit" in new or "room" in new) and not errors:
        _check_dwelling(
            errors,
            household.building,
            new.get("unit", household.unit),
            new.get("room", household.room),
            exclude=household.pk,
        )
    raise_errors(errors)
    changes = {}
    for field, value in new.items():
        old = getattr(household, field)
        if old != value:
            changes[field] = [
                _shown(str(old) if field == "head" and old else old),
                _shown(str(value) if field == "head" and value else value),
            ]
            setattr(household, field, value)
    if not changes:
        return household
    household.address = address_of(household.building, household.unit, household.room)
    household.save()
    _record(actor=actor, action="household.update", household=household, changes=changes)
    return household


@transaction.atomic
def household_move(
    *, actor: Actor, household: Household, building: Area, unit: str = "", room: str
) -> Household:
    """Move a household to another dwelling in the same community."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.REGISTER_EDIT, household.area_path)
    access.require(actor, Perm.REGISTER_EDIT, building.path)
    errors: dict[str, list[str]] = {}
    unit = text_field(errors, "unit", unit, UNIT_MAX)
    room = text_field(errors, "room", room, ROOM_MAX, required=True)
    if building.kind != AreaKind.BUILDING:
        errors.setdefault("building", []).append(_("Choose a building."))
    elif not building.path.startswith(household.community.path):
        errors.setdefault("building", []).append(
            _(
                "This building is in another community. A household moves only within its "
                "community; register the persons there as moving in instead."
            )
        )
    else:
        _check_dwelling(errors, building, unit, room, exclude=household.pk)
    raise_errors(errors)
    old_address = household.address
    household.building, household.unit, household.room = building, unit, room
    household.area_path = building.path
    household.address = address_of(building, unit, room)
    household.save()
    household.persons.update(area_path=building.path)
    _record(
        actor=actor,
        action="household.move",
        household=household,
        changes={"address": [old_address, household.address]},
    )
    return household


# --- persons -----------------------------------------------------------------------------------


def _existing_with_id(index: str, exclude: int | None = None) -> Person | None:
    found = Person.objects.select_related("household__community").filter(id_number_index=index)
    if exclude:
        found = found.exclude(pk=exclude)
    return found.first()


# Where a person is registered outside the asker's area is not theirs to know: the
# answer names no community, and says what to do (the import's row problem says the same).
REGISTERED_ELSEWHERE = gettext_lazy(
    "This ID number is already registered outside your area (another community or grid). "
    "If the person now lives here, send a transfer request: the area that holds the "
    "person decides on it."
)


def _duplicate(actor: Actor, existing: Person) -> DuplicatePerson:
    if actor is None or access.can(actor, Perm.REGISTER_VIEW, existing.area_path):
        message = _("This ID number is already registered: %(name)s, %(address)s.") % {
            "name": existing.name,
            "address": existing.household.address,
        }
    else:
        message = str(REGISTERED_ELSEWHERE)
    return DuplicatePerson(message, existing)


def _audits_duplicate_check(service: Callable[..., Person]) -> Callable[..., Person]:
    """Audit a write refused because the ID number is registered already: who asked
    about whom (the person's id; never the number, nor a digest of it). Recorded after
    the refused write's transaction rolled back, so the entry stays."""

    @functools.wraps(service)
    def audited(*args: Any, **kwargs: Any) -> Person:
        try:
            return service(*args, **kwargs)
        except DuplicatePerson as exc:
            existing = exc.existing
            audit_record(
                actor=kwargs.get("actor"),
                action="person.duplicate_check",
                object_type=Person._meta.label_lower,
                object_id=existing.pk,
                object_label=f"#{existing.pk}",
                area_path=existing.area_path,
                fields=["id_number"],
                purpose=system_purpose("duplicate_id"),
            )
            raise

    return audited


def _clean_person(
    data: Mapping[str, Any], *, person: Person | None, actor: Actor
) -> dict[str, Any]:
    """Validate the given person fields; derive gender, birth date and search keys."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    creating = person is None
    if "name" in data or creating:
        try:
            out.update(rows.name_keys(data.get("name", ""))._asdict())
        except ValidationError as exc:
            errors.setdefault("name", []).extend(exc.messages)
    rid = None
    if "id_number" in data or creating:
        try:
            rid = identity.parse_resident_id(data.get("id_number", ""))
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
        else:
            out.update(rows.id_number_columns(rid)._asdict())
    if rid is not None:
        # Given gender or birth date must agree with what the ID number encodes.
        given_gender = data.get("gender") or ""
        if given_gender and given_gender != rid.gender:
            errors.setdefault("gender", []).append(
                _("The gender does not match the resident ID number (its 17th digit).")
            )
        given_birth = data.get("birth_date")
        if given_birth and given_birth != rid.birth_date:
            errors.setdefault("birth_date", []).append(
                _("The birth date does not match the resident ID number (its digits 7–14).")
            )
    if "phone" in data:
        phone = (data.get("phone") or "").strip()
        if phone:
            try:
                out.update(rows.phone_columns(identity.normalize_phone(phone))._asdict())
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        else:
            out.update(rows.phone_columns("")._asdict())
    if "ethnicity" in data:
        code = (data.get("ethnicity") or rows.DEFAULT_ETHNICITY).strip()
        if code not in ETHNICITY_CODES:
            errors.setdefault("ethnicity", []).append(_("Choose an ethnic group from the list."))
        out["ethnicity"] = code
    if "relation" in data:
        if data["relation"] not in Relation.values:
            errors.setdefault("relation", []).append(_("Choose a relation from the list."))
        out["relation"] = data["relation"]
    if "residency" in data:
        if data["residency"] not in Residency.values:
            errors.setdefault("residency", []).append(_("Choose a residency status from the list."))
        out["residency"] = data["residency"]
    if "moved_in_on" in data:
        moved_in = data["moved_in_on"]
        if moved_in and moved_in > clock.today():
            errors.setdefault("moved_in_on", []).append(
                _("A move-in date cannot be in the future.")
            )
        birth = out.get("birth_date") or (person.birth_date if person else None)
        if moved_in and birth and moved_in < birth:
            errors.setdefault("moved_in_on", []).append(
                _("A move-in date cannot be before the birth date.")
            )
        out["moved_in_on"] = moved_in or None
    if "notes" in data:
        out["notes"] = text_field(errors, "notes", data["notes"], NOTES_MAX)
    if "id_number_index" in out and not errors.get("id_number"):
        existing = _existing_with_id(out["id_number_index"], exclude=person.pk if person else None)
        if existing is not None:
            raise _duplicate(actor, existing)
    raise_errors(errors)
    return out


@_audits_duplicate_check
@transaction.atomic
def person_create(
    *,
    actor: Actor,
    household: Household,
    data: Mapping[str, Any],
    tags: Iterable[str] = (),
) -> Person:
    """Register a person in a household. `data` as for person_update, `name` and
    `id_number` required; gender and birth date are derived from the ID number."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.REGISTER_EDIT, household.area_path)
    if household.status == HouseholdStatus.CLOSED:
        raise ValidationError({"household": [_("This household is closed.")]})
    clean = _clean_person(data, person=None, actor=actor)
    values = rows.person_values(clean, today=clock.today())
    person = Person(household=household, area_path=household.area_path, **values)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Lost a race with another registration of the same number.
        existing = _existing_with_id(clean["id_number_index"])
        if existing is None:
            raise
        raise _duplicate(actor, existing) from None
    if person.relation == Relation.HEAD and household.head_id is None:
        household.head = person
        household.save(update_fields=["head", "updated_at"])
    wanted = set(tags)
    tag_objects = list(Tag.objects.filter(code__in=wanted))
    unknown = wanted - {t.code for t in tag_objects}
    if unknown:
        raise ValidationError(
            {"tags": [_("Unknown tag: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}]}
        )
    PersonTag.objects.bulk_create(
        PersonTag(person=person, tag=t, added_by=actor) for t in tag_objects
    )
    changes = rows.person_created(
        name=person.name,
        id_masked=_shown(person.id_number),
        phone_masked=_shown(person.phone),
        relation=person.relation,
        residency=person.residency,
        tags=[t.code for t in tag_objects],
    )
    _record(actor=actor, action="person.create", person=person, changes=changes)
    return person


@_audits_duplicate_check
@transaction.atomic
def person_update(
    *,
    actor: Actor,
    person: Person,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Person:
    """Correct a person's fields (name, id_number, phone, ethnicity, relation, residency,
    moved_in_on, notes). `expected_version` guards against overwriting someone else's edit."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    if expected_version is not None and expected_version != person.version:
        raise Conflict()
    clean = _clean_person(data, person=person, actor=actor)
    changes: dict[str, list[Any]] = {}
    for field, value in clean.items():
        if field in ("name_pinyin", "name_initials", "id_number_index", "phone_index"):
            setattr(person, field, value)
            continue
        old = getattr(person, field)
        old_plain = old.reveal() if isinstance(old, Sealed) else old
        if old_plain != value:
            changes[field] = [_shown(old), None]
            setattr(person, field, value)
    if not changes:
        return person
    person.version += 1
    person.save()
    person.refresh_from_db()
    for field in changes:
        changes[field][1] = _shown(getattr(person, field))
    _record(actor=actor, action="person.update", person=person, changes=changes)
    return person


@transaction.atomic
def person_move_out(
    *,
    actor: Actor,
    person: Person,
    on_date: dt.date | None = None,
    reason: str = Residency.MOVED_OUT,
    note: str = "",
) -> Person:
    """Record that a person left the community (or died). The record stays, with history."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    errors: dict[str, list[str]] = {}
    on_date = on_date or clock.today()
    note = text_field(errors, "note", note, 500)
    if reason not in (Residency.MOVED_OUT, Residency.DECEASED):
        errors.setdefault("reason", []).append(_("Choose moved out or deceased."))
    if person.residency in (Residency.MOVED_OUT, Residency.DECEASED):
        errors.setdefault("reason", []).append(_("This person is no longer registered here."))
    if on_date > clock.today():
        errors.setdefault("on_date", []).append(_("The date cannot be in the future."))
    if person.moved_in_on and on_date < person.moved_in_on:
        errors.setdefault("on_date", []).append(_("The date cannot be before the move-in date."))
    raise_errors(errors)
    changes = {
        "residency": [person.residency, reason],
        "moved_out_on": [_shown(person.moved_out_on), on_date.isoformat()],
    }
    person.residency = reason
    person.moved_out_on = on_date
    person.version += 1
    person.save()
    household = person.household
    if household.head_id == person.pk:
        household.head = None
        household.save(update_fields=["head", "updated_at"])
        changes["household_head"] = [person.name, None]
    _record(
        actor=actor,
        action="person.move_out" if reason == Residency.MOVED_OUT else "person.deceased",
        person=person,
        changes=changes,
        note=note,
    )
    return person


@transaction.atomic
def person_move_in(
    *,
    actor: Actor,
    person: Person,
    household: Household,
    relation: str = Relation.OTHER,
    residency: str = Residency.LIVING,
    on_date: dt.date | None = None,
) -> Person:
    """Move a registered person into a household (a new home, or back after moving out)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.REGISTER_EDIT, household.area_path)
    if person.household_id != household.pk:
        # Taking someone out of a household is an edit of where they were too.
        access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    return person_move_in_allowed(
        actor=actor,
        person=person,
        household=household,
        relation=relation,
        residency=residency,
        on_date=on_date,
    )


def person_move_in_allowed(
    *,
    actor: Actor,
    person: Person,
    household: Household,
    relation: str = Relation.OTHER,
    residency: str = Residency.LIVING,
    on_date: dt.date | None = None,
    note: str = "",
) -> Person:
    """`person_move_in` once both ends are settled: rows locked by the caller, and the
    permission to take the person out and to put them in decided by it (a transfer
    request: asked by the household's area, approved by the person's)."""
    errors: dict[str, list[str]] = {}
    on_date = on_date or clock.today()
    if household.status == HouseholdStatus.CLOSED:
        errors.setdefault("household", []).append(_("This household is closed."))
    if person.residency == Residency.DECEASED:
        errors.setdefault("household", []).append(_("This person is recorded as deceased."))
    if relation not in Relation.values:
        errors.setdefault("relation", []).append(_("Choose a relation from the list."))
    if residency not in (Residency.LIVING, Residency.TENANT):
        errors.setdefault("residency", []).append(_("Choose living here or tenant."))
    if on_date > clock.today():
        errors.setdefault("on_date", []).append(_("The date cannot be in the future."))
    raise_errors(errors)
    old_household = person.household
    changes = {
        "household": [old_household.address, household.address],
        "residency": [person.residency, residency],
        "relation": [person.relation, relation],
        "moved_in_on": [_shown(person.moved_in_on), on_date.isoformat()],
    }
    if old_household.head_id == person.pk and old_household.pk != household.pk:
        old_household.head = None
        old_household.save(update_fields=["head", "updated_at"])
    person.household = household
    person.area_path = household.area_path
    person.relation, person.residency = relation, residency
    person.moved_in_on, person.moved_out_on = on_date, None
    person.version += 1
    person.save()
    if relation == Relation.HEAD and household.head_id is None:
        household.head = person
        household.save(update_fields=["head", "updated_at"])
    _record(actor=actor, action="person.move_in", person=person, changes=changes, note=note)
    return person


@transaction.atomic
def person_tag_set(*, actor: Actor, person: Person, tag_codes: Iterable[str]) -> Person:
    """Make the person's tags exactly `tag_codes`."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    wanted = set(tag_codes)
    known = {t.code: t for t in Tag.objects.filter(code__in=wanted)}
    unknown = wanted - set(known)
    if unknown:
        raise ValidationError(
            {"tags": [_("Unknown tag: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}]}
        )
    current = set(person.tags.values_list("code", flat=True))
    if current == wanted:
        return person
    PersonTag.objects.filter(person=person).exclude(tag__code__in=wanted).delete()
    PersonTag.objects.bulk_create(
        PersonTag(person=person, tag=known[c], added_by=actor) for c in wanted - current
    )
    person.version += 1
    person.save(update_fields=["version", "updated_at"])
    _record(
        actor=actor,
        action="person.tags",
        person=person,
        changes={"tags": [sorted(current), sorted(wanted)]},
    )
    return person


def reveal_purpose(purpose: str) -> str:
    """A reveal's stated purpose, checked: every reveal of a full value (the register's,
    a watch-list entry's own) asks for one of the same length."""
    purpose = (purpose or "").strip()
    if len(purpose) < PURPOSE_MIN or len(purpose) > PURPOSE_MAX:
        raise ValidationError(
            {
                "purpose": [
                    _("Say why you need the full value, in %(min)d to %(max)d characters.")
                    % {"min": PURPOSE_MIN, "max": PURPOSE_MAX}
                ]
            }
        )
    return purpose


@transaction.atomic
def person_reveal(*, actor: Actor, person: Person, field: str, purpose: str) -> str:
    """The full ID number or phone, for a role that may see it, with the purpose audited."""
    if field not in SENSITIVE:
        raise ValidationError({"field": [_("Only the ID number or the phone can be revealed.")]})
    access.require(actor, Perm.REGISTER_REVEAL, person.area_path)
    purpose = reveal_purpose(purpose)
    value = getattr(person, field)
    audit_record(
        actor=actor,
        action="person.reveal",
        obj=person,
        area_path=person.area_path,
        fields=[field],
        purpose=typed_purpose(purpose),
    )
    return value.reveal() if isinstance(value, Sealed) else ""


# --- merging duplicates (issue 3) --------------------------------------------------------------


@transaction.atomic
def person_merge(*, actor: Actor, keep: Person, merge: Person, note: str = "") -> Person:
    """Merge a duplicate record into the one kept: the kept person gains what only the
    duplicate knew (phone, tags, notes), inherits its history and every reference to it;
    the duplicate is removed, its masked ID number and phone kept in the history entry.

    Only records of one person (same name and birth date) merge, within the actor's area.
    """
    if keep.pk == merge.pk:
        raise ValidationError({"merge": [_("Choose two different records.")]})
    first, second = sorted([keep.pk, merge.pk])
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[first, second])}
    if len(locked) != 2:
        raise ValidationError({"merge": [_("One of the records no longer exists.")]})
    keep, merge = locked[keep.pk], locked[merge.pk]
    access.require(actor, Perm.REGISTER_EDIT, keep.area_path)
    access.require(actor, Perm.REGISTER_EDIT, merge.area_path)
    errors: dict[str, list[str]] = {}
    note = text_field(errors, "note", note, 500)
    if keep.name != merge.name or keep.birth_date != merge.birth_date:
        errors.setdefault("merge", []).append(
            _("Only records of one person merge: the names and birth dates differ.")
        )
    raise_errors(errors)
    changes: dict[str, list[Any]] = {}
    if not keep.phone and merge.phone:
        changes["phone"] = [None, _shown(merge.phone)]
        keep.phone, keep.phone_index = reveal(merge.phone), merge.phone_index
    if merge.notes and merge.notes not in keep.notes:
        combined = (keep.notes + "\n" + merge.notes).strip()[:NOTES_MAX]
        changes["notes"] = [keep.notes, combined]
        keep.notes = combined
    if merge.moved_in_on and (keep.moved_in_on is None or merge.moved_in_on < keep.moved_in_on):
        changes["moved_in_on"] = [_shown(keep.moved_in_on), _shown(merge.moved_in_on)]
        keep.moved_in_on = merge.moved_in_on
    kept_tags = set(keep.tags.values_list("code", flat=True))
    merged_tags = set(merge.tags.values_list("code", flat=True))
    if merged_tags - kept_tags:
        changes["tags"] = [sorted(kept_tags), sorted(kept_tags | merged_tags)]
        PersonTag.objects.bulk_create(
            PersonTag(person=keep, tag=t, added_by=actor)
            for t in Tag.objects.filter(code__in=merged_tags - kept_tags)
        )
    # Every other reference to the duplicate now points at the person kept.
    RegisterChange.objects.filter(person=merge).update(person=keep)
    for relation in Person._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.concrete:
            continue  # a reverse relation: another model's key to a person
        model = relation.related_model
        if model is None or model in (PersonTag, RegisterChange):
            continue
        if relation.field.many_to_many:
            continue
        name = relation.field.name
        if model is Household and name == "head":
            model.objects.filter(head=merge).update(
                head=keep if keep.household_id == merge.household_id else None
            )
            continue
        try:
            with transaction.atomic():
                model._default_manager.filter(**{name: merge}).update(**{name: keep})
        except IntegrityError:
            raise ValidationError(
                {
                    "merge": [
                        _(
                            "Both records have %(what)s that cannot be joined; settle that "
                            "first, then merge."
                        )
                        % {"what": model._meta.verbose_name_plural}
                    ]
                }
            ) from None
    merged_label = " ".join(
        part
        for part in (merge.name, _shown(merge.id_number), _shown(merge.phone), f"#{merge.pk}")
        if part
    )
    changes["merged"] = [merged_label, None]
    merged_id = merge.pk
    PersonTag.objects.filter(person=merge).delete()
    merge.delete()
    keep.version += 1
    keep.save()
    _record(
        actor=actor,
        action="person.merge",
        person=keep,
        changes=changes,
        note=note,
        purpose=f"merged person #{merged_id} into #{keep.pk}",
    )
    return keep
