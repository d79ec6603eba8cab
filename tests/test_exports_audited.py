"""Every download of a list leaves exactly one audit entry, and no entry holds what was
searched for.

The table below names a route for every export declared anywhere
(`gongzhi.web.exports.declared()`); a new declaration without a row here fails the first
test. A last test reads the code for any other way of making a spreadsheet download.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

import gongzhi
from gongzhi.accounts.models import SECOND_FACTOR_ROLES, Role
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.web import exports

ROOT = Path(gongzhi.__file__).resolve().parent


def _import_every_declaration() -> dict[str, exports.Export[Any]]:
    for module in pkgutil.iter_modules([str(ROOT)]):
        if (ROOT / module.name / "exports.py").exists():
            importlib.import_module(f"gongzhi.{module.name}.exports")
    return exports.declared()


@dataclass
class Case:
    export: str  # the declaration's name
    user: Callable[[Any], Any]  # world -> the user who downloads
    url: Callable[[Any], str]  # context -> the URL
    params: dict[str, str]


def _batch(world):
    from gongzhi.imports.tests.conftest import run, upload, xlsx
    from gongzhi.testing import make_id_number

    rows = [["赵六", make_id_number(), "", "玉岭花园", "1栋", "1", "301", "户主", ""]]
    rows.append(["钱七", "123", "", "玉岭花园", "1栋", "1", "302", "户主", ""])
    return run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)


CASES = [
    Case("registry.households", lambda w: w.grid_worker_a,
         lambda c: reverse("registry:household_list"), {}),
    Case("registry.persons", lambda w: w.grid_worker_a,
         lambda c: reverse("registry:household_list"), {"rows": "persons"}),
    Case("health.watch_list", lambda w: w.secretary, lambda c: reverse("health:watchlist"), {}),
    Case("health.upstream_lists", lambda w: w.secretary,
         lambda c: reverse("health:upstream_list_index"), {}),
    Case("audit.log", lambda w: w.by_role[Role.AUDITOR], lambda c: reverse("audit:log"), {}),
    Case("notifications.inbox", lambda w: w.grid_worker_a, lambda c: "/inbox/", {}),
    Case("notifications.inbox", lambda w: w.resident, lambda c: "/m/inbox/", {}),
    Case("notifications.outbox", lambda w: w.by_role[Role.SYSTEM_ADMIN],
         lambda c: "/inbox/outbox/", {}),
    Case("imports.list", lambda w: w.grid_worker_a, lambda c: reverse("imports:list"), {}),
    Case("imports.rows", lambda w: w.grid_worker_a,
         lambda c: reverse("imports:detail", kwargs={"import_id": c["batch"].pk}), {}),
    Case("imports.problems", lambda w: w.grid_worker_a,
         lambda c: reverse("imports:report", kwargs={"import_id": c["batch"].pk}), {}),
    Case("imports.problems", lambda w: w.grid_worker_a,
         lambda c: f"/api/v1/imports/{c['batch'].pk}/report", {}),
    Case("reports.templates", lambda w: w.secretary, lambda c: reverse("reports:index"), {}),
    Case("reports.history", lambda w: w.secretary,
         lambda c: reverse("reports:report_history"), {}),
    Case("workorders.inbox", lambda w: w.grid_worker_a, lambda c: reverse("workorders:inbox"),
         {"tab": "all"}),
    Case("workorders.board", lambda w: w.secretary, lambda c: reverse("workorders:board"), {}),
    Case("workorders.tasks", lambda w: w.by_role[Role.VOLUNTEER],
         lambda c: reverse("workorders:tasks"), {}),
    Case("workorders.my_requests", lambda w: w.resident,
         lambda c: reverse("workorders_resident:list"), {}),
    Case("accounts.holders", lambda w: w.secretary, lambda c: reverse("accounts:holders"), {}),
    Case("notices.unread", lambda w: w.grid_worker_a,
         lambda c: reverse("notices:detail", kwargs={"notice_id": c["notice"].pk}), {}),
    Case("emergency.inventory", lambda w: w.secretary,
         lambda c: reverse("emergency_supplies:index"), {}),
]  # fmt: skip


def _client(user) -> Client:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if user.memberships.filter(role__in=SECOND_FACTOR_ROLES).exists():
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        client.post(reverse("accounts:second_factor"), {"token": token})
    return client


def _download(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def test_every_declared_export_has_a_route_in_this_test():
    assert {case.export for case in CASES} == set(_import_every_declaration())


@pytest.fixture
def context(world):
    from gongzhi.health.tests import factories as health
    from gongzhi.reports import services as reports
    from gongzhi.workorders.tests.factories import People, new_order

    health.matched(world.community_a, [health.person_row(world.person_a1)])
    reports.report_template_install(
        actor=world.secretary, area=world.community_a, code="elderly_alone"
    )
    new_order(People.of(world))
    from gongzhi.notices.tests.factories import publish

    return {"batch": _batch(world), "notice": publish(world.building_a1)}


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "csv-gbk"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.export)
def test_every_export_records_exactly_one_audit_entry(world, context, case, fmt):
    client = _client(case.user(world))
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    format_key = "format" if "/report" in case.url(context) else "export"

    _download(client.get(case.url(context), {**case.params, format_key: fmt}))

    new = list(AuditEntry.objects.filter(seq__gt=before))
    assert len(new) == 1, [(e.action, e.object_type) for e in new]
    entry = new[0]
    declared = exports.declared()[case.export]
    assert (entry.action, entry.object_label) == ("export", case.export)
    assert entry.object_type == declared.object_type
    assert entry.actor_id == case.user(world).pk
    assert re.fullmatch(
        rf'§export \{{"fmt":"{fmt}","rows":\d+,"sensitivity":"{declared.sensitivity.value}"\}}',
        entry.purpose,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.export)
def test_every_export_made_by_the_worker_has_the_same_rows_and_one_entry(
    world, context, case, django_capture_on_commit_callbacks
):
    """The same download through the worker (every list asked for in the background):
    the same file as on the spot, the same one audit entry."""
    from django.test import override_settings

    from gongzhi.web.models import ExportJob
    from gongzhi.web.tasks import run_export

    client = _client(case.user(world))
    format_key = "format" if "/report" in case.url(context) else "export"
    params = {**case.params, format_key: "csv"}
    on_the_spot = _download(client.get(case.url(context), params))
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    with (
        override_settings(GONGZHI_EXPORT_BACKGROUND_ROWS=1),
        django_capture_on_commit_callbacks(execute=False),
    ):
        response = client.get(case.url(context), params)
    job = ExportJob.objects.filter(export=case.export).order_by("-pk").first()
    if job is None:  # a list of rows already made (not a queryset), or the API: on the spot
        assert response.status_code == 200
        return
    assert response.status_code == 302
    run_export.call(job.pk)
    made = _download(client.get(reverse("web:export_job_download", args=[job.pk])))
    if case.export == "audit.log":  # the first download is in the log the second shows
        assert len(made.splitlines()) == len(on_the_spot.splitlines()) + 1
    else:
        assert made == on_the_spot
    new = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(e.action, e.object_label) for e in new] == [("export", case.export)]


def test_the_audit_entry_counts_the_rows_written(world):
    client = _client(world.secretary)

    body = _download(client.get(reverse("registry:household_list"), {"export": "csv"}))

    lines = body.decode("utf-8-sig").strip().splitlines()
    entry = AuditEntry.objects.get(action="export")
    assert entry.purpose == system_purpose(
        "export", fmt="csv", rows=len(lines) - 1, sensitivity="personal"
    )


# --- a search by ID number or phone leaves no digits in the audit log ---------------------------

MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def _audit_table_text() -> list[tuple[str, str]]:
    """Every column of every audit entry, read from the table itself, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEntry._meta.db_table}")
        names = [c[0] for c in cursor.description]
        return [(n, str(v)) for row in cursor.fetchall() for n, v in zip(names, row, strict=True)]


@pytest.mark.parametrize(
    ("route", "user", "params"),
    [
        ("registry:household_list", "secretary", {}),
        ("registry:household_list", "secretary", {"rows": "persons"}),
        ("health:watchlist", "secretary", {}),
    ],
)
@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_an_export_of_a_search_by_id_number_or_phone_leaves_no_digits_in_the_audit_log(
    world, route, user, params, field
):
    from gongzhi.health.tests import factories as health

    health.matched(world.community_a, [health.person_row(world.person_a1)])
    value = getattr(world.person_a1, field).reveal()
    client = _client(getattr(world, user))

    for fmt in ("xlsx", "csv"):
        _download(client.get(reverse(route), {**params, "q": value, "export": fmt}))

    entries = AuditEntry.objects.filter(action="export")
    assert entries.count() == 2
    assert all(e.fields == [f"q:{field}"] for e in entries)  # the kind, not the value
    for column, text in _audit_table_text():
        assert value not in text, column
        assert value[-8:] not in text, column
        if column not in ("hash", "prev_hash"):  # hexadecimal: digit runs by chance
            assert not MOBILE.search(text), (column, text)
            assert not RESIDENT_ID.search(text), (column, text)


# --- no other way to make a download ------------------------------------------------------------

# Code that may write a spreadsheet or answer with one, and why.
ALLOWED = {
    "web/exports.py": "the one audited export mechanism",
    "core/tabular/writing.py": "the writers it uses",
    "core/tabular/__init__.py": "names them",
    "reports/filling.py": "fills a department's own template in the worker",
    "reports/builtin.py": "builds the ready-made templates",
    "reports/views.py": "a filled report's download, audited by services.report_download",
    "reports/api.py": "the same download over the API",
    "demo/datasets.py": "writes the demo's sample files to disk",
    "demo/health_samples.py": "writes the demo's lab results file, applied like an upload",
    "points/certificate_views.py": "a holder's own certificate as a PDF: no table, only what it states",
    "notices/uploads.py": "a notice's attachment (a PDF or an image) as published, no table",
    "emergency/plan_views.py": "a plan as a document (PDF or DOCX): counts only, never a "
    "person; each download audited by plan_export.plan_document",
}
DOWNLOAD_MARKERS = re.compile(
    r"text/csv|spreadsheetml|content_disposition_header|Content-Disposition|csv\.writer|"
    r"Workbook\(|write_xlsx|write_csv|csv_chunks"
)


def test_no_code_but_the_export_mechanism_makes_a_spreadsheet_download():
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        if DOWNLOAD_MARKERS.search(path.read_text(encoding="utf-8")):
            found.add(relative)
    # A photo is served inline (workorders, Open311 media links); that is not a table.
    for photos in ("workorders/views.py", "workorders/open311.py", "workorders/uploads.py"):
        if _only_inline(photos):
            found.discard(photos)
    assert found <= set(ALLOWED), sorted(found - set(ALLOWED))


def _only_inline(relative: str) -> bool:
    text = (ROOT / relative).read_text(encoding="utf-8")
    return set(DOWNLOAD_MARKERS.findall(text)) == {"Content-Disposition"} and (
        '"Content-Disposition"] = "inline"' in text
    )
