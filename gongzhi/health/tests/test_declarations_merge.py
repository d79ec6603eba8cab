"""Declaration → watch list: one open task per person, merged not doubled (a second
declaration, an upstream list's row either way), and the grid worker's confirmation of a
declaration that matched nobody."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, IllegalTransition
from gongzhi.health import declarations, selectors
from gongzhi.health.models import WatchEntry
from gongzhi.health.states import EntryStatus, Outcome
from gongzhi.health.tests import declaration_factories as d
from gongzhi.health.tests import factories as f
from gongzhi.registry.models import Person
from gongzhi.testing import PASSWORD

pytestmark = pytest.mark.usefixtures("many_codes")


@pytest.fixture
def many_codes():
    with override_settings(
        GONGZHI_SMS_CODE_PER_PHONE_MINUTE=50, GONGZHI_SMS_CODE_PER_PHONE_HOUR=50
    ):
        yield


def _open_tasks(user):
    return list(selectors.watch_entry_list_for(user=user))


def test_a_second_declaration_by_the_same_person_joins_the_open_entry(world):
    first = d.declare(world, d.person_data(world, world.person_a1))
    second = d.declare(world, d.person_data(world, world.person_a1, origin="上海市"))
    assert second.entry_id == first.entry_id
    assert WatchEntry.objects.count() == 1
    actions = list(first.entry.events.values_list("action", flat=True))
    assert actions == ["declared", "declared"]


def test_a_stranger_declaring_twice_has_one_entry(world):
    data = d.form_data(world)
    first = d.declare(world, data)
    second = d.declare(world, {**data, "room": "1-302"})
    assert second.entry_id == first.entry_id and WatchEntry.objects.count() == 1


def test_a_declaration_joins_the_open_entry_of_an_upstream_list(world):
    listed = f.entry_for(world.person_a1, world.community_a)
    declaration = d.declare(world, d.person_data(world, world.person_a1))
    assert declaration.entry_id == listed.pk
    assert WatchEntry.objects.count() == 1
    assert listed.events.filter(action="declared", data__declaration=declaration.pk).exists()


def test_after_a_closed_entry_a_declaration_opens_a_new_one(world):
    listed = f.entry_for(world.person_a1, world.community_a)
    WatchEntry.objects.filter(pk=listed.pk).update(status=EntryStatus.CLOSED)
    declaration = d.declare(world, d.person_data(world, world.person_a1))
    assert declaration.entry_id != listed.pk
    assert declaration.entry.status == EntryStatus.TO_REVIEW


def test_an_upstream_row_about_a_declared_person_joins_the_declarations_entry(world):
    declaration = d.declare(world, d.person_data(world, world.person_a1))
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    row = upstream_list.entries.get()
    assert row.merged_into_id == declaration.entry_id
    assert upstream_list.counts["merged"] == 1
    assert declaration.entry.events.filter(action="listed", data__row=row.row_number).exists()
    # One task on the watch list, not two.
    assert [e.pk for e in _open_tasks(world.grid_worker_a)] == [declaration.entry_id]
    assert selectors.watch_summary_for(user=world.grid_worker_a).open == 1


def test_a_row_of_a_later_list_joins_the_earlier_lists_open_entry(world):
    first = f.entry_for(world.person_a1, world.community_a)
    later = f.matched(world.community_a, [f.person_row(world.person_a1)], name="第二批")
    assert later.entries.get().merged_into_id == first.pk
    assert [e.pk for e in _open_tasks(world.secretary)] == [first.pk]
    # Filtered by its list, the row is still there.
    only = selectors.EntryFilters(upstream_list_id=later.pk)
    assert selectors.watch_entry_list_for(user=world.secretary, filters=only).count() == 1


def test_a_row_about_someone_else_is_not_merged(world):
    d.declare(world, d.person_data(world, world.person_a1))
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a2)])
    assert upstream_list.entries.get().merged_into_id is None
    assert "merged" not in upstream_list.counts


def test_the_entry_page_of_a_declaration_shows_without_a_list(world, client):
    declaration = d.declare(world, d.form_data(world))
    client.force_login(world.grid_worker_a)
    response = client.get(f"/health/watchlist/{declaration.entry_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/health/declarations/{declaration.pk}/" in body
    assert d.form_data(world)["phone"] not in body


def test_the_watch_list_export_names_the_declaration_as_source(world, client):
    d.declare(world, d.form_data(world))
    client.force_login(world.secretary)
    response = client.get("/health/watchlist/?export=csv")
    assert response.status_code == 200


# --- the grid worker's confirmation ----------------------------------------------------------


@pytest.fixture
def pending(world):
    return d.declare(world, d.form_data(world))


def test_the_grid_worker_links_a_registered_person(world, pending):
    declaration = declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="link",
        data={"person": world.person_a1.pk},
    )  # fmt: skip
    assert declaration.status == "matched" and declaration.person == world.person_a1
    entry = WatchEntry.objects.get(pk=pending.entry_id)
    assert entry.person == world.person_a1 and entry.area_path == world.person_a1.area_path
    assert list(entry.events.values_list("action", flat=True)) == ["declared", "confirmed"]
    audit = AuditEntry.objects.get(action="declaration.confirm")
    assert audit.object_label == f"#{pending.pk}"


def test_linking_to_a_person_with_an_open_entry_merges_the_entries(world, pending):
    listed = f.entry_for(world.person_a1, world.community_a)
    declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="link",
        data={"person": world.person_a1.pk},
    )  # fmt: skip
    pending.refresh_from_db()
    assert pending.entry_id == listed.pk
    assert WatchEntry.objects.get(pk=listed.pk).merged_into_id is None
    assert [e.pk for e in _open_tasks(world.secretary)] == [listed.pk]


def test_the_grid_worker_registers_the_person_in_a_new_household(world, pending):
    declaration = declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="create", data={}
    )
    person = declaration.person
    assert person.name == "陈归乡" and person.household.building == world.building_a1
    assert person.household.room == "1-301"
    assert WatchEntry.objects.get(pk=pending.entry_id).person == person


def test_the_grid_worker_registers_the_person_in_an_existing_household(world, pending):
    declaration = declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="create",
        data={"household": world.household_a1.pk},
    )  # fmt: skip
    assert declaration.person.household == world.household_a1


def test_a_household_of_another_building_is_refused(world, pending):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_confirm(
            actor=world.grid_worker_a, declaration=pending, action="create",
            data={"household": world.household_a2.pk},
        )  # fmt: skip
    assert list(caught.value.message_dict) == ["household"]
    assert not Person.objects.filter(name="陈归乡").exists()


def test_a_person_outside_the_community_cannot_be_linked(world, pending):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_confirm(
            actor=world.grid_worker_a, declaration=pending, action="link",
            data={"person": world.person_b1.pk},
        )  # fmt: skip
    assert list(caught.value.message_dict) == ["person"]


def test_rejecting_closes_the_declarations_own_entry(world, pending):
    declaration = declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="reject",
        data={"note": "查无此人，非本社区"},
    )  # fmt: skip
    assert declaration.status == "rejected"
    entry = WatchEntry.objects.get(pk=pending.entry_id)
    assert entry.status == EntryStatus.CLOSED and entry.outcome == Outcome.NOT_HERE


def test_rejecting_needs_a_reason(world, pending):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_confirm(
            actor=world.grid_worker_a, declaration=pending, action="reject", data={}
        )
    assert list(caught.value.message_dict) == ["note"]


def test_a_confirmed_declaration_cannot_be_confirmed_again(world, pending):
    declarations.declaration_confirm(
        actor=world.grid_worker_a, declaration=pending, action="reject", data={"note": "非本社区"}
    )
    with pytest.raises(IllegalTransition):
        declarations.declaration_confirm(
            actor=world.grid_worker_a, declaration=pending, action="create", data={}
        )


@pytest.mark.parametrize("who", ["grid_worker_b", "police", "resident"])
def test_others_may_not_confirm(world, pending, who):
    actor = world.grid_worker_b if who == "grid_worker_b" else world.by_role[who]
    with pytest.raises(Forbidden):
        declarations.declaration_confirm(actor=actor, declaration=pending, action="create", data={})


def test_a_grid_leader_above_may_confirm(world, pending):
    leader = user_create(username="leader2", password=PASSWORD)
    membership_grant(user=leader, area=world.community_a, role=Role.GRID_LEADER)
    declaration = declarations.declaration_confirm(
        actor=leader, declaration=pending, action="reject", data={"note": "非本社区"}
    )
    assert declaration.confirmed_by == leader


def test_the_watch_list_report_counts_a_merged_row_once(world):
    from gongzhi.core import clock
    from gongzhi.reports.datasets import watch_rows

    d.declare(world, d.person_data(world, world.person_a1))
    f.matched(world.community_a, [f.person_row(world.person_a1)])
    rows = list(watch_rows(area=world.community_a, filters={}, as_of=clock.today()))
    assert len(rows) == 1
