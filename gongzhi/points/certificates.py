"""Certificates of service hours (电子证照): the communities' signing keys, issuing a
certificate, and checking one.

- **Keys**: one current key per community (a database constraint), made on first need with
  the deployment's algorithm (`GONGZHI_CERTIFICATE_ALGORITHM`). A rotation (by a holder of
  CERTIFICATE_KEYS there) retires the key — it signs nothing more — and makes a new one;
  the retired key stays published, so what it signed before still verifies. Audited.
- **What a certificate states** (its signed payload, shown to whoever it is handed to):
  serial, community code and name, the holder's name MASKED (张*明), the hours, the period,
  when it was issued, and the key id and algorithm. No ID number, phone, address or
  account name: the masked name and the serial are enough for the community to look the
  certificate up in its register; the third party learns the hours, not who else the
  person is.
- **Hours**: the sum of the holder's ledger hours (`LedgerEntry.hours`) earned in the
  community (entries whose place lies in it) between the period's first and last day,
  both included, in local time. Reversals carry negative hours and count.
- **Checking**: `certificate_verify(text)` runs `signing.verify_token` against the keys in
  the database; offline, the same function runs against the published keys file.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import Viewer
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Conflict, NotFound
from gongzhi.core.masking import mask_name
from gongzhi.points import signing
from gongzhi.points.ledger import home_path_of
from gongzhi.points.models import Certificate, LedgerEntry, SigningKey
from gongzhi.registry.models import Area, AreaKind

PERIOD_MAX_DAYS = 366 * 5
SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed in


# --- keys -----------------------------------------------------------------------------------


def configured_algorithm() -> str:
    algorithm = str(getattr(settings, "GONGZHI_CERTIFICATE_ALGORITHM", "") or signing.ED25519)
    algorithm = algorithm.strip().lower()
    if algorithm not in signing.ALGORITHMS:
        raise ValueError(
            f"GONGZHI_CERTIFICATE_ALGORITHM must be one of {', '.join(signing.ALGORITHMS)}"
        )
    return algorithm


def _key_new(community: Area, actor: User | None) -> SigningKey:
    pair = signing.generate(configured_algorithm())
    key = SigningKey.objects.create(
        community=community,
        area_path=community.path,
        key_id=pair.key_id,
        algorithm=pair.algorithm,
        public_key=pair.public_key,
        private_key=pair.private_key,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="certificate.key_create",
        obj=key,
        object_label=f"{community.code} {pair.algorithm} {pair.key_id}",
        area_path=community.path,
    )
    return key


def _current(community: Area) -> SigningKey | None:
    return SigningKey.objects.filter(community=community, retired_at=None).first()


def _check_community(community: Area) -> None:
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError({"community": _("Signing keys belong to a community.")})


def signing_key_ensure(*, community: Area, actor: User | None = None) -> SigningKey:
    """The community's current key, made now if it has none. `actor` None is the system
    (making the key on a holder's first certificate); a person needs CERTIFICATE_KEYS."""
    _check_community(community)
    access.require(actor, Perm.CERTIFICATE_KEYS, community.path)
    key = _current(community)
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _key_new(community, actor)
    except IntegrityError:  # made at the same moment by another request
        key = _current(community)
        if key is None:
            raise
        return key


@transaction.atomic
def signing_key_rotate(*, community: Area, actor: User | None) -> SigningKey:
    """Retire the current key (it signs no more, still verifies) and make a new one."""
    _check_community(community)
    access.require(actor, Perm.CERTIFICATE_KEYS, community.path)
    old = SigningKey.objects.select_for_update().filter(community=community, retired_at=None)
    now = clock.now()
    for key in old:
        key.retired_at = now
        key.save(update_fields=["retired_at", "updated_at"])
        audit_record(
            actor=actor,
            action="certificate.key_retire",
            obj=key,
            object_label=f"{community.code} {key.algorithm} {key.key_id}",
            area_path=community.path,
        )
    return _key_new(community, actor)


def public_key_of(key: SigningKey) -> signing.PublicKey:
    community = key.community
    return signing.PublicKey(
        key_id=key.key_id,
        algorithm=key.algorithm,
        public_key=key.public_key,
        community_code=community.code,
        community_name=community.name,
        valid_from=key.created_at,
        retired_at=key.retired_at,
    )


def published_keys() -> list[signing.PublicKey]:
    """Every community's public keys, current and retired: public by design."""
    keys = SigningKey.objects.select_related("community").order_by("community__code", "created_at")
    return [public_key_of(key) for key in keys]


def keys_document() -> dict[str, object]:
    return signing.keys_document(published_keys())


def key_communities_for(*, user: Viewer) -> list[Area]:
    """The communities whose keys the user manages (CERTIFICATE_KEYS on them or above)."""
    return list(
        Area.objects.restrict(user, Perm.CERTIFICATE_KEYS)
        .filter(kind=AreaKind.COMMUNITY)
        .order_by("code")
    )


def key_community_get_for(*, user: Viewer, community_id: object) -> Area:
    """A community whose keys the user manages; NotFound otherwise (missing or not theirs)."""
    try:
        pk = int(str(community_id))
    except ValueError:
        raise NotFound() from None
    for community in key_communities_for(user=user):
        if community.pk == pk:
            return community
    raise NotFound()


def keys_of(community: Area) -> QuerySet[SigningKey]:
    return SigningKey.objects.filter(community=community).order_by("-created_at", "-pk")


# --- issuing --------------------------------------------------------------------------------


def home_community_of(user: User) -> Area | None:
    """The community of the holder's place (their household, or where they serve)."""
    path = home_path_of(user)
    if not path:
        return None
    above = scope.ancestors(path, inclusive=True)
    return Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=above).first()


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return low, high


def hours_of(*, holder: User, community: Area, start: dt.date, end: dt.date) -> Decimal:
    """The holder's service hours earned in the community between two days, both included."""
    low, high = _day_bounds(start, end)
    rows = LedgerEntry.objects.within(community.path).filter(
        holder=holder, at__gte=low, at__lt=high
    )
    total = rows.aggregate(total=Sum("hours"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.1"))


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    errors: dict[str, str] = {}
    today = clock.today()
    if start is None:
        errors["period_start"] = _("Give the first day of the period.")
    if end is None:
        errors["period_end"] = _("Give the last day of the period.")
    if start and end:
        if end < start:
            errors["period_end"] = _("The period cannot end before it starts.")
        elif end > today:
            errors["period_end"] = _("The period cannot end in the future.")
        elif (end - start).days > PERIOD_MAX_DAYS:
            errors["period_start"] = _("A certificate covers at most five years.")
    if errors:
        raise ValidationError(errors)


def holder_label(user: User) -> str:
    """The holder's name as a certificate shows it: masked (张*明)."""
    person = getattr(user, "person", None)
    name = (user.display_name or (person.name if person is not None else "")).strip()
    return mask_name(name) if name else "*"


def _private_key(key: SigningKey) -> str:
    sealed = key.private_key
    return sealed.reveal() if hasattr(sealed, "reveal") else str(sealed)


def _serial() -> str:
    raw = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _iso_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@transaction.atomic
def certificate_issue(
    *, actor: User, period_start: dt.date | None, period_end: dt.date | None
) -> Certificate:
    """Sign a certificate of the actor's own service hours in their community for a period.
    Refused (ValidationError naming the field) for a bad period or zero hours."""
    check_period(period_start, period_end)
    assert period_start is not None and period_end is not None
    community = home_community_of(actor)
    if community is None:
        raise ValidationError(
            {"period_start": _("Your account belongs to no community, so none can sign.")}
        )
    hours = hours_of(holder=actor, community=community, start=period_start, end=period_end)
    if hours <= 0:
        raise ValidationError(
            {"period_start": _("You have no service hours in this period: nothing to certify.")}
        )
    key = signing_key_ensure(community=community)
    if key.retired_at is not None:  # never: the current key is the unretired one
        raise Conflict(_("The community's signing key is retired."))
    issued_at = clock.now()
    serial = _serial()
    payload = {
        "v": signing.PAYLOAD_VERSION,
        "serial": serial,
        "community_code": community.code,
        "community_name": community.name,
        "holder": holder_label(actor),
        "hours": str(hours),
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "issued_at": _iso_utc(issued_at),
        "key_id": key.key_id,
        "alg": key.algorithm,
    }
    raw = signing.canonical(payload)
    # The sealed private half is opened only here, to sign; the issue is audited below.
    private_key = _private_key(key)
    signature = signing.sign(key.algorithm, private_key, key.public_key, raw)
    certificate = Certificate.objects.create(
        holder=actor,
        key=key,
        serial=serial,
        payload=raw.decode("utf-8"),
        signature=signing.b64url(signature),
        hours=hours,
        period_start=period_start,
        period_end=period_end,
        area_path=community.path,
    )
    audit_record(
        actor=actor,
        action="certificate.issue",
        obj=certificate,
        object_label=serial,
        area_path=community.path,
    )
    return certificate


# --- reading --------------------------------------------------------------------------------


def token_of(certificate: Certificate) -> str:
    return signing.token_of(
        certificate.payload.encode("utf-8"), signing.b64url_decode(certificate.signature)
    )


@dataclass(frozen=True)
class Shown:
    """A certificate as its pages show it: what its payload states, and its token."""

    certificate: Certificate
    payload: dict[str, object]
    token: str


def shown(certificate: Certificate) -> Shown:
    _raw, _signature, payload = signing.decode(token_of(certificate))
    return Shown(certificate, payload, token_of(certificate))


def stated_holder(certificate: Certificate) -> str:
    """The holder's name as the certificate states it (masked)."""
    return str(json.loads(certificate.payload).get("holder", ""))


def my_certificates(*, user: Viewer) -> QuerySet[Certificate]:
    if not getattr(user, "is_authenticated", False):
        return Certificate.objects.none()
    return Certificate.objects.filter(holder_id=user.pk).order_by("-created_at", "-pk")


def my_certificate_get(*, user: Viewer, certificate_id: int) -> Certificate:
    """One of the user's own certificates; NotFound for anyone else's."""
    found = my_certificates(user=user).filter(pk=certificate_id).first()
    if found is None:
        raise NotFound()
    return found


def certificates_in_scope(*, user: Viewer) -> QuerySet[Certificate]:
    """Certificates issued where the user holds POINTS_VIEW."""
    return (
        Certificate.objects.restrict(user, Perm.POINTS_VIEW)
        .select_related("key")
        .order_by("-created_at", "-pk")
    )


# --- checking -------------------------------------------------------------------------------


def _lookup(key_id: str) -> signing.PublicKey | None:
    key = SigningKey.objects.select_related("community").filter(key_id=key_id).first()
    return public_key_of(key) if key is not None else None


def certificate_verify(text: str) -> signing.Verification:
    """Check a pasted or scanned token (or a /verify link holding one) against the keys."""
    return signing.verify_token(signing.token_from_text(text), _lookup)
