import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Conflict, DuplicatePerson, Forbidden
from gongzhi.registry import services
from gongzhi.registry.models import (
    Area,
    Household,
    Person,
    RegisterChange,
    Relation,
    Residency,
)
from gongzhi.testing import make_id_number, make_phone


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def new_person_data(**extra):
    data = {"name": "赵丽华", "id_number": make_id_number(male=False), "phone": make_phone()}
    data.update(extra)
    return data


# --- areas ---------------------------------------------------------------------------------


def test_children_get_consecutive_fixed_width_paths(world):
    grid = services.area_create(
        actor=None, parent=world.community_a, kind="grid", name="第三网格", code="421087001001003"
    )
    assert grid.path.startswith(world.community_a.path)
    assert len(grid.path) == len(world.community_a.path) + 4
    assert grid.grid_level == 1


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("community", "421087001"),  # too short
        ("community", "421087002001"),  # another street's prefix
        ("grid", "421087001002004"),  # does not extend the parent's code
        ("compound", "421087001001X001"),
    ],
)
def test_area_codes_that_do_not_fit_the_parent_are_refused(world, kind, code):
    parent = world.street if kind == "community" else world.community_a
    with pytest.raises(ValidationError) as info:
        services.area_create(actor=None, parent=parent, kind=kind, name="x", code=code)
    assert "code" in errors_of(info)


def test_province_code_must_be_a_real_division(world):
    with pytest.raises(ValidationError) as info:
        services.area_create(
            actor=None, parent=world.root, kind="province", name="x", code="990000"
        )
    assert "code" in errors_of(info)


def test_grids_stop_at_the_third_level(world):
    l2 = services.area_create(
        actor=None, parent=world.grid_a1, kind="grid", name="L2", code="421087001001001001"
    )
    l3 = services.area_create(
        actor=None, parent=l2, kind="grid", name="L3", code="421087001001001001001"
    )
    with pytest.raises(ValidationError) as info:
        services.area_create(
            actor=None, parent=l3, kind="grid", name="L4", code="421087001001001001001001"
        )
    assert "parent" in errors_of(info)


def test_a_building_needs_a_compound_of_its_own_community(world):
    other_compound = Area.objects.get(code="421087001002C001")
    with pytest.raises(ValidationError) as info:
        services.area_create(
            actor=None, parent=world.grid_a1, kind="building", name="9栋",
            code="421087001002C001B09", compound=other_compound,
        )  # fmt: skip
    assert "compound" in errors_of(info)


def test_area_codes_are_unique(world):
    with pytest.raises(ValidationError) as info:
        services.area_create(
            actor=None, parent=world.community_a, kind="grid", name="dup", code=world.grid_a1.code
        )
    assert "code" in errors_of(info)


def test_grid_worker_cannot_create_areas(world):
    with pytest.raises(Forbidden):
        services.area_create(
            actor=world.grid_worker_a, parent=world.community_a, kind="grid", name="x",
            code="421087001001009",
        )  # fmt: skip


def test_secretary_can_create_grids_in_their_community(world):
    grid = services.area_create(
        actor=world.secretary, parent=world.community_a, kind="grid", name="新网格",
        code="421087001001009",
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="area.create", object_id=str(grid.pk)).exists()


def test_renaming_a_building_updates_addresses(world):
    services.area_rename(actor=world.secretary, area=world.building_a1, name="一号楼")
    assert "一号楼" in Household.objects.get(pk=world.household_a1.pk).address


# --- households ----------------------------------------------------------------------------


def test_one_registered_household_per_dwelling(world):
    with pytest.raises(ValidationError) as info:
        services.household_create(
            actor=world.grid_worker_a, building=world.building_a1, unit="1", room="101"
        )
    assert "room" in errors_of(info)


def test_household_outside_the_grid_cannot_be_created(world):
    with pytest.raises(Forbidden):
        services.household_create(actor=world.grid_worker_a, building=world.building_a2, room="909")


def test_oversized_room_is_refused_with_the_field_named(world):
    with pytest.raises(ValidationError) as info:
        services.household_create(
            actor=world.grid_worker_a, building=world.building_a1, room="1" * 21
        )
    assert "room" in errors_of(info)


def test_household_cannot_move_into_another_communitys_building(world):
    before = Household.objects.get(pk=world.household_a1.pk).address
    with pytest.raises(ValidationError) as info:
        services.household_move(
            actor=None, household=world.household_a1, building=world.building_b1, room="808"
        )
    assert "building" in errors_of(info)
    assert Household.objects.get(pk=world.household_a1.pk).address == before


def test_household_move_within_the_community_moves_its_persons(world):
    services.household_move(
        actor=world.secretary, household=world.household_a1, building=world.building_a2, room="606"
    )
    person = Person.objects.get(pk=world.person_a1.pk)
    assert person.area_path == world.building_a2.path
    assert "606" in Household.objects.get(pk=world.household_a1.pk).address


# --- persons --------------------------------------------------------------------------------


def test_gender_and_birth_date_come_from_the_id_number(world):
    number = make_id_number(birth=dt.date(1948, 3, 9), male=False)
    person = services.person_create(
        actor=world.grid_worker_a,
        household=world.household_a1,
        data=new_person_data(id_number=number),
    )
    assert person.gender == "female"
    assert person.birth_date == dt.date(1948, 3, 9)
    assert (person.name_pinyin, person.name_initials) == ("zhaolihua", "zlh")


def test_a_given_gender_must_match_the_id_number(world):
    with pytest.raises(ValidationError) as info:
        services.person_create(
            actor=world.grid_worker_a,
            household=world.household_a1,
            data=new_person_data(id_number=make_id_number(male=False), gender="male"),
        )
    assert "gender" in errors_of(info)


def test_every_bad_field_is_reported_and_nothing_is_saved(world):
    persons, entries = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        services.person_create(
            actor=world.grid_worker_a,
            household=world.household_a1,
            data={"name": "<script>x</script>", "id_number": "420102199001011235", "phone": "12"},
        )
    assert {"name", "id_number", "phone"} <= set(errors_of(info))
    assert Person.objects.count() == persons
    assert AuditEntry.objects.count() == entries


def test_duplicate_id_number_names_the_existing_person(world):
    existing = world.person_a1
    with pytest.raises(DuplicatePerson) as info:
        services.person_create(
            actor=world.grid_worker_a,
            household=world.household_a1,
            data=new_person_data(id_number=existing.id_number.reveal()),
        )
    assert info.value.existing == existing
    assert existing.name in errors_of(info)["id_number"][0]
    assert AuditEntry.objects.filter(action="person.duplicate_check").count() == 1


def test_duplicate_outside_the_users_area_names_neither_the_person_nor_where(world):
    other = world.person_b1
    number = other.id_number.reveal()
    with pytest.raises(DuplicatePerson) as info, translation.override("en"):
        services.person_create(
            actor=world.grid_worker_a,
            household=world.household_a1,
            data=new_person_data(id_number=number),
        )
    message = errors_of(info)["id_number"][0]
    for secret in (other.name, world.community_b.name, world.grid_b1.name, "江边"):
        assert secret not in message
    assert "transfer request" in message
    # The check is audited (it survives the refused write's rollback), with no number.
    entry = AuditEntry.objects.get(action="person.duplicate_check")
    assert entry.actor_id == world.grid_worker_a.pk
    assert (entry.object_type, entry.object_id) == ("registry.person", str(other.pk))
    assert entry.area_path == other.area_path
    stored = " ".join([entry.purpose, entry.object_label, *entry.fields])
    assert number not in stored and other.name not in stored and other.id_number_index not in stored


def test_lower_case_x_id_number_is_the_same_person(world):
    number = make_id_number()
    while not number.endswith("X"):
        number = make_id_number()
    services.person_create(
        actor=None, household=world.household_a1, data=new_person_data(id_number=number)
    )
    with pytest.raises(DuplicatePerson):
        services.person_create(
            actor=None, household=world.household_a2, data=new_person_data(id_number=number.lower())
        )


def test_grid_worker_cannot_edit_another_grids_person(world):
    with pytest.raises(Forbidden):
        services.person_update(
            actor=world.grid_worker_b, person=world.person_a1, data={"phone": make_phone()}
        )


def test_police_may_reveal_but_not_edit(world):
    police = world.by_role[Role.POLICE]
    with pytest.raises(Forbidden):
        services.person_update(actor=police, person=world.person_a1, data={"notes": "x"})


def test_phone_correction_keeps_masked_history_and_audits_field_names(world):
    new_phone = "13611112222"
    services.person_update(
        actor=world.grid_worker_a, person=world.person_a1, data={"phone": new_phone}
    )
    change = RegisterChange.objects.filter(person=world.person_a1, action="person.update").latest(
        "at"
    )
    assert change.changes["phone"][1] == "136****2222"
    assert new_phone not in str(change.changes)
    entry = AuditEntry.objects.filter(action="person.update").latest("seq")
    assert entry.fields == ["phone"] and entry.actor_id == world.grid_worker_a.pk
    assert Person.objects.get(pk=world.person_a1.pk).phone.reveal() == new_phone


def test_unchanged_data_writes_nothing(world):
    entries = AuditEntry.objects.count()
    person = Person.objects.get(pk=world.person_a1.pk)
    services.person_update(
        actor=world.grid_worker_a, person=person, data={"phone": person.phone.reveal()}
    )
    assert AuditEntry.objects.count() == entries


def test_stale_version_is_a_conflict(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    services.person_update(actor=None, person=person, data={"notes": "first"})
    with pytest.raises(Conflict):
        services.person_update(
            actor=None, person=person, data={"notes": "second"}, expected_version=person.version
        )


def test_oversized_notes_are_refused(world):
    with pytest.raises(ValidationError) as info:
        services.person_update(actor=None, person=world.person_a1, data={"notes": "字" * 2001})
    assert "notes" in errors_of(info)


def test_notes_keep_markup_as_text(world):
    person = services.person_update(
        actor=None, person=world.person_a1, data={"notes": "<script>alert(1)</script>"}
    )
    assert person.notes == "<script>alert(1)</script>"


def test_moving_out_the_head_leaves_the_household_without_a_head(world):
    person = services.person_move_out(actor=world.grid_worker_a, person=world.person_a1)
    assert person.residency == Residency.MOVED_OUT
    assert Household.objects.get(pk=world.household_a1.pk).head is None
    assert RegisterChange.objects.filter(person=person, action="person.move_out").exists()


def test_moving_out_twice_is_refused(world):
    services.person_move_out(actor=None, person=world.person_a1)
    with pytest.raises(ValidationError):
        services.person_move_out(actor=None, person=world.person_a1)


def test_move_out_date_cannot_be_in_the_future(world):
    with pytest.raises(ValidationError) as info:
        services.person_move_out(
            actor=None, person=world.person_a1, on_date=dt.date.today() + dt.timedelta(days=3)
        )
    assert "on_date" in errors_of(info)


def test_moving_in_elsewhere_updates_scope_and_head(world):
    services.person_move_out(actor=None, person=world.person_a2)
    person = services.person_move_in(
        actor=world.secretary,
        person=world.person_a1,
        household=world.household_a2,
        relation=Relation.HEAD,
    )
    assert person.area_path == world.household_a2.area_path
    assert Household.objects.get(pk=world.household_a2.pk).head == person
    assert Household.objects.get(pk=world.household_a1.pk).head is None


def test_grid_worker_cannot_move_someone_into_another_grid(world):
    with pytest.raises(Forbidden):
        services.person_move_in(
            actor=world.grid_worker_a, person=world.person_a1, household=world.household_a2
        )


def test_tags_are_set_exactly(world):
    services.person_tag_set(
        actor=None, person=world.person_a1, tag_codes=["elderly_alone", "disabled"]
    )
    services.person_tag_set(actor=None, person=world.person_a1, tag_codes=["disabled"])
    assert set(world.person_a1.tags.values_list("code", flat=True)) == {"disabled"}


def test_unknown_tags_are_refused(world):
    with pytest.raises(ValidationError) as info:
        services.person_tag_set(actor=None, person=world.person_a1, tag_codes=["nonsense"])
    assert "tags" in errors_of(info)


# --- reveal ----------------------------------------------------------------------------------


def test_reveal_returns_the_value_and_audits_the_purpose(world):
    value = services.person_reveal(
        actor=world.grid_worker_a, person=world.person_a1, field="phone", purpose="电话回访核实"
    )
    assert value == world.person_a1.phone.reveal()
    entry = AuditEntry.objects.filter(action="person.reveal").latest("seq")
    assert entry.purpose == "电话回访核实" and entry.fields == ["phone"]
    assert value not in entry.purpose


@pytest.mark.parametrize("purpose", ["", "  ", "看"])
def test_reveal_needs_a_purpose(world, purpose):
    with pytest.raises(ValidationError) as info:
        services.person_reveal(
            actor=world.grid_worker_a, person=world.person_a1, field="phone", purpose=purpose
        )
    assert "purpose" in errors_of(info)


@pytest.mark.parametrize("role", [Role.PARTY_MEMBER, Role.BUILDING_HEAD, Role.STREET_OFFICER])
def test_roles_without_reveal_cannot_reveal(world, role):
    with pytest.raises(Forbidden):
        services.person_reveal(
            actor=world.by_role[role],
            person=world.person_a1,
            field="id_number",
            purpose="核实身份信息",
        )


def test_only_personal_fields_can_be_revealed(world):
    with pytest.raises(ValidationError):
        services.person_reveal(
            actor=world.grid_worker_a, person=world.person_a1, field="name", purpose="核实身份信息"
        )


def test_control_characters_are_refused_with_the_field_named(world):
    with pytest.raises(ValidationError) as info:
        services.person_update(actor=None, person=world.person_a1, data={"notes": "a\x00b"})
    assert "notes" in errors_of(info)


def test_unknown_tags_on_create_are_refused_and_nothing_is_saved(world):
    persons = Person.objects.count()
    with pytest.raises(ValidationError) as info:
        services.person_create(
            actor=None, household=world.household_a1, data=new_person_data(), tags=["nope"]
        )
    assert "tags" in errors_of(info)
    assert Person.objects.count() == persons
