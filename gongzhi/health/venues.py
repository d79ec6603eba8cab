"""Venue codes (场所码), check-ins and the audit of contact tracing: the writes.

- **Staff** (`venue.manage` on the venue's area) create a venue in an area of their scope
  with a random `code` (the key in the QR's link; it names nothing and cannot be guessed),
  an optional last day, and close or reopen it.
- **Check-in** is the lean path: `checkin_by_code` is ONE statement (an INSERT … SELECT that
  takes the venue by code only while it is open and unexpired), with no audit entry of its
  own. The audit log gets one entry per venue and hour with the count
  (`checkins_audit_hours`, run hourly by the worker): the hash chain's one head row is not
  locked by every scan.
- **A visitor not signed in** confirms a mobile number once with an SMS code
  (`checkin_code_request` / `checkin_phone_confirm`); the pages then remember the number's
  blind index for the rest of the day (`checkin_views`), so later scans are one insert too.
- **Opening a trace** (`trace_open`: who was at a venue, who shared a place and hour with
  a person) needs `health.trace` where it looks and a stated purpose; it is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import sms_code_check, sms_code_issue
from gongzhi.accounts.types import Actor
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose, typed_purpose
from gongzhi.core import clock
from gongzhi.core.errors import DomainError, IllegalTransition
from gongzhi.health import sunset
from gongzhi.health.models import CheckIn, Venue
from gongzhi.notifications.services import sms_send
from gongzhi.registry import rows as register_rows
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person
from gongzhi.registry.services import reveal_purpose

NAME_MAX = 100
# Where a venue may be: a community's office, a grid's shop, a compound's gate, a building.
VENUE_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND, AreaKind.BUILDING)
VENUE_KINDS: dict[str, Any] = {
    "shop": gettext_lazy("Shop"),
    "office": gettext_lazy("Community office"),
    "gate": gettext_lazy("Gate"),
    "market": gettext_lazy("Market"),
    "clinic": gettext_lazy("Clinic"),
    "other": gettext_lazy("Other place"),
}
CODE_BYTES = 18  # 24 URL-safe characters, 144 random bits
CHECKIN_PURPOSE = "checkin"  # the SMS code's purpose: a code for one use never serves another
# A trace looks at most this far (the check-ins' own retention), and "shared a place and
# hour" means checked in at the same venue within this much of each other.
TRACE_MAX_DAYS = 14
TRACE_OVERLAP = dt.timedelta(hours=1)


def _error(field: str, message: Any, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


# --- venues ---------------------------------------------------------------------------------


def _check_area(actor: Actor, area: Area | None) -> Area:
    if area is None or area.kind not in VENUE_AREA_KINDS:
        raise _error("area", _("A venue is in a community, grid, compound or building."), "kind")
    if actor is not None and not access.can(actor, Perm.VENUE_MANAGE, area.path):
        raise _error("area", _("No such record in your area."), "not_found")
    if area.closed_at is not None:
        raise _error("area", _("This area is closed: it takes no new venues."), "closed")
    return area


def _clean(name: str, kind: str, expires_on: dt.date | None) -> tuple[str, str]:
    errors: dict[str, list[ValidationError]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError(_("A venue needs a name."), code="required")]
    elif len(name) > NAME_MAX:
        errors["name"] = [
            ValidationError(_("At most %(n)d characters.") % {"n": NAME_MAX}, code="max_length")
        ]
    kind = kind or "other"
    if kind not in VENUE_KINDS:
        errors["kind"] = [ValidationError(_("Choose what kind of place this is."), code="invalid")]
    if expires_on is not None and expires_on < clock.today():
        errors["expires_on"] = [
            ValidationError(_("The last valid day cannot be in the past."), code="past")
        ]
    if errors:
        raise ValidationError(errors)
    return name, kind


@transaction.atomic
def venue_create(
    *, actor: Actor, area: Area, name: str, kind: str = "other", expires_on: dt.date | None = None
) -> Venue:
    """A new venue with a fresh random code. `actor` None is the system (the demo)."""
    area = _check_area(actor, area)
    name, kind = _clean(name, kind, expires_on)
    venue = Venue.objects.create(
        area=area,
        area_path=area.path,
        name=name,
        kind=kind,
        code=new_code(),
        expires_on=expires_on,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="venue.create",
        obj=venue,
        area_path=venue.area_path,
        fields=["name", "kind", "area", "expires_on"],
    )
    return venue


def _locked(venue: Venue) -> Venue:
    return Venue.objects.select_for_update().get(pk=venue.pk)


@transaction.atomic
def venue_update(
    *, actor: Actor, venue: Venue, name: str, kind: str, expires_on: dt.date | None
) -> Venue:
    """Rename a venue, change its kind or its last valid day (the code stays)."""
    venue = _locked(venue)
    access.require(actor, Perm.VENUE_MANAGE, venue.area_path)
    name, kind = _clean(name, kind, expires_on if expires_on != venue.expires_on else None)
    changed = [
        field
        for field, value in (("name", name), ("kind", kind), ("expires_on", expires_on))
        if getattr(venue, field) != value
    ]
    venue.name, venue.kind, venue.expires_on = name, kind, expires_on
    venue.save()
    audit_record(
        actor=actor, action="venue.update", obj=venue, area_path=venue.area_path, fields=changed
    )
    return venue


@transaction.atomic
def venue_close(*, actor: Actor, venue: Venue) -> Venue:
    """Stop taking check-ins (the QR then answers "closed"); its check-ins are kept."""
    venue = _locked(venue)
    access.require(actor, Perm.VENUE_MANAGE, venue.area_path)
    if venue.closed_at is not None:
        raise IllegalTransition(_("This venue is closed already."))
    venue.closed_at = clock.now()
    venue.save(update_fields=["closed_at", "updated_at"])
    audit_record(actor=actor, action="venue.close", obj=venue, area_path=venue.area_path)
    return venue


@transaction.atomic
def venue_reopen(*, actor: Actor, venue: Venue) -> Venue:
    venue = _locked(venue)
    access.require(actor, Perm.VENUE_MANAGE, venue.area_path)
    if venue.closed_at is None:
        raise IllegalTransition(_("This venue is open."))
    venue.closed_at = None
    venue.save(update_fields=["closed_at", "updated_at"])
    audit_record(actor=actor, action="venue.reopen", obj=venue, area_path=venue.area_path)
    return venue


@transaction.atomic
def venue_rotate_code(*, actor: Actor, venue: Venue) -> Venue:
    """A new code (a photo of the poster leaked): the old QR answers "unknown" from now."""
    venue = _locked(venue)
    access.require(actor, Perm.VENUE_MANAGE, venue.area_path)
    venue.code = new_code()
    venue.save(update_fields=["code", "updated_at"])
    audit_record(
        actor=actor,
        action="venue.rotate_code",
        obj=venue,
        area_path=venue.area_path,
        fields=["code"],
    )
    return venue


# --- check-in: the lean path -------------------------------------------------------------------


class VenueUnavailable(DomainError):
    """A scanned code that takes no check-in."""

    code = "venue_unknown"
    status = 404
    default_message = gettext_lazy("This venue code is not known. Scan the poster again.")


class VenueGone(VenueUnavailable):
    """A closed or expired venue: it was real, it takes no check-in now (410)."""

    code = "venue_gone"
    status = 410
    default_message = gettext_lazy("This venue no longer takes check-ins.")


def venue_for_code(code: str, *, today: dt.date | None = None) -> Venue:
    """The open, unexpired venue of a scanned code: one query on the unique code. Refuses
    unknown (404), closed and expired (410) codes with VenueUnavailable."""
    if not code or len(code) > 32:
        raise VenueUnavailable()
    venue = (
        Venue.objects.filter(code=code)
        .only("id", "name", "area_path", "closed_at", "expires_on")
        .first()
    )
    if venue is None:
        raise VenueUnavailable()
    if venue.closed_at is not None:
        raise VenueGone(_("This venue no longer takes check-ins: it was closed."))
    if venue.expires_on is not None and venue.expires_on < (today or clock.today()):
        raise VenueGone(_("This venue code has expired."))
    return venue


def checkin_record(
    *,
    venue: Venue,
    user_id: int | None = None,
    person_id: int | None = None,
    phone_idx: str = "",
    at: dt.datetime | None = None,
) -> CheckIn:
    """ONE insert: who (an account, a register person, or a confirmed phone's blind index)
    was at `venue` when. No audit entry per row: `checkins_audit_hours` counts them."""
    at = at or clock.now()
    checkin = CheckIn(
        venue_id=venue.pk,
        area_path=venue.area_path,
        at=at,
        user_id=user_id,
        person_id=person_id,
        phone_index=phone_idx,
        retain_until=sunset.retain_until(CheckIn.retention, at),
    )
    checkin.save(force_insert=True)
    return checkin


# A scan names its venue by code; the page shows the venue's name. Names are kept per
# process for a minute (a rename shows within it). Whether the venue takes check-ins is
# never taken from here: the insert itself selects the venue by code, open and unexpired.
NAME_CACHE_SECONDS = 60.0
NAME_CACHE_MAX = 10_000
_names: dict[str, tuple[float, str]] = {}


def _cached_name(code: str) -> str | None:
    hit = _names.get(code)
    if hit is None or time.monotonic() - hit[0] > NAME_CACHE_SECONDS:
        return None
    return hit[1]


def _remember_name(code: str, name: str) -> None:
    if len(_names) >= NAME_CACHE_MAX:
        _names.clear()
    _names[code] = (time.monotonic(), name)


def _insert_if_open(
    *, code: str, at: dt.datetime, user_id: int | None, person_id: int | None, phone_idx: str
) -> bool:
    """ONE statement: insert the check-in for the venue of `code` if it is open and not
    expired (INSERT … SELECT from the venue's row); False when no row was written."""
    connection = connections[router.db_for_write(CheckIn)]
    q = connection.ops.quote_name
    columns = ", ".join(
        q(c)
        for c in (
            "venue_id",
            "area_path",
            "at",
            "person_id",
            "user_id",
            "phone_index",
            "retain_until",
        )
    )
    sql = (
        f"INSERT INTO {q(CheckIn._meta.db_table)} ({columns}) "  # noqa: S608 - the models' names
        f"SELECT v.id, v.area_path, %s, %s, %s, %s, %s FROM {q(Venue._meta.db_table)} v "
        "WHERE v.code = %s AND v.closed_at IS NULL AND (v.expires_on IS NULL OR v.expires_on >= %s)"
    )
    params = [
        connection.ops.adapt_datetimefield_value(at),
        person_id,
        user_id,
        phone_idx,
        connection.ops.adapt_datefield_value(sunset.retain_until(CheckIn.retention, at)),
        code,
        connection.ops.adapt_datefield_value(timezone.localdate(at)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def checkin_by_code(
    *, code: str, user_id: int | None = None, person_id: int | None = None, phone_idx: str = ""
) -> tuple[str, dt.datetime]:
    """The scan's check-in: (the venue's name, when). ONE insert; the first scan of a venue
    in this process also reads its row (for the name). Unknown, closed and expired codes
    raise VenueUnavailable and write nothing. Nothing else runs on the scan: the status
    rules see a check-in near a red person in their periodic refresh
    (`status.due_for_refresh`), and everyone's contacts when a person turns red."""
    at = clock.now()
    name = _cached_name(code) if code and len(code) <= 32 else None
    if name is not None and _insert_if_open(
        code=code, at=at, user_id=user_id, person_id=person_id, phone_idx=phone_idx
    ):
        return name, at
    _names.pop(code, None)
    venue = venue_for_code(code, today=timezone.localdate(at))  # raises for what is refused
    checkin_record(venue=venue, user_id=user_id, person_id=person_id, phone_idx=phone_idx, at=at)
    _remember_name(code, venue.name)
    return venue.name, at


# --- a visitor without an account: the phone, confirmed once a day ------------------------------


def code_text(code: str) -> str:
    minutes = max(1, int(getattr(settings, "GONGZHI_SMS_CODE_TTL_SECONDS", 300)) // 60)
    signature = getattr(settings, "GONGZHI_SMS_SIGNATURE", "【共治】")
    return signature + _(
        "Your check-in code is %(code)s, valid for %(minutes)d minutes. Never tell it to anyone."
    ) % {"code": code, "minutes": minutes}


def checkin_code_request(*, venue: Venue, phone: str, ip: str = "") -> str:
    """Text a check-in code to `phone` (rate limited per number and address); the
    normalised number, which the page keeps until the code comes back."""
    _row, code, normalized = sms_code_issue(phone=phone, ip=ip, purpose=CHECKIN_PURPOSE)
    sms_send(phone=normalized, text=code_text(code), kind="health.checkin_code", sensitive=True)
    return normalized


def register_phone_index(phone: str) -> str:
    """The blind index a check-in keeps of a phone: the register's (`person.phone`), so a
    trace finds a person's check-ins by their number too. (An account's own index,
    `user.phone`, is keyed apart and joins nothing here.)"""
    return register_rows.phone_index(phone)


def account_phone_index(user: Any) -> str:
    """For an account not linked to the register: the register's index of its number."""
    if getattr(user, "person_id", None) is not None or not getattr(user, "phone_index", ""):
        return ""
    return register_phone_index(user.phone.reveal())


@dataclass(frozen=True)
class Visitor:
    """Who a remembered phone is: its blind index and, when exactly one present person of
    the register has that number, that person."""

    phone_idx: str
    person_id: int | None


def register_person_for(phone_idx: str) -> int | None:
    matches = list(
        Person.objects.filter(phone_index=phone_idx, residency__in=PRESENT_RESIDENCY).values_list(
            "pk", flat=True
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def checkin_phone_confirm(*, phone: str, code: str, ip: str = "") -> Visitor:
    """Spend the check-in code (wrong, expired or used: ValidationError naming `code`)."""
    normalized = sms_code_check(phone=phone, code=code, ip=ip, purpose=CHECKIN_PURPOSE)
    index = register_phone_index(normalized)
    return Visitor(phone_idx=index, person_id=register_person_for(index))


# --- the hourly count in the audit log ---------------------------------------------------------

AUDIT_ACTION = "venue.checkins"
AUDIT_CATCH_UP = dt.timedelta(hours=48)


def _hour_floor(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _last_audited_hour() -> dt.datetime | None:
    purpose = (
        AuditEntry.objects.filter(action=AUDIT_ACTION)
        .order_by("-seq")
        .values_list("purpose", flat=True)
        .first()
    )
    if not purpose:
        return None
    try:
        return dt.datetime.fromisoformat(json.loads(purpose.split(" ", 1)[1])["hour"])
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None


@transaction.atomic
def checkins_audit_hours(*, now: dt.datetime | None = None) -> int:
    """One audit entry per venue and finished hour with its number of check-ins (no
    personal value), for the hours since the last one counted (at most 48 back): one
    grouped query. Safe to run twice: an hour is counted once. Returns the entries
    written."""
    end = _hour_floor(now or clock.now())
    last = _last_audited_hour()
    start = end - AUDIT_CATCH_UP
    if last is not None:
        start = max(start, last + dt.timedelta(hours=1))
    if start >= end:
        return 0
    rows = (
        CheckIn.objects.filter(at__gte=start, at__lt=end)
        .annotate(hour=TruncHour("at", tzinfo=dt.UTC))
        .values("hour", "venue_id", "venue__name", "venue__area_path")
        .annotate(n=Count("id"))
        .order_by("hour", "venue_id")
    )
    written = 0
    for row in rows:
        audit_record(
            actor=None,
            action=AUDIT_ACTION,
            object_type="health.venue",
            object_id=row["venue_id"],
            object_label=row["venue__name"],
            area_path=row["venue__area_path"],
            fields=["checkins"],
            purpose=system_purpose("checkin_count", hour=row["hour"].isoformat(), count=row["n"]),
        )
        written += 1
    return written


# --- opening a trace: scope, window, purpose, audit -----------------------------------------


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


def trace_window(start: dt.datetime | None, end: dt.datetime | None) -> Window:
    """The window a trace looks at: both ends given, the end after the start, at most
    TRACE_MAX_DAYS long. ValidationError naming the field otherwise."""
    errors: dict[str, list[ValidationError]] = {}
    if start is None:
        errors["start"] = [ValidationError(_("Give when the window starts."), code="required")]
    if end is None:
        errors["end"] = [ValidationError(_("Give when the window ends."), code="required")]
    if start is not None and end is not None:
        if end <= start:
            errors["end"] = [
                ValidationError(_("The window must end after it starts."), code="before_start")
            ]
        elif end - start > dt.timedelta(days=TRACE_MAX_DAYS):
            errors["end"] = [
                ValidationError(
                    _("A trace looks at most %(days)d days at once.") % {"days": TRACE_MAX_DAYS},
                    code="too_long",
                )
            ]
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    if timezone.is_naive(end):
        end = timezone.make_aware(end)
    return Window(start, end)


@transaction.atomic
def trace_open(
    *,
    actor: Actor,
    subject: Venue | Person,
    start: dt.datetime | None,
    end: dt.datetime | None,
    purpose: str,
) -> Window:
    """Before a trace is shown: `health.trace` on the venue's or person's place, a valid
    window, a stated purpose (the rules of a reveal's), and the audit entry."""
    access.require(actor, Perm.CONTACT_TRACE, subject.area_path)
    errors: dict[str, list[ValidationError]] = {}
    window = None
    try:
        window = trace_window(start, end)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        purpose = reveal_purpose(purpose)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    assert window is not None
    audit_record(
        actor=actor,
        action="trace.venue" if isinstance(subject, Venue) else "trace.contacts",
        obj=subject,
        area_path=subject.area_path,
        fields=["checkins"],
        purpose=typed_purpose(purpose),
    )
    return window
