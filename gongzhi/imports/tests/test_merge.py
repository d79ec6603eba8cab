"""Duplicate persons: found by name + birth date + phone (at import and in the register),
merged with their history kept and the merge audited."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.imports.tests.conftest import check_and_commit, outcomes, upload, xlsx
from gongzhi.registry import selectors, services
from gongzhi.registry.models import Person, RegisterChange
from gongzhi.testing import make_id_number


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def twin_of(world, person, **data):
    """The same person registered again with a mistyped ID number (same birth date)."""
    number = person.id_number.reveal()
    other = make_id_number(
        division=number[:6], birth=person.birth_date, male=person.gender == "male"
    )
    return services.person_create(
        actor=None,
        household=world.household_a1,
        data={"name": person.name, "id_number": other, "phone": person.phone.reveal(), **data},
        tags=["disabled"],
    )


def test_records_with_the_same_name_birth_date_and_phone_are_proposed(world):
    twin = twin_of(world, world.person_a1)
    groups = selectors.person_duplicates_for(user=world.grid_worker_a)
    assert [[p.pk for p in g] for g in groups] == [[world.person_a1.pk, twin.pk]]
    assert selectors.person_duplicates_for(user=world.by_role["police"]) == []


def test_an_imported_look_alike_is_flagged_in_the_check(world, row_for):
    person = world.person_a1
    twin_number = make_id_number(birth=person.birth_date, male=person.gender == "male")
    row = row_for(person.name, twin_number, person.phone.reveal(), room="909")
    batch = check_and_commit(upload(world.grid_worker_a, xlsx([row])), world.grid_worker_a)
    outcome = outcomes(batch)[2]
    assert outcome[1] == "created"
    assert outcome[3][0][1] == "possible_duplicate"
    assert len(selectors.person_duplicates_for(user=world.grid_worker_a)) == 1


def test_a_merge_keeps_history_and_references_and_is_audited(world):
    keep = world.person_a1
    twin = twin_of(world, keep, notes="另一条记录")
    twin_history = list(RegisterChange.objects.filter(person=twin).values_list("pk", flat=True))
    kept = services.person_merge(actor=world.grid_worker_a, keep=keep, merge=twin, note="重复登记")
    assert not Person.objects.filter(pk=twin.pk).exists()
    assert set(kept.tags.values_list("code", flat=True)) == {"disabled"}
    assert "另一条记录" in kept.notes
    # The duplicate's history now belongs to the person kept, with the merge itself.
    assert set(twin_history) <= set(kept.changes.values_list("pk", flat=True))
    merge = kept.changes.get(action="person.merge")
    assert merge.changes["merged"][0].startswith(keep.name)
    assert twin.id_number.reveal() not in str(merge.changes)
    assert merge.note == "重复登记"
    entry = AuditEntry.objects.get(action="person.merge")
    assert entry.object_id == str(keep.pk) and f"#{twin.pk}" in entry.purpose


def test_different_people_do_not_merge(world):
    with pytest.raises(ValidationError) as err:
        services.person_merge(actor=world.secretary, keep=world.person_a1, merge=world.person_a2)
    assert "merge" in err.value.message_dict


def test_a_grid_worker_cannot_merge_outside_their_area(world):
    twin = twin_of(world, world.person_a1)
    with pytest.raises(Forbidden):
        services.person_merge(actor=world.grid_worker_b, keep=world.person_a1, merge=twin)
