"""A small, complete world for tests: the area tree of two communities, households,
persons, and one user per role. Built through the real services, so tests exercise the
same paths as the product. Used by the root conftest and by benchmarks."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.db import transaction

from gongzhi.accounts.models import Role, User
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.core.identity import id_check_digit
from gongzhi.registry import services
from gongzhi.registry.models import Area, AreaKind, Household, Person

PASSWORD = "correct-horse-9"  # noqa: S105 - test users only
_serial = itertools.count(1)


def make_id_number(
    division: str = "421087",
    birth: dt.date = dt.date(1980, 5, 17),
    male: bool = True,
    seq: int | None = None,
) -> str:
    """A valid 18-digit resident ID number (right check digit and gender digit)."""
    n = next(_serial) if seq is None else seq
    order = (n * 2 + (1 if male else 0)) % 1000
    if order % 2 != (1 if male else 0):
        order = (order + 1) % 1000
    first17 = f"{division}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


def make_phone(n: int | None = None) -> str:
    return f"139{(n if n is not None else next(_serial)) % 100_000_000:08d}"


@dataclass
class World:
    root: Area
    street: Area
    community_a: Area
    community_b: Area
    grid_a1: Area
    grid_a2: Area
    grid_b1: Area
    building_a1: Area
    building_a2: Area
    building_b1: Area
    household_a1: Household
    household_a2: Household
    household_b1: Household
    person_a1: Person
    person_a2: Person
    person_b1: Person
    grid_worker_a: User
    grid_worker_b: User
    secretary: User
    resident: User
    outsider: User
    by_role: dict[str, User] = field(default_factory=dict)


def _user(username: str, area: Area | None = None, role: str | None = None) -> User:
    user = user_create(username=username, password=PASSWORD, display_name=username)
    if area is not None and role is not None:
        membership_grant(user=user, area=area, role=role)
    return user


def ensure_reference_data() -> None:
    """The rows the migrations create (root area, default tags). A transactional test
    empties every table when it ends, so later tests in the same process lose them;
    re-run the data migration itself rather than repeat its contents here."""
    if Area.objects.filter(kind=AreaKind.ROOT).exists():
        return
    migration = importlib.import_module("gongzhi.registry.migrations.0002_default_tags_and_root")
    migration.forwards(django_apps, None)


@transaction.atomic
def build_world() -> World:
    ensure_reference_data()
    root = Area.objects.get(kind=AreaKind.ROOT)
    create = services.area_create
    province = create(actor=None, parent=root, kind="province", name="湖北省", code="420000")
    city = create(actor=None, parent=province, kind="city", name="荆州市", code="421000")
    district = create(actor=None, parent=city, kind="district", name="松滋市", code="421087")
    street = create(actor=None, parent=district, kind="street", name="新江口街道", code="421087001")
    comm_a = create(
        actor=None, parent=street, kind="community", name="玉岭社区", code="421087001001"
    )
    comm_b = create(
        actor=None, parent=street, kind="community", name="江边社区", code="421087001002"
    )
    grid_a1 = create(
        actor=None, parent=comm_a, kind="grid", name="第一网格", code="421087001001001"
    )
    grid_a2 = create(
        actor=None, parent=comm_a, kind="grid", name="第二网格", code="421087001001002"
    )
    grid_b1 = create(
        actor=None, parent=comm_b, kind="grid", name="江边一网格", code="421087001002001"
    )
    compound_a = create(
        actor=None, parent=comm_a, kind="compound", name="玉岭花园", code="421087001001C001"
    )
    compound_b = create(
        actor=None, parent=comm_b, kind="compound", name="江边小区", code="421087001002C001"
    )
    b_a1 = create(
        actor=None, parent=grid_a1, kind="building", name="1栋",
        code="421087001001C001B01", compound=compound_a,
    )  # fmt: skip
    b_a2 = create(
        actor=None, parent=grid_a2, kind="building", name="2栋",
        code="421087001001C001B02", compound=compound_a,
    )  # fmt: skip
    b_b1 = create(
        actor=None, parent=grid_b1, kind="building", name="1栋",
        code="421087001002C001B01", compound=compound_b,
    )  # fmt: skip

    hh_a1 = services.household_create(actor=None, building=b_a1, unit="1", room="101")
    hh_a2 = services.household_create(actor=None, building=b_a2, unit="1", room="201")
    hh_b1 = services.household_create(actor=None, building=b_b1, unit="1", room="101")

    def person(household: Household, name: str, **extra: Any) -> Person:
        data = {
            "name": name,
            "id_number": make_id_number(),
            "phone": make_phone(),
            "relation": "head",
        }
        data.update(extra)
        return services.person_create(actor=None, household=household, data=data)

    p_a1 = person(hh_a1, "张晓明")
    p_a2 = person(hh_a2, "李秀英", id_number=make_id_number(male=False))
    p_b1 = person(hh_b1, "王建国")

    by_role = {
        Role.RESIDENT: _user("resident", comm_a, Role.RESIDENT),
        Role.VOLUNTEER: _user("volunteer", comm_a, Role.VOLUNTEER),
        Role.PARTY_MEMBER: _user("party_member", grid_a1, Role.PARTY_MEMBER),
        Role.BUILDING_HEAD: _user("building_head", b_a1, Role.BUILDING_HEAD),
        Role.GRID_WORKER: _user("grid_worker_a", grid_a1, Role.GRID_WORKER),
        Role.GRID_LEADER: _user("grid_leader", grid_a1, Role.GRID_LEADER),
        Role.COMMUNITY_STAFF: _user("staff", comm_a, Role.COMMUNITY_STAFF),
        Role.SECRETARY: _user("secretary", comm_a, Role.SECRETARY),
        Role.POLICE: _user("police", comm_a, Role.POLICE),
        Role.DOCTOR: _user("doctor", comm_a, Role.DOCTOR),
        Role.STREET_OFFICER: _user("street_officer", street, Role.STREET_OFFICER),
        Role.AUDITOR: _user("auditor", root, Role.AUDITOR),
        Role.SYSTEM_ADMIN: _user("sysadmin", root, Role.SYSTEM_ADMIN),
    }
    return World(
        root=root,
        street=street,
        community_a=comm_a,
        community_b=comm_b,
        grid_a1=grid_a1,
        grid_a2=grid_a2,
        grid_b1=grid_b1,
        building_a1=b_a1,
        building_a2=b_a2,
        building_b1=b_b1,
        household_a1=hh_a1,
        household_a2=hh_a2,
        household_b1=hh_b1,
        person_a1=p_a1,
        person_a2=p_a2,
        person_b1=p_b1,
        grid_worker_a=by_role[Role.GRID_WORKER],
        grid_worker_b=_user("grid_worker_b", grid_a2, Role.GRID_WORKER),
        secretary=by_role[Role.SECRETARY],
        resident=by_role[Role.RESIDENT],
        outsider=_user("outsider"),
        by_role=by_role,
    )
