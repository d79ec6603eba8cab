"""First run in production (`gongzhi setup`): database, keyring, the first system
administrator with a second factor, and the division path down to a community.

Each step looks before it writes, so running setup again changes nothing and says what is
already there. The steps use the owning apps' services (`area_create`, `user_create`,
`membership_grant`), so they are validated and audited like any other write.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts import staff
from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.core import crypto
from gongzhi.registry import divisions
from gongzhi.registry.codes import check_code
from gongzhi.registry.models import Area, AreaKind
from gongzhi.registry.services import area_create

# --- database and keyring ---------------------------------------------------------------


def database_migrate() -> int:
    """Apply the migrations not yet applied; how many there were."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return len(plan)


@dataclass(frozen=True)
class KeyringState:
    created: bool
    location: str  # a file path, or the name of the variable that holds the keyring


def keyring_ensure() -> KeyringState:
    if settings.GONGZHI_KEYRING:
        crypto.keyring()  # a malformed variable fails here, not at the first person saved
        return KeyringState(False, "GONGZHI_KEYRING")
    created = crypto.ensure_keyring_file()
    crypto.keyring()
    return KeyringState(created, str(Path(settings.GONGZHI_KEYRING_FILE)))


# --- the first system administrator -----------------------------------------------------------


def system_admins() -> list[User]:
    """Active users holding the system administrator role, oldest grant first."""
    ids = (
        Membership.objects.filter(role=Role.SYSTEM_ADMIN, is_active=True, user__is_active=True)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    by_id = {u.pk: u for u in User.objects.filter(pk__in=list(ids))}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


def admin_check(*, username: str, password: str) -> None:
    """The username is free and the password passes the password rules (named fields)."""
    username = username.strip()
    if not username:
        raise ValidationError({"admin_username": [_("Enter a username.")]})
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        raise ValidationError({"admin_username": exc.messages}) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"admin_username": [_("This username is taken.")]})
    try:
        validate_password(password, user=User(username=username))
    except ValidationError as exc:
        raise ValidationError({"admin_password": exc.messages}) from None


@transaction.atomic
def admin_create(*, username: str, password: str, display_name: str = "") -> TOTPDevice:
    """The administrator, their role on the platform root, and a TOTP device to enrol.

    The device stays unconfirmed until a code from it is entered (`totp_confirm`, or the
    sign-in page, which shows the same key until it is confirmed)."""
    admin_check(username=username, password=password)
    user = user_create(
        username=username.strip(), password=password, display_name=display_name.strip()
    )
    membership_grant(user=user, area=Area.objects.get(kind=AreaKind.ROOT), role=Role.SYSTEM_ADMIN)
    return TOTPDevice.objects.create(user=user, name="setup", confirmed=False)


def totp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed device, else the one waiting to be confirmed."""
    devices = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk")
    return devices.first()


def totp_confirm(*, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token.strip().replace(" ", "")):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def totp_qr_text(device: TOTPDevice) -> str:
    """The device's otpauth URL as a QR code drawn in the terminal."""
    out = io.StringIO()
    segno.make(device.config_url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def totp_secret_text(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- the division path and the community -------------------------------------------------------


@dataclass(frozen=True)
class CommunityPlan:
    district: str
    street_code: str
    street_name: str
    community_code: str
    community_name: str


@dataclass(frozen=True)
class PathNode:
    area: Area
    created: bool


def code_problems(*, field: str, code: str, parent_code: str) -> list[str]:
    """What is wrong with a typed street code (under its district) or community code
    (under its street): the rules of `registry.codes.check_code`."""
    kind, parent_kind = {
        "street_code": (AreaKind.STREET, AreaKind.DISTRICT),
        "community_code": (AreaKind.COMMUNITY, AreaKind.STREET),
    }[field]
    try:
        check_code(kind=kind, code=code.strip(), parent=Area(kind=parent_kind, code=parent_code))
    except ValidationError as exc:
        return [m for messages in exc.message_dict.values() for m in messages]
    return []


def community_plan_check(plan: CommunityPlan) -> list[divisions.Division]:
    """The province → district path of the plan; ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    path = divisions.division_path(plan.district.strip())
    if not path:
        errors["district"] = [
            _(
                "A district code is a GB/T 2260 code of 6 digits of a district or county "
                "in use today (for example 421087)."
            )
        ]
    for field, code, parent_code in (
        ("street_code", plan.street_code, plan.district.strip()),
        ("community_code", plan.community_code, plan.street_code.strip()),
    ):
        problems = code_problems(field=field, code=code, parent_code=parent_code)
        if problems:
            errors[field] = problems
    for field, value in (
        ("street_name", plan.street_name),
        ("community_name", plan.community_name),
    ):
        if not value.strip():
            errors[field] = [_("Enter the name.")]
        elif len(value.strip()) > 100:
            errors[field] = [_("At most 100 characters.")]
    if errors:
        raise ValidationError(errors)
    return path


@transaction.atomic
def community_path_ensure(plan: CommunityPlan) -> list[PathNode]:
    """Create what is missing of province → city → district → street → community.

    A node that exists with the same code is kept as it is (its name is not changed); one
    whose code exists elsewhere in the tree is an error, not a guess."""
    path = community_plan_check(plan)
    wanted = [(d.kind, d.code, d.name, "district") for d in path] + [
        (AreaKind.STREET, plan.street_code.strip(), plan.street_name.strip(), "street_code"),
        (
            AreaKind.COMMUNITY,
            plan.community_code.strip(),
            plan.community_name.strip(),
            "community_code",
        ),
    ]
    parent = Area.objects.get(kind=AreaKind.ROOT)
    nodes: list[PathNode] = []
    for kind, code, name, field in wanted:
        existing = Area.objects.filter(code=code).first()
        if existing is not None:
            if existing.kind != kind or existing.parent_id != parent.pk:
                raise ValidationError(
                    {
                        field: [
                            _("The code %(code)s is already used by another node of the tree.")
                            % {"code": code}
                        ]
                    }
                )
            nodes.append(PathNode(existing, False))
        else:
            nodes.append(
                PathNode(
                    area_create(actor=None, parent=parent, kind=kind, name=name, code=code), True
                )
            )
        parent = nodes[-1].area
    return nodes


def communities() -> list[Area]:
    return list(Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path"))


def secretaries(community: Area) -> list[User]:
    """The active secretaries on the community itself."""
    return list(
        User.objects.filter(
            memberships__area=community,
            memberships__role=Role.SECRETARY,
            memberships__is_active=True,
        ).order_by("username")
    )


def secretary_appoint(*, community: Area, username: str, display_name: str, phone: str) -> User:
    """The community's first secretary, appointed by the system (the server's operator):
    the account, the role on the community and an SMS link to set a password."""
    return staff.staff_create(
        actor=None,
        username=username,
        display_name=display_name,
        phone=phone,
        area=community,
        role=Role.SECRETARY,
    )
