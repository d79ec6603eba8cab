"""`/api/v1/imports`: upload, mapping, check, commit, progress, rows, error report — and
the same batch refused (404) to every role that may not import where it was made."""

import io

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from gongzhi.accounts.models import Role
from gongzhi.imports import services
from gongzhi.imports.models import ImportBatch
from gongzhi.imports.tests.conftest import xlsx
from gongzhi.registry.models import Person
from gongzhi.testing import make_id_number


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def api_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def run_queued(batch_id: int) -> None:
    """What `gongzhi worker` does with the queued task."""
    batch = ImportBatch.objects.get(pk=batch_id)
    services.import_run(batch_id=batch.pk, phase=batch.phase, attempt=batch.attempt, language="en")


def test_the_whole_import_over_the_api(world, row_for, django_capture_on_commit_callbacks):
    client = api_client(world.grid_worker_a)
    good, bad = make_id_number(), "123"
    data = xlsx([row_for("赵六", good, "13800000001"), row_for("钱七", bad)])
    created = client.post("/api/v1/imports", {"file": io.BytesIO(data)})
    assert created.status_code == 201, created.content
    body = created.json()
    batch_id = body["id"]
    assert body["status"] == "uploaded" and body["mapping"]["id_number"] == 1

    mapping = dict(body["mapping"], tags=None)
    changed = client.put(
        f"/api/v1/imports/{batch_id}/mapping", {"mapping": mapping}, content_type="application/json"
    )
    assert changed.status_code == 200 and "tags" not in changed.json()["mapping"]

    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(f"/api/v1/imports/{batch_id}/check")
    assert queued.status_code == 202 and queued.json()["status"] == "checking"
    run_queued(batch_id)
    checked = client.get(f"/api/v1/imports/{batch_id}").json()
    assert (checked["status"], checked["rows_created"], checked["rows_failed"]) == ("checked", 1, 1)
    assert checked["report_url"].endswith("/report")

    problems = client.get(f"/api/v1/imports/{batch_id}/rows", {"outcome": "error"}).json()
    assert problems["count"] == 1
    assert problems["items"][0]["row"] == 3
    assert problems["items"][0]["problems"][0]["field"] == "id_number"
    assert problems["items"][0]["problems"][0]["code"] == "length"

    report = client.get(f"/api/v1/imports/{batch_id}/report")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert sheet["A2"].value == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/imports/{batch_id}/commit").status_code == 202
    run_queued(batch_id)
    done = client.get(f"/api/v1/imports/{batch_id}").json()
    assert done["status"] == "committed"
    assert Person.objects.filter(name="赵六").exists()
    assert good not in str(done)
    listed = client.get("/api/v1/imports").json()
    assert [item["id"] for item in listed["items"]] == [batch_id]


def test_an_upload_that_is_not_a_spreadsheet_names_the_file_field(world):
    response = api_client(world.grid_worker_a).post(
        "/api/v1/imports", {"file": io.BytesIO(b"%PDF-1.4")}
    )
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_commit_before_check_is_refused(world, row_for):
    client = api_client(world.grid_worker_a)
    created = client.post(
        "/api/v1/imports", {"file": io.BytesIO(xlsx([row_for("赵六", make_id_number())]))}
    )
    response = client.post(f"/api/v1/imports/{created.json()['id']}/commit")
    assert response.status_code == 400


OPERATIONS = [
    ("get", ""),
    ("put", "/mapping"),
    ("post", "/check"),
    ("post", "/commit"),
    ("get", "/rows"),
    ("get", "/report"),
]


@pytest.mark.parametrize(
    "role", [Role.POLICE, Role.PARTY_MEMBER, Role.STREET_OFFICER, Role.RESIDENT, "grid_worker_b"]
)
def test_a_batch_is_not_found_for_roles_that_may_not_import_there(world, row_for, role):
    batch = services.import_upload(
        actor=world.grid_worker_a,
        file=io.BytesIO(xlsx([row_for("赵六", make_id_number())])),
        filename="r.xlsx",
    )
    user = world.grid_worker_b if role == "grid_worker_b" else world.by_role[role]
    client = api_client(user)
    for method, suffix in OPERATIONS:
        body = {"mapping": batch.mapping} if suffix == "/mapping" else {}
        response = client.generic(
            method.upper(), f"/api/v1/imports/{batch.pk}{suffix}",
            __import__("json").dumps(body), content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 404, (method, suffix, response.status_code)
    assert client.get("/api/v1/imports").json()["items"] == []
    if role != "grid_worker_b":
        refused = client.post("/api/v1/imports", {"file": io.BytesIO(b"a,b\n1,2\n")})
        assert refused.status_code == 403


def test_new_buildings_and_values_to_correct_over_the_api(
    world, row_for, django_capture_on_commit_callbacks
):
    """The check proposes the missing building; the commit makes it when asked (in the
    caller's grid, not another's); a bad phone is a warning naming the file's column."""
    client = api_client(world.grid_worker_a)
    data = xlsx([row_for("赵六", make_id_number(), "10012345678", building="5栋")])
    batch_id = client.post("/api/v1/imports", {"file": io.BytesIO(data)}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/imports/{batch_id}/check")
    run_queued(batch_id)
    checked = client.get(f"/api/v1/imports/{batch_id}").json()
    assert [b["building"] for b in checked["places"]["new"]] == ["5栋"]
    other = client.post(
        f"/api/v1/imports/{batch_id}/commit?create_buildings=true&grid_id={world.grid_a2.pk}"
    )
    assert other.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(f"/api/v1/imports/{batch_id}/commit?create_buildings=true")
    assert queued.status_code == 202, queued.content
    run_queued(batch_id)
    done = client.get(f"/api/v1/imports/{batch_id}").json()
    assert (done["status"], done["rows_created"], done["rows_warned"]) == ("committed", 1, 1)
    assert [c[1] for c in done["places"]["created"]] == ["5栋"]
    rows = client.get(f"/api/v1/imports/{batch_id}/rows?outcome=warning").json()["items"]
    assert rows[0]["warnings"][0]["column"] == "联系电话"
    assert "10012345678" not in str(rows)
    report = client.get(f"/api/v1/imports/{batch_id}/report?rows=warning&format=csv")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert report.status_code == 200 and "联系电话" in text
