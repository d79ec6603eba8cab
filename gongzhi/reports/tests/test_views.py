import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gongzhi.accounts.models import Role
from gongzhi.reports import services
from gongzhi.reports.models import Report, ReportTemplate
from gongzhi.reports.tests.factories import department_workbook, fill


@pytest.fixture
def template(world):
    return services.report_template_install(
        actor=world.secretary, area=world.community_a, code="elderly_alone"
    )


def test_pages_of_a_manager(client, world, template):
    client.force_login(world.secretary)
    for url in [
        reverse("reports:index"),
        reverse("reports:template_upload"),
        reverse("reports:template_detail", args=[template.pk]),
        reverse("reports:template_edit", args=[template.pk]),
        reverse("reports:report_history"),
    ]:
        assert client.get(url).status_code == 200, url


def test_uploading_and_mapping_through_the_pages(client, world):
    client.force_login(world.secretary)
    response = client.post(
        reverse("reports:template_upload"),
        {
            "area": world.community_a.pk,
            "dataset": "persons",
            "file": SimpleUploadedFile("名册.xlsx", department_workbook()),
        },
    )
    template = ReportTemplate.objects.get(builtin="")
    assert response.status_code == 302
    edit = reverse("reports:template_edit", args=[template.pk])
    form = client.get(edit).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, [])}
    data.update({"col2_transform": "mask", "f_tags": ["elderly_alone"]})
    response = client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    template.refresh_from_db()
    assert template.filters == {"tags": ["elderly_alone"]}
    assert {"column": 2, "field": "name", "transform": "mask", "arg": ""} in template.columns


def test_filling_on_demand_queues_the_report(
    client, world, template, django_capture_on_commit_callbacks
):
    client.force_login(world.grid_worker_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("reports:template_fill", args=[template.pk]))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "queued" and report.area == world.grid_a1
    assert len(callbacks) == 1


def test_the_history_exports_and_reports_download(client, world, template):
    report = fill(template, actor=world.secretary)
    client.force_login(world.by_role[Role.STREET_OFFICER])
    response = client.get(reverse("reports:report_history"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "独居老人关爱台账" in text
    response = client.get(reverse("reports:report_download", args=[report.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "玉岭社区独居老人关爱台账"
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "csv-gbk"])
def test_the_template_list_exports(client, world, template, fmt):
    client.force_login(world.grid_worker_a)  # sees the community's templates
    response = client.get(reverse("reports:index"), {"export": fmt})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[1][:3] == ["独居老人关爱台账", "社区民政办", "玉岭社区"]
    else:
        text = data.decode("gb18030" if fmt == "csv-gbk" else "utf-8-sig")
        assert "独居老人关爱台账" in text


def test_a_template_name_that_excel_would_run_is_exported_as_text(client, world, template):
    ReportTemplate.objects.filter(pk=template.pk).update(name="=HYPERLINK(1)")
    client.force_login(world.secretary)
    response = client.get(reverse("reports:index"), {"export": "csv"})
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_report_lists_use_the_shared_export_control(client, world, template):
    client.force_login(world.secretary)
    for url in (reverse("reports:index"), reverse("reports:report_history")):
        body = client.get(url).content.decode()
        assert "?export=xlsx" in body and "?export=csv" in body, url
    response = client.get(reverse("reports:report_history"), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_every_control_of_the_mapping_table_is_named(client, world, template):
    client.force_login(world.secretary)
    body = client.get(reverse("reports:template_edit", args=[template.pk])).content.decode()
    for n, header in ((1, "序号"), (12, "关爱措施")):
        for part in ("field", "transform", "arg"):
            tag = (
                body.split(f'name="col{n}_{part}"')[0].rsplit("<", 1)[1]
                + body.split(f'name="col{n}_{part}"')[1].split(">", 1)[0]
            )
            assert "aria-label=" in tag and header in tag, (n, part)


def test_api_fill_and_download(world, template):
    api = Client()
    api.force_login(world.secretary)
    response = api.post(
        f"/api/v1/report-templates/{template.pk}/fill", {}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    services.report_fill(report_id=report_id)
    assert api.get(f"/api/v1/reports/{report_id}").json()["status"] == "done"
    download = api.get(f"/api/v1/reports/{report_id}/download")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    listed = api.get("/api/v1/reports", {"template_id": template.pk}).json()
    assert listed["count"] == 1


def test_api_mapping_errors_are_400_by_field(world, template):
    api = Client()
    api.force_login(world.secretary)
    response = api.put(
        f"/api/v1/report-templates/{template.pk}/mapping",
        {"columns": [{"column": 2, "field": "salary"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "columns" in response.json()["fields"]


def test_api_catalogue_lists_the_data_sets(world):
    api = Client()
    api.force_login(world.grid_worker_a)
    body = api.get("/api/v1/report-fields").json()
    assert {d["code"] for d in body["datasets"]} == {"persons", "watch_entries", "grid_vaccination"}
    assert body["ready_made"]["vaccination"] == "疫苗接种统计表"


def test_a_templates_filters_read_as_words_not_codes(client, world, template):
    """`tags = ['elderly_alone']` was what the page showed; it says 标签：独居老人."""
    from django.utils import translation

    assert template.filters.get("tags") == ["elderly_alone"]
    client.force_login(world.secretary)
    with translation.override("zh-hans"):
        body = client.get(
            reverse("reports:template_detail", args=[template.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    assert "elderly_alone" not in body
    assert "['" not in body
    assert "标签：独居老人" in body
