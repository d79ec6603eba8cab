"""The audit log exports to XLSX and CSV with the page's filters and scope; text that
Excel would run as a formula is escaped."""

import io

import openpyxl
from django.urls import reverse

from gongzhi.audit.services import audit_record
from gongzhi.audit.tests.test_views import as_auditor  # noqa: F401 - the fixture


def _sheet(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_the_log_exports_with_its_filters_as_xlsx(as_auditor, world):  # noqa: F811
    audit_record(actor=world.secretary, action="person.reveal", purpose="=HYPERLINK(1)")
    response = as_auditor.get(reverse("audit:log"), {"action": "person.reveal", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = [[c.value for c in row] for row in _sheet(response).iter_rows()]
    assert rows[0][0] == "#"
    assert [r[4] for r in rows[1:]] == ["person.reveal"]
    assert rows[1][9] == "'=HYPERLINK(1)"


def test_the_log_exports_as_gbk_csv(as_auditor, world):  # noqa: F811
    response = as_auditor.get(reverse("audit:log"), {"export": "csv-gbk"})
    text = b"".join(response.streaming_content).decode("gb18030")
    assert text.splitlines()[0].startswith("#,")
    assert "person.create" in text


def test_a_grid_worker_cannot_export_the_log(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("audit:log"), {"export": "xlsx"}).status_code == 404
