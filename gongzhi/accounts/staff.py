"""Staff administration: staff accounts, their roles on the tree, password links sent by
SMS, deactivation, second-factor resets, who holds what; and one's own sign-ins.

Reads and writes of one concept, as `registry.transfers` does. Who may do what is
`managing` (on top of `access`); every write is audited in its transaction with the
account's username, never a holder's name, phone or a link's token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user

from gongzhi.accounts import access, events, managing
from gongzhi.accounts.models import (
    AccountLink,
    AccountLinkKind,
    ApiKey,
    Membership,
    Role,
    User,
)
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import (
    membership_grant,
    normalize_mobile,
    phone_index,
    user_create,
    user_set_password,
    user_set_phone,
)
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, identity, scope
from gongzhi.core.errors import Forbidden
from gongzhi.core.lookup import get_by_id
from gongzhi.core.validation import Errors, raise_errors, text_field

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor, Viewer

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,39}$")
REASON_MAX = 200
AREA_CHOICES_MAX = 2000
LINK_PARAM = "t"  # the query parameter of a password link that holds its token
# Statuses of the account list's filter.
ACTIVE, INACTIVE = "active", "inactive"


def _area_model() -> Any:
    """The tree's node model, reached through the membership's foreign key: the register
    is above accounts, so accounts does not import it."""
    return Membership._meta.get_field("area").related_model


# --- reads --------------------------------------------------------------------------------------


def _memberships_in_scope(user: Viewer) -> QuerySet[Membership]:
    return access.restrict(Membership.objects.all(), user, Perm.ACCOUNTS_MANAGE, field="area__path")


def staff_list_for(
    *, user: Viewer, q: str = "", role: str = "", status: str = ""
) -> QuerySet[User]:
    """Accounts holding (or having held) a staff role where `user` manages accounts; those
    with no role at all for whoever manages at the root. Residents are the portal's.
    Each account's `roles_here`: its active roles within the manager's scope."""
    staff = _memberships_in_scope(user).exclude(role=Role.RESIDENT)
    if role:
        staff = staff.filter(role=role, is_active=True)
    reach = Q(pk__in=staff.values("user_id"))
    if not role and access.can(user, Perm.ACCOUNTS_MANAGE, scope.ROOT_PATH):
        reach |= Q(memberships__isnull=True)
    users = User.objects.filter(reach)
    q = (q or "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if status == ACTIVE:
        users = users.filter(is_active=True)
    elif status == INACTIVE:
        users = users.filter(is_active=False)
    roles_here = _memberships_in_scope(user).filter(is_active=True).select_related("area")
    return (
        users.distinct()
        .order_by("username")
        .prefetch_related(
            Prefetch(
                "memberships", queryset=roles_here.order_by("area__path"), to_attr="roles_here"
            )
        )
    )


def staff_get_for(*, user: Viewer, user_id: Any) -> User:
    """One account of `staff_list_for` (residents' too, where they are in scope): NotFound
    for a missing account and one out of the manager's reach alike."""
    reach = Q(pk__in=_memberships_in_scope(user).values("user_id"))
    if access.can(user, Perm.ACCOUNTS_MANAGE, scope.ROOT_PATH):
        reach |= Q(memberships__isnull=True)
    return get_by_id(User.objects.filter(reach).distinct(), user_id)


def roles_of(*, user: Viewer, account: User) -> QuerySet[Membership]:
    """The account's roles (active and ended) that `user` can see: within their scope."""
    return (
        _memberships_in_scope(user)
        .filter(user=account)
        .select_related("area", "granted_by")
        .order_by("-is_active", "area__path", "role")
    )


def membership_get_for(*, user: Viewer, account: User, membership_id: Any) -> Membership:
    return get_by_id(roles_of(user=user, account=account), membership_id)


def area_for_manager(*, user: Viewer, area_id: Any) -> Any:
    """A node of the tree where `user` manages accounts; NotFound otherwise."""
    nodes = access.restrict(_area_model().objects.all(), user, Perm.ACCOUNTS_MANAGE, field="path")
    return get_by_id(nodes, area_id)


def areas_for_manager(*, user: Viewer) -> list[Any]:
    """The nodes where `user` manages accounts, in tree order (the first 2,000)."""
    nodes = access.restrict(_area_model().objects.all(), user, Perm.ACCOUNTS_MANAGE, field="path")
    return list(
        nodes.order_by("path").only("pk", "name", "path", "depth", "kind")[:AREA_CHOICES_MAX]
    )


def top_areas_for_manager(*, user: Viewer) -> list[Any]:
    """The highest nodes where `user` manages accounts."""
    held = access.paths(user, Perm.ACCOUNTS_MANAGE)
    return list(_area_model().objects.filter(path__in=held).order_by("path"))


def holders_within(*, user: Viewer, area: Any, role: str = "") -> QuerySet[Membership]:
    """Who holds what on `area` and below, within the manager's scope: the active staff
    roles of active accounts, in tree order (node, role, person, since)."""
    return holders_within_all(user=user, areas=[area], role=role)


def holders_within_all(*, user: Viewer, areas: list[Any], role: str = "") -> QuerySet[Membership]:
    """`holders_within` for several nodes at once (none: no rows)."""
    nodes = _area_model().objects.within(*[a.path for a in areas])
    rows = (
        _memberships_in_scope(user)
        .filter(is_active=True, user__is_active=True, area__in=nodes)
        .exclude(role=Role.RESIDENT)
        .select_related("area", "user")
    )
    if role:
        rows = rows.filter(role=role)
    return rows.order_by("area__path", "role", "user__username")


def grantable_roles(*, user: User, area: Any) -> list[str]:
    """The roles `user` may grant on `area` (for the form's choices)."""
    return [r for r in Role.values if managing.role_grantable(user, r, area.path)]


# --- one's own sign-ins -----------------------------------------------------------------------

SIGN_IN_METHODS = {
    "auth.login": gettext_lazy("Password"),
    "auth.login.otp": gettext_lazy("Second factor (TOTP)"),
    "auth.login.sms": gettext_lazy("SMS code"),
    "auth.login.failed": gettext_lazy("Password"),
}
SIGN_INS_SHOWN = 50


@dataclass(frozen=True)
class SignIn:
    at: dt.datetime
    method: str
    ok: bool
    address: str  # coarse: the network, not the machine
    via: str


def coarse_address(ip: str) -> str:
    """`203.0.113.7` → `203.0.113.*`; an IPv6 address keeps its first three groups."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".*"
    return ":".join(address.exploded.split(":")[:3]) + ":*"


def sign_ins_for(*, user: User, limit: int = SIGN_INS_SHOWN) -> list[SignIn]:
    """The user's latest sign-ins and failed attempts, newest first, from the audit log
    (`sign_in_recorded` and the failed-password entries name the account)."""
    entries = AuditEntry.objects.filter(
        object_type="accounts.user", object_id=str(user.pk), action__in=list(SIGN_IN_METHODS)
    ).order_by("-seq")[:limit]
    return [
        SignIn(
            at=entry.at,
            method=str(SIGN_IN_METHODS[entry.action]),
            ok=entry.action != "auth.login.failed",
            address=coarse_address(entry.ip),
            via=entry.via,
        )
        for entry in entries
    ]


# --- writes -------------------------------------------------------------------------------------


def _require_reach(actor: Actor, user: User) -> None:
    if not managing.account_in_reach(actor, user):
        raise Forbidden()


def _home_path(user: User) -> str:
    """The node an account's audit entries are filed under: its first role's."""
    return managing.account_nodes(user)[0][1]


def _error(field: str, message: Any, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    phone: str,
    area: Any,
    role: str,
    invite: bool = True,
) -> User:
    """A new staff account with its first role on `area`, and (by default) an SMS link to
    set its password. The manager never sees or sets a password. Every problem at once."""
    if actor is not None and not access.can(actor, Perm.ACCOUNTS_MANAGE, area.path):
        raise Forbidden()
    errors: Errors = {}
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        errors["username"] = [
            ValidationError(
                _(
                    "3 to 40 letters, digits, dots, dashes or underscores, starting with a "
                    "letter or digit."
                ),
                code="invalid",
            )
        ]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [ValidationError(_("This username is taken."), code="duplicate")]
    try:
        display_name = identity.normalize_name(display_name)
    except ValidationError as exc:
        errors["display_name"] = exc.error_list
    normalized = ""
    try:
        normalized = normalize_mobile(phone)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    else:
        if User.objects.filter(phone_index=phone_index(normalized)).exists():
            errors["phone"] = [
                ValidationError(
                    _("Another account already uses this mobile number."), code="duplicate"
                )
            ]
    if role not in Role.values:
        errors["role"] = [ValidationError(_("Choose a role."), code="invalid")]
    elif not managing.role_grantable(actor, role, area.path):
        errors["role"] = [
            ValidationError(
                _(
                    "You cannot grant or revoke this role here: it carries permissions "
                    "you do not hold on this node yourself."
                ),
                code="not_grantable",
            )
        ]
    raise_errors(errors)
    user = user_create(username=username, password=None, display_name=display_name, actor=actor)
    membership_grant(user=user, area=area, role=role, actor=actor)
    user_set_phone(user=user, phone=normalized, actor=actor)
    if invite:
        account_link_send(actor=actor, user=user, kind=AccountLinkKind.INVITE)
    return user


def _token_hash(token: str) -> str:
    # 256 random bits: a fast hash is enough (as for API keys).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(token: str) -> str:
    base = str(getattr(settings, "GONGZHI_PUBLIC_URL", "")).rstrip("/")
    # The token rides in the query string, which access logs leave out (docs/deployment.md).
    return f"{base}{reverse('accounts:link_set')}?{LINK_PARAM}={token}"


def _link_ttl() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "GONGZHI_ACCOUNT_LINK_TTL_HOURS", 48)))


def _end_open_links(user: User, now: dt.datetime) -> None:
    AccountLink.objects.filter(user=user, used_at__isnull=True, ended_at__isnull=True).update(
        ended_at=now
    )


@transaction.atomic
def account_link_send(*, actor: Actor, user: User, kind: str) -> AccountLink:
    """Text the account a one-time link to set its password: an invitation, or a reset
    (which also ends the current password, and with it every session). Older links end."""
    _require_reach(actor, user)
    if kind not in AccountLinkKind.values:
        raise ValueError(f"unknown link kind {kind!r}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise _error("account", _("This account is deactivated; reactivate it first."), "inactive")
    if not user.phone:
        raise _error(
            "phone",
            _("This account has no mobile number, so no link can be sent to it."),
            "no_phone",
        )
    now = clock.now()
    _end_open_links(user, now)
    fields = []
    if kind == AccountLinkKind.RESET:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        fields = ["password"]
    token = secrets.token_urlsafe(32)
    ttl = _link_ttl()
    link = AccountLink.objects.create(
        user=user,
        kind=kind,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + ttl,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=f"account.{kind}",
        obj=user,
        area_path=_home_path(user),
        fields=fields,
    )
    hours = int(ttl.total_seconds() // 3600)
    if kind == AccountLinkKind.INVITE:
        title = _("Your Gongzhi account %(username)s is ready") % {"username": user.username}
    else:
        title = _("A new password for your Gongzhi account %(username)s") % {
            "username": user.username
        }
    text = _("set your password within %(hours)d hours: %(url)s") % {
        "hours": hours,
        "url": link_url(token),
    }
    answers = events.account_link_issued.send(sender=AccountLink, user=user, title=title, text=text)
    if not answers:
        raise RuntimeError("no SMS sender is connected to accounts.events.account_link_issued")
    return link


def account_link_valid(token: str) -> AccountLink | None:
    """The link `token` opens, if it may still set a password (not used, ended or
    expired, its account active); nothing is spent."""
    if not token or len(token) > 100:
        return None
    link = (
        AccountLink.objects.select_related("user")
        .filter(token_hash=_token_hash(token), used_at__isnull=True, ended_at__isnull=True)
        .first()
    )
    if link is None or link.expires_at <= clock.now() or not link.user.is_active:
        return None
    return link


@transaction.atomic
def account_link_use(*, token: str, password: str) -> User:
    """Set the password with a link: once, before it expires; the account's other links
    end with it. The password rules are checked with the account."""
    found = account_link_valid(token)
    if found is None:
        raise _link_gone()
    link = (
        AccountLink.objects.select_for_update(of=("self",)).select_related("user").get(pk=found.pk)
    )
    now = clock.now()
    if link.used_at is not None or link.ended_at is not None or link.expires_at <= now:
        raise _link_gone()
    user = user_set_password(
        user=link.user, password=password, actor=link.user, action=f"auth.password_{link.kind}"
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    _end_open_links(user, now)
    return user


def _link_gone() -> ValidationError:
    return _error(
        "token",
        _(
            "This link is no longer valid: it was used, replaced or has expired. Ask your administrator for a new one."
        ),
        "invalid_link",
    )


@transaction.atomic
def account_deactivate(*, actor: Actor, user: User) -> User:
    """Close the account: its sessions end (an inactive account is signed out at its next
    request), its API keys are revoked for good, its open password links end."""
    _require_reach(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    now = clock.now()
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiKey.objects.filter(membership__user=user, revoked_at__isnull=True).update(revoked_at=now)
    _end_open_links(user, now)
    audit_record(
        actor=actor,
        action="account.deactivate",
        obj=user,
        area_path=_home_path(user),
        fields=["is_active"],
    )
    access.forget(user)
    return user


@transaction.atomic
def account_reactivate(*, actor: Actor, user: User) -> User:
    """Open a closed account again, with the roles it still holds (not its old API keys)."""
    _require_reach(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="account.reactivate",
        obj=user,
        area_path=_home_path(user),
        fields=["is_active"],
    )
    return user


@transaction.atomic
def second_factor_reset(*, actor: Actor, user: User, reason: str) -> int:
    """Remove the account's second-factor devices (a lost phone), with the reason in the
    audit log; the holder enrols a new one at their next sign-in. The number removed."""
    _require_reach(actor, user)
    errors: Errors = {}
    reason = text_field(errors, "reason", reason, REASON_MAX, required=True, one_line=True)
    raise_errors(errors)
    devices = list(devices_for_user(user, confirmed=None))
    if not devices:
        raise _error(
            "account", _("This account has no second-factor device to reset."), "no_device"
        )
    for device in devices:
        device.delete()
    audit_record(
        actor=actor,
        action="account.second_factor_reset",
        obj=user,
        area_path=_home_path(user),
        fields=["otp_device"],
        purpose=reason,
    )
    return len(devices)
