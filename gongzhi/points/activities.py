"""Activities of the points square (能量广场): publishing, sign-up, QR check-in and proofs.

Writes only; every one is `@transaction.atomic` and audited in the same transaction.

- **Staff** (`activity.manage` on the activity's area) create, edit, publish, close and
  cancel activities, and rotate the check-in token when a photo of the QR leaks.
- **Sign-up** holds the capacity under concurrency: the activity's row is locked
  (`select_for_update`; on SQLite writers take turns) before the places are counted. A
  proxy acting for a parent (an active `ProxyLink`) signs the *parent* up; a parent with no
  account gets a resident account with no usable password, linked to their register
  record, so that the points are the parent's own (`_account_for_person`).
- **Check-in** is by the token of the activity's QR, between `starts_at` and `ends_at`, and
  — when the activity has a point and the phone sent its position — within `radius_m`
  (haversine). It records the sign-up's check-in time and, for an activity proved by
  check-in, a `Proof` of kind check-in.
- **Proofs** (photo, video or text, as the activity asks) come from the participant or
  their proxy only, one at a time (not while one is waiting or approved), never the same
  file twice for a sign-up. A photo is flagged (`Proof.flags`) when it repeats an earlier
  proof's photo (perceptual hash), when its capture time lies outside the activity or when
  it has none: a flagged proof is never accepted without a reviewer looking at it.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import Role, User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.services import (
    membership_grant,
    user_create,
    user_link_person,
    user_set_phone,
)
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import IllegalTransition, NotFound
from gongzhi.core.fields import reveal
from gongzhi.points import photos
from gongzhi.points.models import (
    TEXT_MAX,
    TITLE_MAX,
    Activity,
    ActivityKind,
    ActivityStatus,
    Proof,
    ProofKind,
    ProofStatus,
    Signup,
    SignupStatus,
)
from gongzhi.registry.models import Area, AreaKind, Person
from gongzhi.workorders import uploads

# Bounds: a participation is worth 0-1000 points and 0-24 service hours; an activity runs
# at most a year, holds at most 10,000 people; check-in within 10 m to 5 km.
MAX_POINTS = 1000
MAX_HOURS = Decimal("24")
MAX_DURATION = dt.timedelta(days=366)
MAX_CAPACITY = 10_000
RADIUS_BOUNDS = (10, 5000)
PLACE_MAX = 200
TEXT_MIN = 10  # a written account says something
# A photo taken this long before the start or after the end still counts as inside.
CAPTURE_TOLERANCE = dt.timedelta(hours=2)
ACTIVITY_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID)
EARTH_RADIUS_M = 6_371_000.0

EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED)
# Moves of an activity: action -> (from, to).
TRANSITIONS = {
    "publish": ((ActivityStatus.DRAFT,), ActivityStatus.PUBLISHED),
    "close": ((ActivityStatus.PUBLISHED,), ActivityStatus.CLOSED),
    "cancel": ((ActivityStatus.DRAFT, ActivityStatus.PUBLISHED), ActivityStatus.CANCELLED),
}
FIELDS = (
    "kind", "title", "description", "starts_at", "ends_at", "place", "latitude", "longitude",
    "radius_m", "capacity", "proof_kind", "points", "hours",
)  # fmt: skip


def _error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def new_checkin_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _when(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


# --- activities ------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """The activity's fields checked against their bounds; one ValidationError with every
    problem, each naming its field."""
    errors: dict[str, list[ValidationError]] = {}

    def bad(field: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    out = dict(data)
    if out.get("kind") not in ActivityKind.values:
        bad("kind", _("Choose a volunteer topic or an event."))
    out["title"] = (out.get("title") or "").strip()
    if not out["title"]:
        bad("title", _("An activity needs a title."), "required")
    elif len(out["title"]) > TITLE_MAX:
        bad("title", _("At most %(n)d characters.") % {"n": TITLE_MAX}, "max_length")
    out["description"] = (out.get("description") or "").strip()
    if len(out["description"]) > TEXT_MAX:
        bad("description", _("At most %(n)d characters.") % {"n": TEXT_MAX}, "max_length")
    out["place"] = (out.get("place") or "").strip()
    if len(out["place"]) > PLACE_MAX:
        bad("place", _("At most %(n)d characters.") % {"n": PLACE_MAX}, "max_length")
    starts, ends = out.get("starts_at"), out.get("ends_at")
    if not isinstance(starts, dt.datetime):
        bad("starts_at", _("Give when the activity starts."), "required")
    if not isinstance(ends, dt.datetime):
        bad("ends_at", _("Give when the activity ends."), "required")
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime):
        if ends <= starts:
            bad("ends_at", _("The activity must end after it starts."), "before_start")
        elif ends - starts > MAX_DURATION:
            bad("ends_at", _("An activity runs at most a year."), "too_long")
    if out.get("proof_kind") not in ProofKind.values:
        bad("proof_kind", _("Choose how participants prove they took part."))
    points = out.get("points")
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= MAX_POINTS:
        bad("points", _("Points are a whole number from 0 to %(n)d.") % {"n": MAX_POINTS}, "bounds")
    try:
        hours = Decimal(str(out.get("hours", "")))
        if not hours.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        hours = None
    if (
        hours is None
        or not Decimal(0) <= hours <= MAX_HOURS
        or hours != hours.quantize(Decimal("0.1"))
    ):
        bad("hours", _("Service hours are from 0 to 24, in tenths of an hour."), "bounds")
    else:
        out["hours"] = hours
    capacity = out.get("capacity")
    if capacity is not None and (
        not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY
    ):
        bad("capacity", _("Places are from 1 to %(n)d, or empty for no limit.") % {"n": MAX_CAPACITY}, "bounds")  # fmt: skip
    lat, lng = out.get("latitude"), out.get("longitude")
    if (lat is None) != (lng is None):
        bad("longitude" if lat is not None else "latitude", _("Give both latitude and longitude, or neither."), "pair")  # fmt: skip
    if lat is not None and not (isinstance(lat, int | float) and -90 <= lat <= 90):
        bad("latitude", _("Latitude is from -90 to 90 degrees."), "bounds")
    if lng is not None and not (isinstance(lng, int | float) and -180 <= lng <= 180):
        bad("longitude", _("Longitude is from -180 to 180 degrees."), "bounds")
    radius = out.get("radius_m", 200)
    if not isinstance(radius, int) or not RADIUS_BOUNDS[0] <= radius <= RADIUS_BOUNDS[1]:
        bad("radius_m", _("The check-in radius is from %(a)d to %(b)d metres.") % {"a": RADIUS_BOUNDS[0], "b": RADIUS_BOUNDS[1]}, "bounds")  # fmt: skip
    out["radius_m"] = radius
    if errors:
        raise ValidationError(errors)
    return out


def _check_area(actor: User | None, area: Any) -> None:
    if area is None or getattr(area, "kind", None) not in ACTIVITY_AREA_KINDS:
        raise _error("area", _("An activity is for a community or a grid."), "kind")
    if actor is not None and not access.can(actor, Perm.ACTIVITY_MANAGE, area.path):
        raise _error("area", _("No such record in your area."), "not_found")


def reviewer_choices(area: Area) -> list[User]:
    """Who may review proofs of an activity there: holders of `proof.review` on the area
    or above it."""
    seen: dict[int, User] = {}
    for membership in access.holders(Perm.PROOF_REVIEW, area.path, nearest=False):
        seen.setdefault(membership.user_id, membership.user)
    return list(seen.values())


def _check_reviewers(area: Area, reviewers: Iterable[User]) -> list[User]:
    allowed = {user.pk for user in reviewer_choices(area)}
    chosen = list(reviewers)
    if any(user.pk not in allowed for user in chosen):
        raise _error(
            "reviewers", _("A reviewer must review proofs in the activity's area."), "not_reviewer"
        )
    return chosen


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    area: Area,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    proof_kind: str,
    points: int,
    hours: Decimal | int | str,
    description: str = "",
    place: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int = 200,
    capacity: int | None = None,
    reviewers: Iterable[User] = (),
    publish: bool = False,
) -> Activity:
    """A new activity, a draft unless `publish`. `actor` None is the system (the demo)."""
    _check_area(actor, area)
    data = _clean(
        {
            "kind": kind, "title": title, "description": description, "starts_at": starts_at,
            "ends_at": ends_at, "place": place, "latitude": latitude, "longitude": longitude,
            "radius_m": radius_m, "capacity": capacity, "proof_kind": proof_kind,
            "points": points, "hours": hours,
        }
    )  # fmt: skip
    chosen = _check_reviewers(area, reviewers)
    activity = Activity.objects.create(
        area=area,
        area_path=area.path,
        checkin_token=new_checkin_token(),
        created_by=actor if actor is not None else _system_creator(area),
        **data,
    )
    activity.reviewers.set(chosen)
    audit_record(
        actor=actor, action="activity.create", obj=activity, area_path=area.path, fields=FIELDS
    )
    if publish:
        activity = activity_publish(actor=actor, activity=activity)
    return activity


def _system_creator(area: Area) -> User:
    """Activities made by the system (the demo loader) are credited to a keeper of the area."""
    holders = access.holders(Perm.ACTIVITY_MANAGE, area.path, nearest=False)
    if not holders:
        raise _error("area", _("Nobody manages activities in this area yet."), "no_manager")
    return holders[0].user


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


@transaction.atomic
def activity_update(*, actor: User | None, activity: Activity, **changes: Any) -> Activity:
    """Change a draft's or an open activity's fields (FIELDS, `area`, `reviewers`)."""
    activity = _locked(activity)
    access.require(actor, Perm.ACTIVITY_MANAGE, activity.area_path)
    if activity.status not in EDITABLE:
        raise IllegalTransition(_("A closed or cancelled activity is no longer edited."))
    unknown = set(changes) - set(FIELDS) - {"area", "reviewers"}
    if unknown:
        raise ValueError(f"not fields of an activity: {sorted(unknown)}")
    area = changes.pop("area", activity.area)
    if area.pk != activity.area_id:
        if activity.signups.exists():
            raise _error("area", _("People have signed up: the area no longer changes."), "locked")
        _check_area(actor, area)
    data = _clean({**{f: getattr(activity, f) for f in FIELDS}, **changes})
    taken = activity.signups.filter(status=SignupStatus.SIGNED_UP).count()
    if data["capacity"] is not None and data["capacity"] < taken:
        raise _error(
            "capacity",
            _("%(n)d people have signed up already: places cannot be fewer.") % {"n": taken},
            "below_signups",
        )
    reviewers = changes.get("reviewers")
    chosen = _check_reviewers(area, reviewers) if reviewers is not None else None
    changed = [f for f in FIELDS if getattr(activity, f) != data[f]]
    for field in FIELDS:
        setattr(activity, field, data[field])
    if area.pk != activity.area_id:
        activity.area, activity.area_path = area, area.path
        changed.append("area")
    activity.save()
    if chosen is not None:
        activity.reviewers.set(chosen)
        changed.append("reviewers")
    audit_record(
        actor=actor,
        action="activity.update",
        obj=activity,
        area_path=activity.area_path,
        fields=changed,
    )
    return activity


@transaction.atomic
def activity_transition(*, actor: User | None, activity: Activity, action: str) -> Activity:
    """Publish, close or cancel (TRANSITIONS)."""
    activity = _locked(activity)
    access.require(actor, Perm.ACTIVITY_MANAGE, activity.area_path)
    sources, target = TRANSITIONS[action]
    if activity.status not in sources:
        raise IllegalTransition()
    activity.status = target
    if action == "publish":
        activity.published_at = clock.now()
    activity.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action=f"activity.{action}",
        obj=activity,
        area_path=activity.area_path,
        fields=["status"],
    )
    return activity


def activity_publish(*, actor: User | None, activity: Activity) -> Activity:
    return activity_transition(actor=actor, activity=activity, action="publish")


def activity_close(*, actor: User | None, activity: Activity) -> Activity:
    """No more sign-ups or check-ins; proofs of those who took part still come in."""
    return activity_transition(actor=actor, activity=activity, action="close")


def activity_cancel(*, actor: User | None, activity: Activity) -> Activity:
    return activity_transition(actor=actor, activity=activity, action="cancel")


@transaction.atomic
def activity_rotate_checkin_token(*, actor: User | None, activity: Activity) -> Activity:
    """A new check-in token: the old QR (a leaked photo of the poster) stops working."""
    activity = _locked(activity)
    access.require(actor, Perm.ACTIVITY_MANAGE, activity.area_path)
    activity.checkin_token = new_checkin_token()
    activity.save(update_fields=["checkin_token", "updated_at"])
    audit_record(
        actor=actor,
        action="activity.rotate_token",
        obj=activity,
        area_path=activity.area_path,
        fields=["checkin_token"],
    )
    return activity


# --- who takes part ---------------------------------------------------------------------------


# The roles of those who take part (not staff: a grid worker takes part as a resident,
# through their own register record).
PARTICIPANT_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER})


def places_of(user: User, person: Person | None = None) -> list[str]:
    """Where someone takes part: the household of their register record (`person`, or the
    user's own), and the areas of their resident, volunteer or party member roles."""
    found = []
    record = person if person is not None else getattr(user, "person", None)
    if record is not None and record.area_path:
        found.append(record.area_path)
    if person is None:
        found += [g.path for g in access.grants(user) if g.role in PARTICIPANT_ROLES]
    return found


def open_to(activity: Activity, places: Iterable[str]) -> bool:
    """Is the activity for someone at `places`: does its area hold one of them?"""
    return any(scope.within(place, [activity.area_path]) for place in places)


def areas_holding(places: Iterable[str]) -> list[str]:
    """The paths of the nodes that hold any of `places` (themselves included): an activity
    there is open to someone at `places`."""
    return sorted({node for place in places for node in scope.ancestors(place, inclusive=True)})


def _account_for_person(person: Person, actor: User) -> User:
    """The account holding a register person's points: theirs, or a new resident account
    with no usable password, linked to the person (a parent signed up by a proxy), made as
    the portal makes one at a first SMS sign-in: a resident of the person's community,
    with the register's mobile number when it has one that no account uses, so that the
    parent signing in by SMS later finds this account and its points."""
    existing = User.objects.filter(person=person, is_active=True).order_by("pk").first()
    if existing is not None:
        return existing
    user = user_create(
        username=f"r-{secrets.token_hex(5)}",
        password=None,
        display_name=person.name,
        actor=actor,
    )
    # The system links it: the proxy's confirmed link is the authority, not a keeper's role.
    user_link_person(user=user, person=person, actor=None)
    membership_grant(user=user, area=person.household.community, role=Role.RESIDENT)
    # Copied from the register into the account (sealed again; audited as "user.phone").
    phone = reveal(person.phone)
    if phone:
        try:
            with transaction.atomic():
                user_set_phone(user=user, phone=phone)
        except ValidationError:
            pass  # another account has the number: the parent signs in by that one
    return user


def _participant(actor: User, person: Person | None) -> tuple[User, Person | None]:
    """Who takes part: the actor, or the person they act for (an active proxy link)."""
    if person is None or person.pk == actor.person_id:
        return actor, getattr(actor, "person", None)
    if proxy_link_for(actor, person.pk) is None:
        raise NotFound()
    return _account_for_person(person, actor), person


def may_act_for(actor: User | None, signup: Signup) -> bool:
    """The participant themselves, or someone who may act for the participant's person now."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if signup.participant_id == actor.pk:
        return True
    return signup.person_id is not None and proxy_link_for(actor, signup.person_id) is not None


@transaction.atomic
def signup_create(*, actor: User, activity: Activity, person: Person | None = None) -> Signup:
    """Sign up the actor, or — acting for `person` — that person. The activity's row is
    locked first, so two people never take the last place."""
    participant, record = _participant(actor, person)
    activity = _locked(activity)
    acting_for = participant.pk != actor.pk
    places = places_of(participant, record) if acting_for else places_of(actor)
    if activity.status == ActivityStatus.DRAFT or not open_to(activity, places):
        raise NotFound()
    if activity.status != ActivityStatus.PUBLISHED:
        raise _error("activity", _("This activity is not open for sign-up."), "not_open")
    if clock.now() >= activity.ends_at:
        raise _error("activity", _("This activity has ended."), "ended")
    if Signup.objects.filter(
        activity=activity, participant=participant, status=SignupStatus.SIGNED_UP
    ).exists():
        raise _error("activity", _("Already signed up for this activity."), "duplicate")
    if activity.capacity is not None:
        taken = activity.signups.filter(status=SignupStatus.SIGNED_UP).count()
        if taken >= activity.capacity:
            raise _error("activity", _("No places are left."), "full")
    signup = Signup.objects.create(
        activity=activity,
        participant=participant,
        person=record,
        signed_up_by=actor,
        area_path=activity.area_path,
    )
    purpose = "proxy sign-up" if acting_for else ""
    audit_record(
        actor=actor,
        action="signup.create",
        obj=signup,
        object_label=f"signup {signup.pk}",
        area_path=activity.area_path,
        fields=["activity", "participant"],
        purpose=purpose,
    )
    return signup


@transaction.atomic
def signup_cancel(*, actor: User, signup: Signup) -> Signup:
    """Give the place back (the participant or their proxy), before any proof is approved."""
    signup = Signup.objects.select_for_update().select_related("activity").get(pk=signup.pk)
    if not may_act_for(actor, signup):
        raise NotFound()
    if signup.status != SignupStatus.SIGNED_UP:
        raise IllegalTransition(_("This sign-up is already cancelled."))
    if signup.activity.status not in EDITABLE:
        raise _error("activity", _("This activity is over: the sign-up stays."), "over")
    if signup.proofs.filter(status=ProofStatus.APPROVED).exists():
        raise _error("signup", _("A proof was approved: the sign-up stays."), "approved")
    signup.status = SignupStatus.CANCELLED
    signup.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="signup.cancel",
        obj=signup,
        object_label=f"signup {signup.pk}",
        area_path=signup.area_path,
        fields=["status"],
    )
    return signup


# --- check-in and proofs -----------------------------------------------------------------------


def activity_for_token(token: str) -> Activity:
    """The published or closed activity whose QR carries `token`; NotFound otherwise."""
    if not token or len(token) > 64:
        raise NotFound()
    found = Activity.objects.filter(checkin_token=token).first()
    if found is None or found.status in (ActivityStatus.DRAFT, ActivityStatus.CANCELLED):
        raise NotFound()
    return found


@transaction.atomic
def checkin(
    *,
    actor: User,
    token: str,
    latitude: float | None = None,
    longitude: float | None = None,
    person: Person | None = None,
) -> tuple[Signup, Proof | None]:
    """Check in at the place by the activity's QR (for oneself or the person acted for);
    signs up first when there is a place. Returns the sign-up and, for an activity proved by
    check-in, its new proof."""
    activity = activity_for_token(token)
    participant, record = _participant(actor, person)
    now = clock.now()
    if activity.status != ActivityStatus.PUBLISHED:
        raise _error("token", _("This activity is closed: check-in has ended."), "closed")
    if not activity.starts_at <= now <= activity.ends_at:
        raise _error(
            "token",
            _("Check-in is open from %(start)s to %(end)s.")
            % {"start": _when(activity.starts_at), "end": _when(activity.ends_at)},
            "outside_time",
        )
    if activity.latitude is not None and activity.longitude is not None:
        if (latitude is None) != (longitude is None):
            raise _error("position", _("The position needs latitude and longitude."), "pair")
        if latitude is not None and longitude is not None:
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise _error("position", _("This is not a position on Earth."), "bounds")
            away = haversine_m(activity.latitude, activity.longitude, latitude, longitude)
            if away > activity.radius_m:
                raise _error(
                    "position",
                    _("You are %(away)d m from the place; check in within %(radius)d m.")
                    % {"away": round(away), "radius": activity.radius_m},
                    "too_far",
                )
    signup = Signup.objects.filter(
        activity=activity, participant=participant, status=SignupStatus.SIGNED_UP
    ).first()
    if signup is None:
        signup = signup_create(actor=actor, activity=activity, person=record if person else None)
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.checked_in_at is not None:
        raise _error(
            "token",
            _("Already checked in at %(when)s.") % {"when": _when(signup.checked_in_at)},
            "duplicate",
        )
    signup.checked_in_at = now
    signup.save(update_fields=["checked_in_at", "updated_at"])
    proof = None
    if activity.proof_kind == ProofKind.CHECKIN:
        proof = Proof.objects.create(
            signup=signup,
            kind=ProofKind.CHECKIN,
            taken_at=now,
            submitted_by=actor,
            area_path=signup.area_path,
        )
    audit_record(
        actor=actor,
        action="signup.checkin",
        obj=signup,
        object_label=f"signup {signup.pk}",
        area_path=signup.area_path,
        fields=["checked_in_at"],
    )
    return signup, proof


def _photo_flags(proof_file: photos.ProofFile, activity: Activity) -> list[dict[str, Any]]:
    """Why a reviewer should look twice at this photo (see the module's docstring)."""
    flags: list[dict[str, Any]] = []
    nearest: tuple[int, int] | None = None
    matches = 0
    earlier = Proof.objects.exclude(phash="").values_list("pk", "phash").iterator(2000)
    for pk, phash in earlier:
        d = photos.distance(proof_file.phash, phash)
        if d <= photos.DUPLICATE_DISTANCE:
            matches += 1
            if nearest is None or d < nearest[1]:
                nearest = (pk, d)
    if nearest is not None:
        flags.append(
            {
                "code": "duplicate_photo",
                "detail": {"proof": nearest[0], "distance": nearest[1], "matches": matches},
            }
        )
    taken = proof_file.taken_at
    if taken is None:
        flags.append({"code": "no_capture_time", "detail": {}})
    elif not (
        activity.starts_at - CAPTURE_TOLERANCE <= taken <= activity.ends_at + CAPTURE_TOLERANCE
    ):
        flags.append(
            {
                "code": "taken_outside_window",
                "detail": {
                    "taken_at": taken.isoformat(),
                    "starts_at": activity.starts_at.isoformat(),
                    "ends_at": activity.ends_at.isoformat(),
                    "tolerance_minutes": int(CAPTURE_TOLERANCE.total_seconds() // 60),
                },
            }
        )
    return flags


@transaction.atomic
def proof_submit(*, actor: User, signup: Signup, upload: Any = None, text: str = "") -> Proof:
    """Submit the proof the activity asks for: a photo or a video (`upload`), or a written
    account (`text`; with a file, a caption). By the participant or their proxy only."""
    signup = Signup.objects.select_for_update().select_related("activity").get(pk=signup.pk)
    if not may_act_for(actor, signup):
        raise NotFound()
    activity = signup.activity
    if signup.status != SignupStatus.SIGNED_UP:
        raise _error("signup", _("This sign-up is cancelled."), "cancelled")
    if activity.status not in (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED):
        raise _error("signup", _("This activity takes no proofs."), "not_open")
    if clock.now() < activity.starts_at:
        raise _error("signup", _("The activity has not started yet."), "not_started")
    if activity.proof_kind == ProofKind.CHECKIN:
        raise _error(
            "file", _("This activity is proved by checking in with its QR code at the place."), "kind"
        )  # fmt: skip
    pending = signup.proofs.filter(status__in=(ProofStatus.SUBMITTED, ProofStatus.APPROVED))
    if pending.filter(status=ProofStatus.APPROVED).exists():
        raise _error("signup", _("A proof of this sign-up is already approved."), "approved")
    if pending.exists():
        raise _error("signup", _("A proof is already waiting for review."), "waiting")
    text = (text or "").strip()
    if "\x00" in text:
        raise _error("text", _("The text contains a character that is not allowed."), "null")
    if len(text) > TEXT_MAX:
        raise _error("text", _("At most %(n)d characters.") % {"n": TEXT_MAX}, "max_length")
    proof = Proof(
        signup=signup,
        kind=activity.proof_kind,
        text=text,
        submitted_by=actor,
        area_path=signup.area_path,
    )
    if activity.proof_kind == ProofKind.TEXT:
        if upload is not None:
            raise _error("file", _("This activity asks for a written account, not a file."), "kind")
        if len(text) < TEXT_MIN:
            raise _error(
                "text", _("Write at least %(n)d characters.") % {"n": TEXT_MIN}, "min_length"
            )
        proof.save()
    else:
        if upload is None:
            message = (
                _("Add a photo.") if activity.proof_kind == ProofKind.PHOTO else _("Add a video.")
            )
            raise _error("file", message, "required")
        if activity.proof_kind == ProofKind.PHOTO:
            proof_file = photos.inspect_photo(upload, "file")
        else:
            proof_file = photos.inspect_video(upload, "file")
        if signup.proofs.filter(sha256=proof_file.sha256).exists():
            raise _error(
                "file", _("This file was already submitted for this sign-up."), "duplicate"
            )
        if activity.proof_kind == ProofKind.PHOTO:
            proof.flags = _photo_flags(proof_file, activity)
            proof.phash, proof.taken_at = proof_file.phash, proof_file.taken_at
        proof.content_type, proof.sha256 = proof_file.content_type, proof_file.sha256
        with uploads.StoredFiles() as files:
            proof.file = photos.store(proof_file)
            files.paths.append(proof.file)
            proof.save()
    audit_record(
        actor=actor,
        action="proof.submit",
        obj=proof,
        object_label=f"proof {proof.pk}",
        area_path=proof.area_path,
        fields=["kind", *(["file"] if proof.file else []), *(["text"] if text else [])],
        purpose=",".join(flag["code"] for flag in proof.flags),
    )
    return proof
