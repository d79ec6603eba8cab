"""`gongzhi demo` against the test database, at small scale (see conftest)."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.services import audit_chain_check
from gongzhi.demo.logins import COMMUNITY_LOGINS, DEMO_PASSWORD, usernames
from gongzhi.demo.spec import COMMUNITIES, QIFU, TIELU, YULING
from gongzhi.registry.models import Area, AreaKind, Household, Person
from gongzhi.registry.selectors import person_search_for, scope_summary_for

from .conftest import SCALE


def _run(*args, **options) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, **options)
    return out.getvalue()


def _community(spec) -> Area:
    return Area.objects.get(code=spec.code)


def _grid_levels(spec) -> dict[int, int]:
    community = _community(spec)
    grids = Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path)
    return dict(Counter(grids.values_list("grid_level", flat=True)))


def _counts() -> tuple[int, ...]:
    return (
        Area.objects.count(),
        Household.objects.count(),
        Person.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.count(),
    )


def _id_numbers() -> list[str]:
    return sorted(p.id_number.reveal() for p in Person.objects.all())


def test_the_three_communities_have_the_grid_structure_of_the_study(demo):
    assert _grid_levels(YULING) == {1: 9, 2: 86}
    assert _grid_levels(QIFU) == {1: 1, 2: 22, 3: 172}
    assert _grid_levels(TIELU) == {1: 7, 2: 15}
    for spec in COMMUNITIES:
        community = _community(spec)
        compounds = Area.objects.filter(kind=AreaKind.COMPOUND, parent=community)
        assert compounds.count() == len(spec.compounds)
        assert community.parent.code == spec.street.code


def test_households_scale_and_every_building_belongs_to_a_compound_of_its_community(demo):
    for spec in COMMUNITIES:
        community = _community(spec)
        assert Household.objects.filter(community=community).count() == round(
            spec.households * SCALE
        )
        buildings = Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path)
        assert buildings.exists()
        for building in buildings.select_related("compound", "parent"):
            assert building.compound.parent_id == community.pk
            assert building.parent.kind == AreaKind.GRID
            assert not building.parent.children.filter(kind=AreaKind.GRID).exists()


def test_grids_have_outlines_and_buildings_points_and_floors(demo):
    from gongzhi.registry import geo

    buildings = Area.objects.filter(kind=AreaKind.BUILDING).select_related("parent")
    assert not Area.objects.filter(kind=AreaKind.GRID, geometry__isnull=True).exists()
    for building in buildings:
        assert building.floors and building.units and building.rooms_per_floor
        assert geo.contains(building.parent.geometry, *building.geometry["coordinates"])


def test_every_household_has_its_head(demo):
    assert not Household.objects.filter(head__isnull=True).exists()
    for household in Household.objects.select_related("head")[:50]:
        assert household.head.relation == "head"
        assert household.head.household_id == household.pk


def test_about_12_percent_of_households_are_one_elderly_person_living_alone(demo):
    households = Household.objects.count()
    alone = Person.objects.filter(tags__code="elderly_alone")
    assert 0.09 <= alone.count() / households <= 0.15
    for person in alone.select_related("household"):
        assert person.household.persons.count() == 1


def test_there_is_one_login_per_role_per_community(demo):
    for spec in COMMUNITIES:
        community = _community(spec)
        for role, suffix, _where in COMMUNITY_LOGINS:
            user = User.objects.get(username=f"{spec.slug}-{suffix}")
            assert user.is_demo
            assert user.check_password(DEMO_PASSWORD)
            membership = user.memberships.get()
            assert membership.role == role
            assert membership.area.path.startswith(community.path)
    worker = User.objects.get(username="qifu-gridworker").memberships.get()
    assert worker.area.kind == AreaKind.GRID and worker.area.grid_level == 3
    head = User.objects.get(username="yuling-buildinghead").memberships.get()
    assert head.area.kind == AreaKind.BUILDING


def test_the_street_officer_sees_all_three_communities(demo):
    street = User.objects.get(username="street")
    assert sorted(street.memberships.values_list("role", flat=True)) == [Role.STREET_OFFICER] * 3
    summary = scope_summary_for(user=street)
    assert summary.households == Household.objects.count()
    secretary = User.objects.get(username="yuling-secretary")
    assert scope_summary_for(user=secretary).households == round(4992 * SCALE)


def test_a_grid_worker_finds_a_person_of_the_grid_by_id_number_but_not_of_another(demo):
    worker = User.objects.get(username="yuling-gridworker")
    grid = worker.memberships.get().area
    inside = Person.objects.filter(area_path__startswith=grid.path).first()
    outside = Person.objects.exclude(area_path__startswith=grid.path).first()
    assert list(person_search_for(user=worker, q=inside.id_number.reveal())) == [inside]
    assert not person_search_for(user=worker, q=outside.id_number.reveal()).exists()


def test_auditor_and_sysadmin_have_a_confirmed_totp_device_and_the_command_prints_its_code(demo):
    for username in ("auditor", "sysadmin"):
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed
        code = _run(totp=username).strip()
        assert len(code) == 6 and code.isdigit()
        assert device.verify_token(code)
    roles = dict(
        Membership.objects.filter(area__kind=AreaKind.ROOT).values_list("user__username", "role")
    )
    assert roles == {"auditor": Role.AUDITOR, "sysadmin": Role.SYSTEM_ADMIN}


def test_totp_is_refused_for_a_user_who_is_not_a_demo_user(demo):
    user_create(username="someone", password="x-long-password-1")
    with pytest.raises(CommandError, match="not a demo user"):
        _run(totp="someone")


def test_a_second_run_adds_nothing_and_prints_the_logins(demo):
    before = _counts()
    output = _run(scale=SCALE)
    assert _counts() == before
    assert "already loaded" in output
    for username in usernames():
        assert username in output
    assert DEMO_PASSWORD in output
    assert "otpauth://totp/" in output


def test_reset_rebuilds_the_same_people_from_the_same_seed_and_keeps_the_audit_log(demo):
    ids = _id_numbers()
    counts = _counts()
    entries = AuditEntry.objects.count()
    user_ids = dict(User.objects.filter(is_demo=True).values_list("username", "pk"))
    _run(reset=True, scale=SCALE)
    assert _id_numbers() == ids
    assert _counts()[:5] == counts[:5]
    assert AuditEntry.objects.count() > entries  # old entries kept, new ones appended
    assert AuditEntry.objects.filter(action="demo.reset").count() == 1
    assert audit_chain_check().ok
    # Users survive a reset (the audit log names them), with their memberships rebuilt.
    assert dict(User.objects.filter(is_demo=True).values_list("username", "pk")) == user_ids


def test_another_seed_gives_other_people(demo):
    ids = _id_numbers()
    _run(reset=True, scale=SCALE, seed=7)
    assert set(_id_numbers()).isdisjoint(ids)


def test_reset_stops_when_something_outside_the_demo_uses_demo_areas(demo):
    outsider = user_create(username="real-worker", password="x-long-password-1")
    membership_grant(user=outsider, area=_community(YULING), role=Role.GRID_WORKER)
    before = _counts()
    with pytest.raises(CommandError, match="outside the demo"):
        _run(reset=True, scale=SCALE)
    assert _counts() == before


def test_scale_must_be_positive(demo):
    with pytest.raises(CommandError, match="--scale"):
        _run(scale=0)


def test_one_summary_audit_entry_per_community_not_one_per_row(demo):
    loads = AuditEntry.objects.filter(action="demo.load")
    assert loads.count() == 3
    # The register is written in bulk; the only persons written one by one, through the
    # audited service, are the three planted duplicates, and three transfer requests are
    # asked (gongzhi/demo/datasets.py).
    per_person = AuditEntry.objects.filter(action__startswith="person.")
    assert sorted(per_person.values_list("action", flat=True)) == (
        ["person.create"] * 3 + ["person.transfer_request"] * 3
    )
    assert not AuditEntry.objects.filter(action__startswith="household.").exists()


def test_each_community_has_a_transfer_request_from_another_to_decide(demo):
    from gongzhi.registry.models import TransferRequest

    requests = list(TransferRequest.objects.select_related("to_household"))
    assert len(requests) == 3
    for request in requests:
        assert request.status == "requested"
        assert request.from_area_path[:24] != request.to_household.area_path[:24]
