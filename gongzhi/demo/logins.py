"""The demo's logins: one per role per community, a street officer over the three streets,
and an auditor and a system administrator (who must pass TOTP) on the platform root.

Every demo user has `is_demo=True` and the one demo password. The password is hashed
once with the configured hasher and the hash reused: Argon2 costs ~0.1 s a hash by design.
The TOTP secrets are fixed per user name, so the printed secret stays valid across resets.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db.models import Prefetch
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.core import scope
from gongzhi.demo.load import DemoError, LoadedCommunity
from gongzhi.demo.residents import link_residents, resident_notes
from gongzhi.demo.spec import COMMUNITIES
from gongzhi.registry.models import Area, AreaKind

DEMO_PASSWORD = "gongzhi-demo"  # noqa: S105 - printed for everyone; demo installs only

ROLE_ZH: dict[str, str] = {
    Role.SECRETARY: "书记",
    Role.COMMUNITY_STAFF: "社区工作人员",
    Role.GRID_LEADER: "网格长",
    Role.GRID_WORKER: "网格员",
    Role.PARTY_MEMBER: "下沉党员",
    Role.BUILDING_HEAD: "楼栋长",
    Role.RESIDENT: "居民",
    Role.VOLUNTEER: "志愿者",
    Role.POLICE: "社区民警",
    Role.DOCTOR: "社区医生",
    Role.STREET_OFFICER: "街道干部",
    Role.AUDITOR: "审计员",
    Role.SYSTEM_ADMIN: "系统管理员",
}

# (role, user name suffix, node): node is where the membership sits.
#   community: the community; leader / worker: the first grid at the spec's level for that
#   role; party: the first lowest-level grid (a party group in Yuling); building: the
#   first building of that grid.
COMMUNITY_LOGINS: tuple[tuple[str, str, str], ...] = (
    (Role.SECRETARY, "secretary", "community"),
    (Role.COMMUNITY_STAFF, "staff", "community"),
    (Role.GRID_LEADER, "gridleader", "leader"),
    (Role.GRID_WORKER, "gridworker", "worker"),
    (Role.PARTY_MEMBER, "partymember", "party"),
    (Role.BUILDING_HEAD, "buildinghead", "building"),
    (Role.RESIDENT, "resident", "community"),
    (Role.VOLUNTEER, "volunteer", "community"),
    (Role.POLICE, "police", "community"),
    (Role.DOCTOR, "doctor", "community"),
)
STREET_USERNAME = "street"
TOTP_USERNAMES = ("auditor", "sysadmin")


def usernames() -> list[str]:
    """Every demo user name, in the order the table prints them."""
    names = [f"{spec.slug}-{suffix}" for spec in COMMUNITIES for _, suffix, _ in COMMUNITY_LOGINS]
    return [*names, STREET_USERNAME, *TOTP_USERNAMES]


def totp_key(username: str) -> str:
    """The fixed demo TOTP secret of a user: 20 bytes, hex, as django-otp stores it."""
    return hashlib.sha256(f"gongzhi-demo-totp:{username}".encode()).hexdigest()[:40]


def _node(loaded: LoadedCommunity, which: str, spec_levels: tuple[int, int]) -> Area:
    leader_level, worker_level = spec_levels
    if which == "community":
        return loaded.community
    if which == "leader":
        return loaded.grids[leader_level][0]
    if which == "worker":
        return loaded.grids[worker_level][0]
    if which == "party":
        return loaded.leaves[0]
    if which == "building":
        return loaded.buildings[0]
    raise ValueError(which)


def _user(username: str, display_name: str, password_hash: str) -> User:
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        return user_create(
            username=username,
            password=None,
            password_hash=password_hash,
            display_name=display_name,
            is_demo=True,
        )
    if not user.is_demo:
        raise DemoError(
            f"A user named {username!r} exists and is not a demo user; the demo will not "
            "take it over. Rename that user or load the demo into another database."
        )
    user.password, user.display_name, user.is_active = password_hash, display_name, True
    user.save(update_fields=["password", "display_name", "is_active"])
    return user


def create_logins(loaded: list[LoadedCommunity]) -> None:
    password_hash = make_password(DEMO_PASSWORD)
    for community in loaded:
        spec = community.plan.spec
        levels = (spec.leader_level, spec.worker_level)
        short = spec.name.removesuffix("社区")
        for role, suffix, which in COMMUNITY_LOGINS:
            user = _user(f"{spec.slug}-{suffix}", f"{short}{ROLE_ZH[role]}", password_hash)
            membership_grant(user=user, area=_node(community, which, levels), role=role)
        _grid_workers(community, spec.worker_level)
    street = _user(STREET_USERNAME, ROLE_ZH[Role.STREET_OFFICER], password_hash)
    for community in loaded:
        membership_grant(user=street, area=community.street, role=Role.STREET_OFFICER)
    root = Area.objects.get(kind=AreaKind.ROOT)
    for username, role in zip(TOTP_USERNAMES, (Role.AUDITOR, Role.SYSTEM_ADMIN), strict=True):
        user = _user(username, ROLE_ZH[role], password_hash)
        membership_grant(user=user, area=root, role=role)
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="demo", key=totp_key(username), confirmed=True)
    # Residents: a household of their own, its head's mobile number, an elderly parent.
    link_residents(loaded)


def _grid_workers(community: LoadedCommunity, level: int) -> None:
    """A grid worker for every other grid at the worker level (the first has the login),
    so that watch-list entries and orders everywhere have someone responsible. They have
    no usable password: they appear as assignees, they do not sign in."""
    slug = community.plan.spec.slug
    grids = community.grids.get(level, [])[1:]
    wanted = {f"{slug}-gw-{n:03d}": grid for n, grid in enumerate(grids, start=2)}
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=name,
                display_name=f"{grid.name}{ROLE_ZH[Role.GRID_WORKER]}",
                is_demo=True,
                password=unusable,
            )
            for name, grid in wanted.items()
            if name not in existing
        ],
        batch_size=500,
    )
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    Membership.objects.bulk_create(
        [
            Membership(user=users[name], area=grid, role=Role.GRID_WORKER)
            for name, grid in wanted.items()
        ],
        batch_size=500,
    )


# --- reading them back -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRow:
    username: str
    roles: str
    where: str
    totp_secret: str = ""
    totp_uri: str = ""


def _labels(areas: list[Area]) -> dict[int, str]:
    """`玉岭社区 › 第一网格 › 第1党小组` for each area: its names from the district down."""
    above = {p for a in areas for p in scope.ancestors(a.path, inclusive=True)}
    by_path = {a.path: a for a in Area.objects.filter(path__in=above).select_related("compound")}
    labels = {}
    for area in areas:
        chain = [by_path[p] for p in scope.ancestors(area.path, inclusive=True) if p in by_path]
        if area.kind in (AreaKind.ROOT, AreaKind.PROVINCE, AreaKind.CITY):
            names = [area.name]
        elif area.kind in (AreaKind.DISTRICT, AreaKind.STREET):
            names = [a.name for a in chain if a.kind in (AreaKind.DISTRICT, AreaKind.STREET)]
        else:
            names = [a.name for a in chain if a.kind in (AreaKind.COMMUNITY, AreaKind.GRID)]
            if area.kind == AreaKind.BUILDING:
                node = by_path[area.path]
                compound = node.compound.name if node.compound is not None else ""
                names.append(f"{compound} {node.name}".strip())
        labels[area.pk] = " › ".join(names)
    return labels


def logins_table() -> list[LoginRow]:
    active = Membership.objects.filter(is_active=True).select_related("area").order_by("pk")
    users = list(
        User.objects.filter(is_demo=True).prefetch_related(Prefetch("memberships", queryset=active))
    )
    # Only those who can sign in: the demo's many volunteers and party members without a
    # password (gongzhi/demo/workorders.py) appear in dispatch suggestions, not here.
    users = [u for u in users if u.has_usable_password()]
    order = {name: i for i, name in enumerate(usernames())}
    users.sort(key=lambda u: (order.get(u.username, len(order)), u.username))
    labels = _labels([m.area for u in users for m in u.memberships.all()])
    devices = {
        d.user_id: d for d in TOTPDevice.objects.filter(user__in=users, confirmed=True, name="demo")
    }
    notes = resident_notes(users)
    rows = []
    for user in users:
        memberships = list(user.memberships.all())
        roles = sorted({m.role for m in memberships})
        where = "; ".join(dict.fromkeys(labels[m.area_id] for m in memberships))
        if notes.get(user.pk):
            where = f"{where} · {notes[user.pk]}" if where else notes[user.pk]
        device = devices.get(user.pk)
        rows.append(
            LoginRow(
                username=user.username,
                roles=", ".join(roles) or "-",
                where=where or "-",
                totp_secret=base64.b32encode(device.bin_key).decode() if device else "",
                totp_uri=device.config_url if device else "",
            )
        )
    return rows


def current_totp(username: str) -> str:
    """The current 6-digit code of a demo user's TOTP device."""
    user = User.objects.filter(username__iexact=username).first()
    if user is None or not user.is_demo:
        raise DemoError(f"{username!r} is not a demo user; the demo shows codes only for its own.")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise DemoError(f"{username!r} has no TOTP device (only the auditor and sysadmin do).")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
