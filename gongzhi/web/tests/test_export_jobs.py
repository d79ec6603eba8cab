"""Long exports: a list of GONGZHI_EXPORT_BACKGROUND_ROWS rows or more is written by the
worker; the page shows progress, then a download only its requester can take; the export
has its one audit entry, with no personal value; the file is kept encrypted, then removed."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock
from gongzhi.web import exports
from gongzhi.web.models import ExportJob, ExportStatus
from gongzhi.web.tasks import run_export

LIST = "registry:household_list"


@pytest.fixture
def small_threshold():
    with override_settings(GONGZHI_EXPORT_BACKGROUND_ROWS=1):
        yield


def _ask(client, user, **params):
    client.force_login(user)
    return client.get(reverse(LIST), {"export": "xlsx", **params})


def test_a_small_export_is_still_made_on_the_spot(client, world):
    response = _ask(client, world.secretary)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert not ExportJob.objects.exists()


def test_a_large_export_goes_to_the_worker_and_its_requester_downloads_it(
    client, world, small_threshold, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _ask(client, world.secretary)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("web:export_job", args=[job.pk])
    assert (job.user, job.status, job.export) == (world.secretary, "queued", "registry.households")
    assert job.total > 1 and len(queued) == 1  # the task is enqueued after commit
    assert not AuditEntry.objects.filter(action="export").exists()  # nothing left yet

    page = client.get(response.url)
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()

    run_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.query) == (ExportStatus.DONE, job.total, "")

    status = client.get(response.url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="export-status")
    download = reverse("web:export_job_download", args=[job.pk])
    assert download in status.content.decode() and "every 2s" not in status.content.decode()
    got = client.get(download)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(got.streaming_content))).active
    assert sheet.max_row == job.total + 1  # the header and every row


def test_the_export_is_audited_once_without_personal_values(
    client, world, small_threshold, django_capture_on_commit_callbacks
):
    person = world.person_a1
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, world.secretary, q=person.name)
    job = ExportJob.objects.get()
    assert person.name not in job.query  # the page's search is kept sealed
    run_export.call(job.pk)
    (entry,) = AuditEntry.objects.filter(action="export")
    assert entry.actor == world.secretary and entry.object_label == "registry.households"
    assert entry.fields == ["q:name"]
    assert entry.purpose == system_purpose(
        "export", fmt="xlsx", rows=job.total, sensitivity="personal"
    )
    row = " ".join(str(v) for v in AuditEntry.objects.filter(pk=entry.pk).values().get().values())
    assert person.name not in row and person.phone.reveal() not in row
    run_export.call(job.pk)  # twice: nothing more
    assert AuditEntry.objects.filter(action="export").count() == 1


def test_another_user_gets_404_for_the_page_and_the_file(
    client, world, small_threshold, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, world.secretary)
    job = ExportJob.objects.get()
    run_export.call(job.pk)
    for other in (world.grid_worker_a, world.by_role["auditor"], world.outsider):
        client.force_login(other)
        assert client.get(reverse("web:export_job", args=[job.pk])).status_code in (302, 404)
        got = client.get(reverse("web:export_job_download", args=[job.pk]))
        assert got.status_code in (302, 404) and not got.get("Content-Disposition")
    client.logout()
    assert client.get(reverse("web:export_job_download", args=[job.pk])).status_code == 302


def test_the_file_is_kept_encrypted_and_removed_when_it_expires(
    client, world, small_threshold, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, world.secretary, export="csv")
    job = ExportJob.objects.get()
    run_export.call(job.pk)
    job.refresh_from_db()
    path = exports._job_dir() / job.file_path
    stored = path.read_bytes()
    assert world.person_a1.name.encode() not in stored
    assert world.person_a1.name.encode("utf-8") not in stored
    assert path.stat().st_mode & 0o777 == 0o600
    with clock.freeze(job.expires_at + dt.timedelta(seconds=1)):
        client.force_login(world.secretary)
        assert client.get(reverse("web:export_job_download", args=[job.pk])).status_code == 404
        assert exports.export_jobs_prune() == 1
    assert not path.exists() and not ExportJob.objects.exists()


def test_an_htmx_export_link_is_sent_to_the_job_page(
    client, world, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(world.secretary)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.get(reverse(LIST), {"export": "xlsx"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("web:export_job", args=[ExportJob.objects.get().pk])
