"""The watch-list entry page as the grid worker uses it: the phone revealed (audited, with
a purpose) where a call is needed; each step named once, with its deadline and the time
left; and, for the secretary, progress per grid worker."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.health import selectors, services
from gongzhi.health.states import STEP_DEADLINES, EntryStatus
from gongzhi.health.tests import factories as f


@pytest.fixture
def upstream_list(world):
    rows = [f.person_row(world.person_a1), ["陈新", "", "13700000001", "", "", ""]]
    return f.matched(world.community_a, rows)


def _page(client, user, entry):
    client.force_login(user)
    with translation.override("zh-hans"):
        response = client.get(reverse("health:entry_detail", args=[entry.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_matched_persons_phone_has_the_registers_audited_reveal(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    body = _page(client, world.grid_worker_a, entry)
    assert reverse("registry:person_reveal", args=[world.person_a1.pk, "phone"]) in body
    assert world.person_a1.phone.reveal() not in body


def test_the_lists_own_phone_is_revealed_with_a_purpose_and_audited(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=3)  # not in the register: the list's phone
    url = reverse("health:entry_reveal", args=[entry.pk, "phone"])
    assert url in _page(client, world.secretary, entry)
    refused = client.post(url, {"purpose": ""}, HTTP_HX_REQUEST="true")
    assert "13700000001" not in refused.content.decode()
    shown = client.post(url, {"purpose": "电话回访核实"}, HTTP_HX_REQUEST="true")
    assert "13700000001" in shown.content.decode()
    entry_row = AuditEntry.objects.filter(action="watchlist.reveal").values().get()
    assert entry_row["fields"] == ["phone"] and entry_row["purpose"] == "电话回访核实"
    assert "陈新" not in " ".join(str(v) for v in entry_row.values())


def test_a_role_that_may_not_reveal_gets_404_from_the_entry_reveal(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    client.force_login(world.by_role["party_member"])
    url = reverse("health:entry_reveal", args=[entry.pk, "phone"])
    assert client.post(url, {"purpose": "电话回访核实"}).status_code == 404
    assert not AuditEntry.objects.filter(action="watchlist.reveal").exists()


def test_online_review_is_named_once_on_the_page(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    assert entry.status == EntryStatus.TO_REVIEW
    body = _page(client, world.grid_worker_a, entry)
    assert body.count("线上研判") == 1


def test_each_open_step_shows_its_deadline_and_the_time_left(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    review_within = STEP_DEADLINES[EntryStatus.TO_REVIEW]
    with clock.freeze(entry.created_at + review_within - dt.timedelta(hours=3)):
        step = selectors.entry_steps(entry)[0]
        assert step.due == entry.created_at + review_within and not step.overdue
        assert "3" in step.left
    with clock.freeze(entry.created_at + review_within + dt.timedelta(hours=2)):
        assert selectors.entry_steps(entry)[0].overdue
        body = _page(client, world.grid_worker_a, entry)
    assert "已超时" in body


def test_the_secretary_sees_progress_per_grid_worker(client, world, upstream_list):
    entry = upstream_list.entries.get(row_number=2)
    assert entry.assignee == world.grid_worker_a
    services.watch_entry_transition(
        actor=world.grid_worker_a, entry=entry, action="review", data={"note": "需要核实"}
    )
    with clock.freeze(entry.created_at + dt.timedelta(days=5)):
        rows = {r.user: r for r in selectors.watch_progress_for(user=world.secretary)}
        client.force_login(world.secretary)
        with translation.override("zh-hans"):
            body = client.get(reverse("health:watchlist")).content.decode()
    worker = rows[world.grid_worker_a]
    assert (worker.assigned, worker.reviewed, worker.verified, worker.overdue) == (1, 1, 0, 1)
    assert str(world.grid_worker_a) in body
    # A grid worker sees no one's progress table, theirs included.
    assert selectors.watch_progress_for(user=world.grid_worker_a) == []
