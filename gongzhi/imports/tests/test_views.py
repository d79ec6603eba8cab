"""The import pages: upload → preview (mapping) → check → problems → import; who sees which
batch; exports of the imports list; merge proposals."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.accounts.models import Role
from gongzhi.imports.models import ImportBatch, ImportStatus
from gongzhi.imports.tests.conftest import run, upload, xlsx
from gongzhi.registry import services as registry_services
from gongzhi.registry.models import Person
from gongzhi.testing import make_id_number


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_upload_page_stores_the_file_and_opens_the_preview(world, row_for):
    client = client_for(world.grid_worker_a)
    number = make_id_number()
    data = xlsx([row_for("赵六", number, "13800000001")])
    response = client.post(
        reverse("imports:upload"), {"file": io.BytesIO(data)}, format="multipart"
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", kwargs={"import_id": batch.pk})
    page = client.get(response["Location"]).content.decode()
    assert "赵六" in page and number not in page  # the sample is masked
    assert 'name="id_number"' in page  # the mapping's selects


def test_a_bad_file_is_a_form_error_naming_the_rule(world):
    client = client_for(world.grid_worker_a)
    upload_file = io.BytesIO(b"%PDF-1.4")
    upload_file.name = "x.xlsx"
    response = client.post(reverse("imports:upload"), {"file": upload_file})
    assert response.status_code == 200
    assert "不是电子表格" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_checking_queues_the_worker_and_shows_progress(
    world, row_for, django_capture_on_commit_callbacks
):
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    client = client_for(world.grid_worker_a)
    url = reverse("imports:detail", kwargs={"import_id": batch.pk})
    form = {k: str(v) for k, v in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {**form, "action": "check"})
    assert response.status_code == 302 and len(callbacks) == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING and batch.task_id
    page = client.get(url).content.decode()
    assert 'id="import-progress"' in page and "every 1s" in page


def test_the_checked_preview_lists_problems_and_the_commit_button(world, row_for):
    rows = [row_for("赵六", make_id_number()), row_for("钱七", "123")]
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    page = client_for(world.grid_worker_a).get(
        reverse("imports:detail", kwargs={"import_id": batch.pk})
    )
    text = page.content.decode()
    assert 'value="commit"' in text
    assert "18 characters" in text  # the ID number's problem, named
    errors_only = client_for(world.grid_worker_a).get(
        reverse("imports:detail", kwargs={"import_id": batch.pk}), {"only": "error"}
    )
    assert errors_only.context["page_obj"].paginator.count == 1


def test_the_error_report_downloads_as_xlsx(world, row_for):
    batch = run(
        upload(world.grid_worker_a, xlsx([row_for("钱七", "123")])), "check", world.grid_worker_a
    )
    response = client_for(world.grid_worker_a).get(
        reverse("imports:report", kwargs={"import_id": batch.pk})
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A2"].value == 2
    assert "18 characters" in sheet.cell(row=2, column=sheet.max_column).value


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("grid_worker_a", True),  # made it
        ("grid_leader", True),  # same grid
        ("secretary", True),  # the community above
        ("grid_worker_b", False),  # another grid of the community
        ("police", False),  # sees the register, does not import
        ("street_officer", False),
        ("auditor", False),
    ],
)
def test_a_batch_is_seen_only_by_importers_of_its_area(world, row_for, who, sees):
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    user = getattr(world, who, None) or world.by_role[who]
    client = client_for(user)
    if user.username == "auditor":
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    for name in ("imports:detail", "imports:report"):
        response = client.get(reverse(name, kwargs={"import_id": batch.pk}))
        assert (response.status_code == 200) == sees, (name, response.status_code)
        if not sees:
            assert response.status_code == 404
    listed = client.get(reverse("imports:list"))
    if listed.status_code == 200:
        assert (batch.filename in listed.content.decode()) == sees


def test_a_role_that_may_not_import_cannot_post_to_a_batch(world, row_for):
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    response = client_for(world.by_role[Role.POLICE]).post(
        reverse("imports:detail", kwargs={"import_id": batch.pk}), {"action": "check"}
    )
    assert response.status_code == 404


def test_the_imports_list_exports_to_xlsx_and_csv(world, row_for):
    upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]), "=cmd.xlsx")
    client = client_for(world.grid_worker_a)
    response = client.get(reverse("imports:list"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["B2"].value == "'=cmd.xlsx"  # formula injection neutralised
    csv = client.get(reverse("imports:list"), {"export": "csv-gbk"})
    assert "=cmd.xlsx" in b"".join(csv.streaming_content).decode("gb18030")
    assert client.get(reverse("imports:list"), {"export": "pdf"}).status_code == 400


def test_the_duplicates_page_proposes_and_merges(world):
    person = world.person_a1
    twin = registry_services.person_create(
        actor=None,
        household=world.household_a1,
        data={
            "name": person.name,
            "id_number": make_id_number(birth=person.birth_date),
            "phone": person.phone.reveal(),
        },
    )
    client = client_for(world.grid_worker_a)
    page = client.get(reverse("imports:duplicates")).content.decode()
    assert f'value="{twin.pk}"' in page
    assert person.phone.reveal() not in page  # masked
    response = client.post(reverse("imports:merge"), {"keep": person.pk, "merge": twin.pk})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=twin.pk).exists()


def test_a_grid_worker_cannot_merge_persons_of_another_grid(world):
    response = client_for(world.grid_worker_b).post(
        reverse("imports:merge"), {"keep": world.person_a1.pk, "merge": world.person_a2.pk}
    )
    assert response.status_code == 404
    assert Person.objects.filter(pk=world.person_a2.pk).exists()


def test_an_upload_over_the_limit_is_stopped_while_it_arrives(world, settings):
    settings.GONGZHI_IMPORT_MAX_BYTES = 10_000
    client = client_for(world.grid_worker_a)
    big = io.BytesIO(b"a,b\n" * 50_000)
    big.name = "big.csv"
    response = client.post(reverse("imports:upload"), {"file": big})
    assert response.status_code == 200
    assert "文件超过" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_upload_form_still_checks_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid_worker_a)
    upload_file = io.BytesIO(b"a,b\n1,2\n")
    upload_file.name = "x.csv"
    assert client.post(reverse("imports:upload"), {"file": upload_file}).status_code == 403


def test_the_rows_of_an_import_export_as_shown(world, row_for):
    """The row-by-row table exports (every page, the same outcome filter), without values."""
    number = make_id_number()
    rows = [row_for("赵六", number), row_for("钱七", "123")]
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    client = client_for(world.grid_worker_a)
    url = reverse("imports:detail", kwargs={"import_id": batch.pk})
    assert "?export=xlsx" in client.get(url).content.decode()
    response = client.get(url, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0][:4] == ["行号", "结果", "变更内容", "问题"]
    assert [(r[0], r[1]) for r in got[1:]] == [(2, "新增"), (3, "有问题")]
    assert "18 characters" in got[2][3]
    assert number not in str(got)
    errors = client.get(url, {"export": "csv", "only": "error"})
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert "18 characters" in text and "New" not in text


def test_the_pages_show_the_step_of_the_import(world, row_for):
    client = client_for(world.grid_worker_a)
    page = client.get(reverse("imports:upload")).content.decode()
    assert 'aria-current="step">上传文件' in page
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    url = reverse("imports:detail", kwargs={"import_id": batch.pk})
    assert 'aria-current="step">选择对应列' in client.get(url).content.decode()
    run(batch, "check", world.grid_worker_a)
    assert 'aria-current="step">导入一社一户一册' in client.get(url).content.decode()
