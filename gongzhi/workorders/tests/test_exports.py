"""Every work-order list exports to XLSX and CSV: the list as shown (scope, tab, filters,
every page), with the viewer's masking, each staff export recorded in the audit log."""

import csv
import io

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import new_order, order_in


def _client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _column(rows: list[list], name: str) -> list:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_the_inbox_exports_its_tab_with_every_page_and_a_masked_phone(people, monkeypatch):
    from gongzhi.workorders import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    waiting = [new_order(people, contact_phone="13912345678") for _ in range(3)]
    order_in(people, Status.DISPATCHED)  # another tab

    rows = _xlsx(_client(people.grid_worker).get(reverse("workorders:inbox"), {"export": "xlsx"}))

    assert sorted(_column(rows, "Number")) == sorted(o.number for o in waiting)
    assert set(_column(rows, "Asked by")) == {people.world.person_a1.name}
    assert set(_column(rows, "Phone")) == {"139****5678"}
    assert "13912345678" not in repr(rows)


def test_the_inbox_export_keeps_the_filters(people):
    repair = new_order(people)
    new_order(people, code="errands")

    rows = _csv(
        _client(people.grid_worker).get(
            reverse("workorders:inbox"), {"tab": "all", "category": "repair", "export": "csv"}
        )
    )

    assert _column(rows, "Number") == [repair.number]


def test_an_export_outside_ones_grid_is_empty(people):
    new_order(people)

    rows = _csv(
        _client(people.grid_worker_b).get(
            reverse("workorders:inbox"), {"tab": "all", "export": "csv"}
        )
    )

    assert rows[1:] == []


def test_an_anonymous_complaint_exported_by_its_volunteer_names_nobody(people):
    order = new_order(
        people,
        code="complaint",
        anonymous=True,
        description="楼下噪音",
        contact_phone="13912345678",
    )
    from gongzhi.workorders import services

    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )

    rows = _xlsx(_client(people.volunteer).get(reverse("workorders:tasks"), {"export": "xlsx"}))
    staff = _xlsx(
        _client(people.grid_worker).get(
            reverse("workorders:inbox"), {"tab": "all", "export": "xlsx"}
        )
    )

    assert _column(rows, "Number") == [order.number]
    assert _column(rows, "Asked by") == ["Anonymous"]
    assert _column(rows, "Phone") in ([None], [""])  # an empty cell
    text = repr(rows)
    assert people.world.person_a1.name not in text
    assert people.world.household_a1.address not in text
    assert _column(staff, "Asked by") == [people.world.person_a1.name]


def test_the_board_exports_one_row_per_grid(people, world):
    new_order(people)

    rows = _csv(_client(people.secretary).get(reverse("workorders:board"), {"export": "csv"}))

    names = [row[0].strip("\u3000") for row in rows[1:]]
    assert world.grid_a1.name in names and world.grid_a2.name in names
    a1 = next(row for row in rows[1:] if row[0].strip("\u3000") == world.grid_a1.name)
    assert a1[2] == "1"  # waiting for dispatch


def test_the_task_list_exports_by_list(people):
    offered = order_in(people, Status.DISPATCHED)
    working = order_in(people, Status.ACCEPTED)

    rows = _csv(_client(people.volunteer).get(reverse("workorders:tasks"), {"export": "csv"}))

    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("Offered to me", offered.number),
        ("In hand", working.number),
    ]


def test_a_staff_export_is_audited(people):
    _client(people.grid_worker).get(reverse("workorders:inbox"), {"tab": "all", "export": "csv"})

    entry = AuditEntry.objects.get(action="export")
    assert entry.actor_id == people.grid_worker.pk
    assert (entry.object_type, entry.object_label) == ("workorders.workorder", "workorders.inbox")
    assert entry.purpose == system_purpose(
        "export", fmt="csv", rows=0, sensitivity="personal"
    ) and entry.fields == ["tab"]


def test_residents_download_their_own_requests(people):
    mine = new_order(people)
    new_order(people, actor=people.secretary, person=people.world.person_a2)

    rows = _csv(
        _client(people.resident).get(reverse("workorders_resident:list"), {"export": "csv"})
    )

    assert _column(rows, "Number") == [mine.number]


@pytest.mark.parametrize(
    "route",
    ["workorders:inbox", "workorders:board", "workorders:tasks", "workorders_resident:list"],
)
def test_an_unknown_export_format_is_a_bad_request(people, route):
    user = {"workorders:tasks": people.volunteer, "workorders_resident:list": people.resident}.get(
        route, people.grid_worker
    )

    assert _client(user).get(reverse(route), {"export": "pdf"}).status_code == 400


def test_a_role_without_the_list_cannot_export_it(people):
    response = _client(people.resident).get(reverse("workorders:inbox"), {"export": "xlsx"})

    assert response.status_code == 404
