"""Writes for users, memberships, API keys and sign-in events."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import EXCLUSIVE_ROLES, SECOND_FACTOR_ROLES, ApiKey, Membership, User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden

API_KEY_PREFIX = "gz"


def _require_manager(actor: Any, area: Any) -> None:
    """`actor` None is the system itself (the demo, migrations, the command line)."""
    if actor is not None and not access.can(actor, Perm.ACCOUNTS_MANAGE, area.path):
        raise Forbidden()


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    actor: Any = None,
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


@transaction.atomic
def membership_grant(*, user: User, area: Any, role: str, actor: Any = None) -> Membership:
    """Give `user` the role on `area`. An auditor may not also be a system administrator."""
    _require_manager(actor, area)
    held = set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))
    if role in EXCLUSIVE_ROLES and (held & EXCLUSIVE_ROLES) - {role}:
        raise ValidationError(
            {"role": [_("An auditor cannot also be a system administrator, nor the reverse.")]}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, area=area, role=role, defaults={"is_active": True}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
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
def membership_revoke(*, membership: Membership, actor: Any = None) -> Membership:
    _require_manager(actor, membership.area)
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
    return membership


def _hash_secret(secret: str) -> str:
    # The secret is 32 random bytes: a fast hash is enough, a slow one buys nothing.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def api_key_issue(*, membership: Membership, name: str, actor: Any = None) -> tuple[ApiKey, str]:
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
def api_key_revoke(*, key: ApiKey, actor: Any = None) -> ApiKey:
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


def requires_second_factor(user: Any) -> bool:
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
