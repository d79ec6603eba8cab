"""The team's board and case pages: who sees what, masking, filters, the moves by POST,
and the big screen's counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import ROLE_PERMS, Perm
from gongzhi.core import clock
from gongzhi.core.masking import mask_name
from gongzhi.emergency import care, care_selectors
from gongzhi.emergency.models import CareCase, CareTask
from gongzhi.emergency.tests.care_factories import case_for
from gongzhi.health.tests.factories import entry_for

pytestmark = pytest.mark.django_db
BOARD = "emergency_care:board"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role", [Role.GRID_WORKER, Role.SECRETARY, Role.POLICE, Role.DOCTOR, Role.COMMUNITY_STAFF]
)
def test_the_team_sees_its_cases_on_the_board(world, role):
    case = case_for(world.person_a1)
    page = _client(world.by_role[role]).get(reverse(BOARD))
    assert page.status_code == 200
    assert reverse("emergency_care:case", args=[case.pk]) in page.content.decode()


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.RESIDENT, Role.PARTY_MEMBER, Role.STREET_OFFICER]
)
def test_roles_outside_the_team_get_404(world, role):
    case = case_for(world.person_a1)
    client = _client(world.by_role[role])
    assert client.get(reverse(BOARD)).status_code == 404
    assert client.get(reverse("emergency_care:case", args=[case.pk])).status_code == 404


def test_another_communitys_case_is_invisible(world):
    other = case_for(world.person_b1)
    client = _client(world.secretary)
    body = client.get(reverse(BOARD)).content.decode()
    assert reverse("emergency_care:case", args=[other.pk]) not in body
    assert world.person_b1.name not in body
    assert client.get(reverse("emergency_care:case", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("emergency_care:advance", args=[other.pk]), {"to_step": "sampling"}
    )
    assert response.status_code == 404
    assert CareCase.objects.get(pk=other.pk).step == "screening"


def test_a_grid_worker_sees_only_the_cases_of_their_grid(world):
    mine = case_for(world.person_a1)
    theirs = case_for(world.person_a2)
    body = _client(world.grid_worker_a).get(reverse(BOARD)).content.decode()
    assert reverse("emergency_care:case", args=[mine.pk]) in body
    assert reverse("emergency_care:case", args=[theirs.pk]) not in body


def test_the_team_sees_full_names_and_never_the_id_number_or_phone(world):
    person = world.person_a1
    case = case_for(person, step="isolation")
    client = _client(world.by_role[Role.POLICE])
    for url in (reverse(BOARD), reverse("emergency_care:case", args=[case.pk])):
        body = client.get(url).content.decode()
        assert person.name in body  # the police may reveal: registry.policy.name_shown
        assert person.id_number.reveal() not in body
        assert person.phone.reveal() not in body


def test_a_role_that_sees_masks_never_gets_a_full_name_or_id(world, monkeypatch):
    """A role with the team's permission but not the register's reveal (a deployment may
    grant it so) reads the board with names masked, as registry.policy says."""
    monkeypatch.setitem(
        ROLE_PERMS, Role.STREET_OFFICER, ROLE_PERMS[Role.STREET_OFFICER] | {Perm.TEAM_CARE}
    )
    person = world.person_a1
    case = case_for(person, step="isolation")
    entry_for(world.person_a2, world.community_a)  # waiting: listed under the board
    client = _client(world.by_role[Role.STREET_OFFICER])
    for url in (reverse(BOARD), reverse("emergency_care:case", args=[case.pk])):
        body = client.get(url).content.decode()
        assert mask_name(person.name) in body or url == reverse(BOARD)
        for p in (person, world.person_a2):
            assert p.name not in body, url
            assert p.id_number.reveal() not in body
            assert p.phone.reveal() not in body
    board = client.get(reverse(BOARD)).content.decode()
    assert mask_name(person.name) in board and mask_name(world.person_a2.name) in board


def test_overdue_tasks_are_red_and_a_missing_check_is_flagged(world):
    late = case_for(world.person_a1)
    isolated = case_for(world.person_a2, step="isolation")
    CareTask.objects.filter(case=late).update(due_at=clock.now() - dt.timedelta(minutes=1))
    columns = care_selectors.board_for(user=world.secretary)
    body = _client(world.secretary).get(reverse(BOARD)).content.decode()
    (card,) = columns["screening"]
    assert card.case.pk == late.pk and card.overdue
    (iso,) = columns["isolation"]
    assert iso.case.pk == isolated.pk and iso.checked_today is False and not iso.overdue
    assert "border-danger" in body and "text-danger" in body
    care.check_record(
        actor=world.secretary, case=isolated, day=clock.today(), temperature="36.5",
        symptoms=False,
    )  # fmt: skip
    (iso,) = care_selectors.board_for(user=world.secretary)["isolation"]
    assert iso.checked_today is True


def test_filter_by_grid_and_mine(world):
    a1 = case_for(world.person_a1)
    a2 = case_for(world.person_a2, step="sampling")
    secretary = world.secretary
    only_a1 = care_selectors.board_for(user=secretary, grid=world.grid_a1)
    assert [c.case.pk for c in only_a1["screening"]] == [a1.pk] and not only_a1["sampling"]
    # Mine: a task I took, or one waiting for my role. The screening task waits for a grid
    # worker; sampling for the doctor.
    assert not any(care_selectors.board_for(user=secretary, mine=True).values())
    doctor = world.by_role[Role.DOCTOR]
    assert [c.case.pk for c in care_selectors.board_for(user=doctor, mine=True)["sampling"]] == [
        a2.pk
    ]
    care.task_take(actor=secretary, case=a1)
    mine = care_selectors.board_for(user=secretary, mine=True)
    assert [c.case.pk for c in mine["screening"]] == [a1.pk]
    page = _client(secretary).get(reverse(BOARD), {"grid": world.grid_a2.pk, "mine": "1"})
    assert reverse("emergency_care:case", args=[a1.pk]) not in page.content.decode()


def test_the_case_page_moves_the_case_and_shows_the_timeline(world):
    case = case_for(world.person_a1)
    client = _client(world.by_role[Role.DOCTOR])
    url = reverse("emergency_care:case", args=[case.pk])
    client.post(reverse("emergency_care:take", args=[case.pk]))
    client.post(reverse("emergency_care:advance", args=[case.pk]), {"to_step": "sampling"})
    client.post(reverse("emergency_care:advance", args=[case.pk]), {"to_step": "isolation"})
    response = client.post(
        reverse("emergency_care:check", args=[case.pk]), {"temperature": "37.9", "symptoms": "1"}
    )
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "37.9" in body
    case.refresh_from_db()
    assert case.step == "isolation"
    assert CareTask.objects.filter(case=case).count() == 3
    bad = client.post(reverse("emergency_care:check", args=[case.pk]), {"temperature": "45"})
    assert bad.status_code == 302
    assert "43.0" in client.get(url).content.decode()  # the rule, shown as a message


def test_a_refused_move_is_a_message(world):
    case = case_for(world.person_a1)
    client = _client(world.secretary)
    client.post(reverse("emergency_care:advance", args=[case.pk]), {"to_step": "isolation"})
    case.refresh_from_db()
    assert case.step == "screening"


def test_take_onto_the_board_from_the_board(world):
    entry = entry_for(world.person_a1, world.community_a)
    client = _client(world.grid_worker_a)
    body = client.get(reverse(BOARD)).content.decode()
    open_url = reverse("emergency_care:open_entry", args=[entry.pk])
    assert open_url in body
    response = client.post(open_url)
    case = CareCase.objects.get(watch_entry=entry)
    assert response["Location"] == reverse("emergency_care:case", args=[case.pk])
    client.post(open_url)
    assert CareCase.objects.count() == 1
    assert open_url not in client.get(reverse(BOARD)).content.decode()


def test_an_entry_out_of_scope_cannot_be_taken(world):
    entry = entry_for(world.person_b1, world.community_b)
    response = _client(world.secretary).post(reverse("emergency_care:open_entry", args=[entry.pk]))
    assert response.status_code == 404
    assert not CareCase.objects.exists()


def test_counts_by_step_in_one_query(world):
    case_for(world.person_a1)
    case_for(world.person_a2, step="isolation")
    case_for(world.person_b1, step="released")
    with CaptureQueriesContext(connection) as queries:
        counts = care_selectors.counts_by_step([world.community_a.path])
    assert len(queries) == 1
    assert counts == {
        "screening": 1, "sampling": 0, "transfer": 0, "isolation": 1, "released": 0,
    }  # fmt: skip
    street = care_selectors.counts_by_step([world.street.path])
    assert street["released"] == 1 and sum(street.values()) == 3
    assert care_selectors.counts_by_step([]) == dict.fromkeys(counts, 0)
    assert care_selectors.missing_checks_today([world.community_a.path]) == 1
