"""Writes for users, memberships, API keys and sign-in events."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access, managing
from gongzhi.accounts.models import (
    EXCLUSIVE_ROLES,
    PHONE_PURPOSE,
    SECOND_FACTOR_ROLES,
    ApiKey,
    Membership,
    ProxyLink,
    ProxyRelation,
    Role,
    SignInFailures,
    SmsCode,
    User,
)
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity
from gongzhi.core.crypto import blind_index
from gongzhi.core.errors import Forbidden

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor, Viewer

API_KEY_PREFIX = "gz"
# The roles a report-in (双报到) places someone in.
VOLUNTEER_ROLES = frozenset({Role.VOLUNTEER, Role.PARTY_MEMBER})


def _require_manager(actor: Actor, area: Any) -> None:
    """`actor` None is the system itself (the demo, migrations, the command line)."""
    if actor is not None and not access.can(actor, Perm.ACCOUNTS_MANAGE, area.path):
        raise Forbidden()


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    actor: Actor = None,
    is_demo: bool = False,
    password_hash: str | None = None,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("This username is taken.")]})
    user = User(username=username, display_name=display_name, is_demo=is_demo)
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, fields=["username", "display_name"])
    return user


def _not_grantable() -> ValidationError:
    return ValidationError(
        {
            "role": [
                ValidationError(
                    _(
                        "You cannot grant or revoke this role here: it carries permissions "
                        "you do not hold on this node yourself."
                    ),
                    code="not_grantable",
                )
            ]
        }
    )


def _check_grant(actor: Actor, user: User, role: str, area: Any) -> None:
    """The rules of `managing` for one role on one node: manager there (else Forbidden),
    not on one's own account, and no permission the actor lacks there."""
    _require_manager(actor, area)
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(
            {"role": [ValidationError(_("No one changes their own roles."), code="own_roles")]}
        )
    if role not in Role.values:
        raise ValidationError({"role": [ValidationError(_("Choose a role."), code="invalid")]})
    if not managing.role_grantable(actor, role, area.path):
        raise _not_grantable()


@transaction.atomic
def membership_grant(*, user: User, area: Any, role: str, actor: Actor = None) -> Membership:
    """Give `user` the role on `area` (see `managing` for who may). Those who place
    volunteers (`volunteers.manage`) may also give the volunteer roles there, to someone
    else. An auditor may never also be a system administrator: the account's row is locked,
    so two grants at once cannot make one."""
    places_volunteer = (
        role in VOLUNTEER_ROLES
        and actor is not None
        and actor.pk != user.pk
        and access.can(actor, Perm.VOLUNTEERS_MANAGE, area.path)
    )
    if not places_volunteer:
        _check_grant(actor, user, role, area)
    User.objects.select_for_update().filter(pk=user.pk).first()
    held = set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))
    if role in EXCLUSIVE_ROLES and (held & EXCLUSIVE_ROLES) - {role}:
        raise ValidationError(
            {"role": [_("An auditor cannot also be a system administrator, nor the reverse.")]}
        )
    now = clock.now()
    granted_by = actor if getattr(actor, "pk", None) else None
    membership, created = Membership.objects.get_or_create(
        user=user,
        area=area,
        role=role,
        defaults={"is_active": True, "granted_at": now, "granted_by": granted_by},
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.granted_at, membership.granted_by = now, granted_by
        membership.save(update_fields=["is_active", "granted_at", "granted_by", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.grant",
        obj=membership,
        area_path=area.path,
        fields=["role", "area"],
    )
    access.forget(user)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: Actor = None) -> Membership:
    """End a role (and its API keys); the same rules as granting it."""
    _check_grant(actor, membership.user, membership.role, membership.area)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    ApiKey.objects.filter(membership=membership, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit_record(
        actor=actor,
        action="membership.revoke",
        obj=membership,
        area_path=membership.area.path,
        fields=["is_active"],
    )
    access.forget(membership.user)
    return membership


def _hash_secret(secret: str) -> str:
    # The secret is 32 random bytes: a fast hash is enough, a slow one buys nothing.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def api_key_issue(*, membership: Membership, name: str, actor: Actor = None) -> tuple[ApiKey, str]:
    """A new key acting as `membership`. The returned text is the only copy of the key.

    Not for auditors and administrators: their roles need a second factor at every
    sign-in, which a key would bypass."""
    _require_manager(actor, membership.area)
    if membership.role in SECOND_FACTOR_ROLES:
        raise ValidationError(
            {"membership": [_("Roles that need a second factor cannot have API keys.")]}
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        membership=membership,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="apikey.issue",
        obj=key,
        area_path=membership.area.path,
        fields=["name", "membership"],
    )
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


def api_key_authenticate(raw: str) -> Membership | None:
    """The membership a presented key acts as, or None for an unknown/revoked/expired key."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("membership__user", "membership__area")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if key is None or not secrets.compare_digest(key.secret_hash, _hash_secret(parts[2])):
        return None
    now = clock.now()
    if key.expires_at and key.expires_at <= now:
        return None
    membership = key.membership
    if not membership.is_active or not membership.user.is_active:
        return None
    if membership.role in SECOND_FACTOR_ROLES:
        return None
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return membership


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor = None) -> ApiKey:
    _require_manager(actor, key.membership.area)
    key.revoked_at = clock.now()
    key.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=actor,
        action="apikey.revoke",
        obj=key,
        area_path=key.membership.area.path,
        fields=["revoked_at"],
    )
    return key


def requires_second_factor(user: Viewer | None) -> bool:
    return bool(access.roles(user) & SECOND_FACTOR_ROLES)


@transaction.atomic
def sign_in_recorded(*, user: User, second_factor: bool = False) -> None:
    audit_record(
        actor=user,
        action="auth.login.otp" if second_factor else "auth.login",
        obj=user,
    )


@transaction.atomic
def sign_out_recorded(*, user: User) -> None:
    audit_record(actor=user, action="auth.logout", obj=user)


# --- failed sign-ins: growing delays per account name (or number) and client address -----------
#
# Five free failures (GONGZHI_SIGN_IN_FREE_FAILURES), then each one closes that name to
# that address for GONGZHI_SIGN_IN_DELAY_SECONDS, doubling up to
# GONGZHI_SIGN_IN_MAX_DELAY_SECONDS; forgotten after GONGZHI_SIGN_IN_FORGET_SECONDS
# without a failure, or at the next success. Other addresses are not affected, so no
# stranger can lock an auditor out; the pages' per-address rate (core.throttling) bounds
# how many names one address may try.


def _keyed(text: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def _failures_key(kind: str, ident: str, ip: str) -> str:
    return _keyed(f"sign-in|{kind}|{ident.strip().lower()}|{ip}")


def sign_in_wait(*, kind: str, ident: str, ip: str) -> int:
    """Seconds before `ident` may be tried again from `ip` (0: now)."""
    blocked_until = (
        SignInFailures.objects.filter(key=_failures_key(kind, ident, ip))
        .values_list("blocked_until", flat=True)
        .first()
    )
    if blocked_until is None:
        return 0
    return max(0, math.ceil((blocked_until - clock.now()).total_seconds()))


@transaction.atomic
def sign_in_failure(*, kind: str, ident: str, ip: str, free: int | None = None) -> tuple[int, int]:
    """Count a failure of `ident` from `ip`: (failures so far, the delay it now imposes in
    seconds, 0 for none)."""
    now = clock.now()
    free = free if free is not None else _setting("GONGZHI_SIGN_IN_FREE_FAILURES", 5)
    forget = dt.timedelta(seconds=_setting("GONGZHI_SIGN_IN_FORGET_SECONDS", 86400))
    row, _created = SignInFailures.objects.select_for_update().get_or_create(
        key=_failures_key(kind, ident, ip), defaults={"last_failure_at": now}
    )
    if now - row.last_failure_at > forget:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = 0
    if row.failures >= free:
        base = _setting("GONGZHI_SIGN_IN_DELAY_SECONDS", 60)
        ceiling = _setting("GONGZHI_SIGN_IN_MAX_DELAY_SECONDS", 3600)
        delay = min(base * 2 ** min(row.failures - free, 30), ceiling)
        row.blocked_until = now + dt.timedelta(seconds=delay)
    row.save()
    return row.failures, delay


def sign_in_forgiven(*, kind: str, ident: str, ip: str) -> None:
    """A success: earlier failures of `ident` from `ip` no longer count."""
    SignInFailures.objects.filter(key=_failures_key(kind, ident, ip)).delete()


def username_digest(username: str) -> str:
    """What the audit log keeps of a name that is no account: a keyed digest."""
    return _keyed(f"username|{username.strip().lower()}")[:32]


@transaction.atomic
def password_sign_in_failed(*, username: str, ip: str) -> int:
    """A wrong password (or unknown name): audited by account id, or by a digest of a name
    that is no account (never the name or the password); the delay now imposed."""
    user = User.objects.filter(username__iexact=username.strip()).only("pk").first()
    if user is not None:
        audit_record(
            actor=None, action="auth.login.failed", object_type="accounts.user", object_id=user.pk
        )
    else:
        audit_record(
            actor=None,
            action="auth.login.failed",
            object_type="accounts.username",
            object_id=username_digest(username),
        )
    return sign_in_failure(kind="password", ident=username, ip=ip)[1]


def prune_sign_in_failures() -> int:
    """Forget failures older than GONGZHI_SIGN_IN_FORGET_SECONDS whose delay has passed."""
    now = clock.now()
    cutoff = now - dt.timedelta(seconds=_setting("GONGZHI_SIGN_IN_FORGET_SECONDS", 86400))
    old = SignInFailures.objects.filter(last_failure_at__lt=cutoff)
    deleted, _ = old.exclude(blocked_until__gt=now).delete()
    return deleted


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: Actor, action: str) -> User:
    """A new password for `user`, checked by AUTH_PASSWORD_VALIDATORS; the caller has
    proven the right to set it (the old password, or a code sent to the user's phone).
    Every other session of the user ends (Django's session hash changes)."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.error_list}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=action, obj=user, fields=["password"])
    return user


# --- residents: phone, register person, elder mode, proxies ----------------------------------
#
# Persons of the register are passed in by the layers above (accounts may not import the
# register); a person is anything with `pk` and `area_path`.


def _require_keeper(actor: Actor, path: str) -> None:
    """Linking accounts to the register is for those who keep it there (or the system)."""
    if actor is not None and not access.can(actor, Perm.REGISTER_EDIT, path):
        raise Forbidden()


def _require_proxy_confirmer(actor: Actor, path: str) -> None:
    """Proxy links are confirmed and ended by the person's grid worker or building head
    (`proxy.confirm` where the person lives), or by the system."""
    if actor is not None and not access.can(actor, Perm.PROXY_CONFIRM, path):
        raise Forbidden()


def normalize_mobile(value: str, field: str = "phone") -> str:
    """A mainland mobile number (11 digits starting with 1): what SMS can reach."""
    try:
        phone = identity.normalize_phone(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None
    if not (len(phone) == 11 and phone.startswith("1")):
        raise ValidationError(
            {
                field: [
                    ValidationError(
                        _(
                            "Enter a mobile number (11 digits starting with 1): SMS cannot reach a landline."
                        ),
                        code="not_mobile",
                    )
                ]
            }
        )
    return phone


def phone_index(phone: str) -> str:
    return blind_index(phone, PHONE_PURPOSE)


@transaction.atomic
def user_set_phone(*, user: User, phone: str, actor: Actor = None) -> User:
    """Give the user a mobile number (for SMS sign-in, SMS notifications and password
    links), or clear it with "". One account per number. The user may change their own; a
    manager only that of an account whose every role they could grant (`managing`)."""
    own = getattr(actor, "pk", None) == user.pk
    if actor is not None and not own and not managing.account_dominated(actor, user):
        raise Forbidden()
    if phone:
        normalized = normalize_mobile(phone)
        index = phone_index(normalized)
        taken = User.objects.filter(phone_index=index).exclude(pk=user.pk).exists()
        if taken:
            raise ValidationError(
                {
                    "phone": [
                        ValidationError(
                            _("Another account already uses this mobile number."),
                            code="duplicate",
                        )
                    ]
                }
            )
        user.phone, user.phone_index = normalized, index
    else:
        user.phone, user.phone_index = "", ""
    user.save(update_fields=["phone", "phone_index"])
    audit_record(actor=actor, action="user.phone", obj=user, fields=["phone"])
    return user


@transaction.atomic
def user_link_person(*, user: User, person: Any, actor: Actor = None) -> User:
    """Link the account to its holder's own record in the register (None unlinks)."""
    path = person.area_path if person is not None else ""
    if person is not None:
        _require_keeper(actor, path)
    elif user.person_id is not None and actor is not None:
        # The stored link, not the caller's copy: the keeper of that record may unlink it.
        stored = User.objects.select_related("person").get(pk=user.pk).person
        if stored is not None:
            _require_keeper(actor, stored.area_path)
    user.person = person
    user.save(update_fields=["person"])
    audit_record(
        actor=actor, action="user.link_person", obj=user, area_path=path, fields=["person"]
    )
    return user


@transaction.atomic
def user_set_elder_mode(*, user: User, on: bool) -> User:
    """The user's own display preference; not audited (it changes no one's data)."""
    if user.elder_mode != on:
        user.elder_mode = on
        user.save(update_fields=["elder_mode"])
    return user


@transaction.atomic
def proxy_link_create(
    *, user: User, person: Any, relation: str, label: str = "", actor: Actor = None
) -> ProxyLink:
    """Let `user` act for `person` (a family member for an elderly parent). Confirmed by
    `actor`, the person's grid worker or building head (None: the system)."""
    _require_proxy_confirmer(actor, person.area_path)
    errors: dict[str, list[ValidationError]] = {}
    if relation not in ProxyRelation.values:
        errors["relation"] = [ValidationError(_("Choose how they are related."), code="invalid")]
    label = (label or "").strip()
    if len(label) > 20:
        errors["label"] = [ValidationError(_("At most 20 characters."), code="max_length")]
    if user.person_id is not None and user.person_id == person.pk:
        errors["person"] = [ValidationError(_("One does not act for oneself."), code="self")]
    elif ProxyLink.objects.filter(user=user, person_id=person.pk, is_active=True).exists():
        errors["person"] = [
            ValidationError(_("This account can already act for this person."), code="duplicate")
        ]
    if errors:
        raise ValidationError(errors)
    link = ProxyLink.objects.create(
        user=user,
        person_id=person.pk,
        relation=relation,
        label=label,
        confirmed_by=actor if getattr(actor, "pk", None) else None,
        confirmed_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="proxy.link",
        obj=link,
        area_path=person.area_path,
        fields=["user", "person", "relation"],
    )
    return link


@transaction.atomic
def proxy_link_end(*, link: ProxyLink, actor: Actor, area_path: str = "") -> ProxyLink:
    """End a proxy link: by the proxy themselves, or by the person's grid worker or building
    head (`area_path`: the person's, which the caller looked up)."""
    if actor is not None and getattr(actor, "pk", None) != link.user_id:
        _require_proxy_confirmer(actor, area_path or "-")
    link = ProxyLink.objects.select_for_update().get(pk=link.pk)
    if link.is_active:
        link.is_active = False
        link.ended_at = clock.now()
        link.ended_by = actor if getattr(actor, "pk", None) else None
        link.save(update_fields=["is_active", "ended_at", "ended_by", "updated_at"])
        audit_record(
            actor=actor, action="proxy.end", obj=link, area_path=area_path, fields=["is_active"]
        )
    return link


# --- sign-in by SMS code -----------------------------------------------------------------------

CODE_DIGITS = 6


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _code_hash(phone_idx: str, code: str) -> str:
    # Keyed by the server's secret: a leaked table gives no codes. Codes live 5 minutes.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{phone_idx}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _rate_limited() -> ValidationError:
    return ValidationError(
        {
            "phone": [
                ValidationError(
                    _("Too many codes were asked for; wait a few minutes, then try again."),
                    code="rate_limited",
                )
            ]
        }
    )


@transaction.atomic
def sms_code_issue(*, phone: str, ip: str = "", purpose: str = "login") -> tuple[SmsCode, str, str]:
    """A new sign-in code for `phone`: (the row, the code to text, the normalised phone).

    Rate limits per number (GONGZHI_SMS_CODE_PER_PHONE_MINUTE, …_PER_PHONE_HOUR) and per
    client address (…_PER_IP_HOUR) count every request, registered number or not. The
    caller decides whether to text the code (only to numbers that may sign in) and must
    answer the same either way. Only the latest code of a number counts.
    """
    normalized = normalize_mobile(phone)
    index = phone_index(normalized)
    now = clock.now()
    minute, hour = now - dt.timedelta(minutes=1), now - dt.timedelta(hours=1)
    recent = list(
        SmsCode.objects.filter(phone_index=index, created_at__gt=hour).values_list(
            "created_at", flat=True
        )
    )
    if sum(1 for at in recent if at > minute) >= _setting(
        "GONGZHI_SMS_CODE_PER_PHONE_MINUTE", 1
    ) or len(recent) >= _setting("GONGZHI_SMS_CODE_PER_PHONE_HOUR", 5):
        raise _rate_limited()
    if ip and SmsCode.objects.filter(ip=ip, created_at__gt=hour).count() >= _setting(
        "GONGZHI_SMS_CODE_PER_IP_HOUR", 20
    ):
        raise _rate_limited()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = SmsCode.objects.create(
        phone_index=index,
        code_hash=_code_hash(index, code),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=_setting("GONGZHI_SMS_CODE_TTL_SECONDS", 300)),
        ip=ip[:45],
        purpose=purpose,
    )
    return row, code, normalized


def _code_error(message: Any, code: str) -> ValidationError:
    return ValidationError({"code": [ValidationError(message, code=code)]})


def sms_code_check(*, phone: str, code: str, ip: str = "", purpose: str = "login") -> str:
    """Spend a code: the normalised phone when `code` is the number's latest code for
    `purpose`, unexpired and unused.

    Wrong codes count per number *and client address*: after GONGZHI_SMS_CODE_MAX_ATTEMPTS
    of them that address meets growing delays for that number (as wrong passwords do),
    while the code stays good for its owner elsewhere, so a stranger's guesses cannot burn
    a resident's code. Counts are committed even though this raises."""
    normalized = normalize_mobile(phone)
    index = phone_index(normalized)
    code = "".join((code or "").split())
    now = clock.now()
    max_attempts = _setting("GONGZHI_SMS_CODE_MAX_ATTEMPTS", 5)
    with transaction.atomic():
        wait = sign_in_wait(kind="sms", ident=index, ip=ip)
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone_index=index, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if wait:
            error = _code_error(
                _("Too many wrong codes; try again in %(minutes)d minutes.")
                % {"minutes": max(1, math.ceil(wait / 60))},
                "too_many_attempts",
            )
        elif row is None:
            error = _code_error(_("Ask for a code first."), "no_code")
        elif row.used_at is not None:
            error = _code_error(_("This code was already used; ask for a new one."), "used")
        elif row.expires_at <= now:
            error = _code_error(_("This code has expired; ask for a new one."), "expired")
        elif not (
            code.isdigit()
            and len(code) == CODE_DIGITS
            and hmac.compare_digest(row.code_hash, _code_hash(index, code))
        ):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            failures, _delay = sign_in_failure(kind="sms", ident=index, ip=ip, free=max_attempts)
            if failures == max_attempts:
                # This address may no longer try codes for this number for a while.
                audit_record(
                    actor=None,
                    action="auth.sms_code.exhausted",
                    object_type="accounts.smscode",
                    object_id=row.pk,
                    fields=["attempts"],
                )
            error = _code_error(_("This code is wrong."), "wrong")
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            sign_in_forgiven(kind="sms", ident=index, ip=ip)
            return normalized
    raise error


def user_for_phone(phone: str) -> User | None:
    """The account that signs in with this (normalised) mobile number, if any."""
    return User.objects.filter(phone_index=phone_index(phone), is_active=True).first()


@transaction.atomic
def sign_in_recorded_by_code(*, user: User) -> None:
    audit_record(actor=user, action="auth.login.sms", obj=user)
