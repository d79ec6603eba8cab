"""The household list exports to XLSX and CSV: every page, the same filters and scope as
on screen, each export recorded in the audit log."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.registry import services


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def test_households_export_within_the_viewers_scope(world):
    response = _client(world.grid_worker_a).get(
        reverse("registry:household_list"), {"export": "xlsx"}
    )
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows[0]) == 6
    addresses = [r[0] for r in rows[1:]]
    assert addresses == [world.household_a1.address]  # grid A1 only, not A2 or B
    assert rows[1][2] == world.person_a1.name and rows[1][3] == 1


def test_the_export_keeps_the_pages_filters_and_all_pages(world, monkeypatch):
    from gongzhi.registry.views import households

    monkeypatch.setattr(households, "PAGE_SIZE", 1)
    for room in ("102", "103"):
        services.household_create(actor=None, building=world.building_a1, unit="1", room=room)
    client = _client(world.secretary)
    everything = _rows(client.get(reverse("registry:household_list"), {"export": "xlsx"}))
    assert len(everything) == 1 + 4  # all pages of the community: a1, a2 and the two new
    filtered = _rows(
        client.get(reverse("registry:household_list"), {"q": "张晓明", "export": "xlsx"})
    )
    assert [r[0] for r in filtered[1:]] == [world.household_a1.address]


@pytest.mark.parametrize("fmt", ["csv", "csv-gbk"])
def test_households_export_as_csv(world, fmt):
    response = _client(world.secretary).get(reverse("registry:household_list"), {"export": fmt})
    raw = b"".join(response.streaming_content)
    text = raw.decode("gb18030" if fmt == "csv-gbk" else "utf-8-sig")
    assert world.household_a1.address in text
    assert raw.startswith(b"\xef\xbb\xbf") == (fmt == "csv")


def test_an_export_is_audited(world):
    _client(world.grid_worker_a).get(reverse("registry:household_list"), {"export": "csv"})
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor_name == world.grid_worker_a.username
    assert (entry.object_type, entry.object_label) == ("registry.household", "registry.households")
    assert entry.purpose == system_purpose("export", fmt="csv", rows=1, sensitivity="personal")
    assert entry.area_path == world.grid_a1.path  # the worker's grid: its auditors see it


def test_a_role_without_the_register_cannot_export(world):
    response = _client(world.resident).get(reverse("registry:household_list"), {"export": "xlsx"})
    assert response.status_code == 404


def test_an_unknown_format_is_a_bad_request(world):
    response = _client(world.secretary).get(reverse("registry:household_list"), {"export": "pdf"})
    assert response.status_code == 400


# --- the persons of the listed households ------------------------------------------------------


def test_persons_export_one_row_each_masked_within_the_viewers_scope(world):
    response = _client(world.grid_worker_a).get(
        reverse("registry:household_list"), {"export": "xlsx", "rows": "persons"}
    )
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[0][2] and len(rows[0]) == 10
    names = [r[2] for r in rows[1:]]
    assert names == [world.person_a1.name]  # grid A1 only
    person = world.person_a1
    assert rows[1][6] == str(person.id_number) and rows[1][7] == str(person.phone)
    text = str(rows)
    assert person.id_number.reveal() not in text and person.phone.reveal() not in text


def test_persons_export_keeps_the_lists_filters(world):
    client = _client(world.secretary)
    everyone = _rows(
        client.get(reverse("registry:household_list"), {"export": "xlsx", "rows": "persons"})
    )
    filtered = _rows(
        client.get(
            reverse("registry:household_list"),
            {"q": world.person_a1.name, "export": "xlsx", "rows": "persons"},
        )
    )
    assert len(everyone) > len(filtered) == 2
    assert filtered[1][2] == world.person_a1.name


@pytest.mark.parametrize("fmt", ["csv", "csv-gbk"])
def test_persons_export_as_csv_is_audited(world, fmt):
    response = _client(world.grid_worker_a).get(
        reverse("registry:household_list"), {"export": fmt, "rows": "persons"}
    )
    text = b"".join(response.streaming_content).decode(
        "gb18030" if fmt == "csv-gbk" else "utf-8-sig"
    )
    assert world.person_a1.name in text
    assert world.person_a1.id_number.reveal() not in text
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.purpose) == (
        "registry.person",
        system_purpose("export", fmt=fmt, rows=1, sensitivity="personal"),
    )


def test_the_household_list_offers_both_exports_and_refreshes_them_with_the_filters(world):
    client = _client(world.secretary)
    body = client.get(reverse("registry:household_list")).content.decode()
    assert "?export=xlsx" in body and "?export=xlsx&amp;rows=persons" in body
    partial = client.get(
        reverse("registry:household_list"), {"q": "张"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    ).content.decode()  # fmt: skip
    assert 'id="list-export"' in partial and 'hx-swap-oob="true"' in partial
    assert "?q=%E5%BC%A0&amp;export=xlsx&amp;rows=persons" in partial
