"""The lab results pages: load a file, read its report row by row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.health import samples
from gongzhi.health.models import LabBatch, Sample
from gongzhi.health.tests.factories import csv_bytes
from gongzhi.testing import make_id_number

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "采样时间", "检测结果", "试管编码"]


def test_a_file_is_applied_and_its_report_names_rows_not_values(client, world):
    samples.sample_record(
        actor=world.secretary, person=world.person_a1, kind="pcr", tube_code="T0001"
    )
    stranger = make_id_number()
    data = csv_bytes(
        [["", "", "", "阴性", "T0001"], ["某人", stranger, "", "阴性", ""]], HEADER, "gbk"
    )
    client.force_login(world.secretary)
    response = client.post(
        reverse("health_lab:upload"),
        {"area": world.community_a.pk, "file": SimpleUploadedFile("结果.csv", data)},
    )
    batch = LabBatch.objects.get()
    assert response.status_code == 302
    assert Sample.objects.get().result == "negative"
    page = client.get(reverse("health_lab:detail", kwargs={"lab_batch_id": batch.pk}))
    body = page.content.decode()
    assert 'id="lab-problems"' in body and "身份证号" in body
    assert stranger not in body


def test_a_file_without_the_columns_is_a_form_error_naming_them(client, world):
    client.force_login(world.secretary)
    data = csv_bytes([["张三"]], ["姓名"])
    response = client.post(
        reverse("health_lab:upload"),
        {"area": world.community_a.pk, "file": SimpleUploadedFile("结果.csv", data)},
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert "检测结果" in " ".join(response.context["form"].errors["file"])
    assert not LabBatch.objects.exists()


def test_an_area_outside_ones_own_is_refused_on_area(client, world):
    client.force_login(world.grid_worker_a)
    data = csv_bytes([["", "", "", "阴性", "T0001"]], HEADER)
    response = client.post(
        reverse("health_lab:upload"),
        {"area": world.community_b.pk, "file": SimpleUploadedFile("结果.csv", data)},
    )
    assert response.status_code == 200
    assert "area" in response.context["form"].errors
    assert not LabBatch.objects.exists()


def test_another_areas_file_is_missing(client, world):
    from gongzhi.health import lab

    batch = lab.lab_file_upload(
        actor=None,
        area=world.community_b,
        file=csv_bytes([["", "", "", "阴性", "T0001"]], HEADER),
        filename="b.csv",
    )
    client.force_login(world.grid_worker_a)
    assert (
        client.get(reverse("health_lab:detail", kwargs={"lab_batch_id": batch.pk})).status_code
        == 404
    )
    listed = client.get(reverse("health_lab:index")).content.decode()
    assert "b.csv" not in listed


def test_police_cannot_load_results(client, world):
    client.force_login(world.by_role[Role.POLICE])
    assert client.get(reverse("health_lab:upload")).status_code == 404


def test_a_large_file_waits_for_the_worker_on_its_page(client, world, monkeypatch):
    from gongzhi.health import lab

    monkeypatch.setattr(lab, "INLINE_MAX_BYTES", 10)
    monkeypatch.setattr(lab, "_enqueue", lambda batch_id: None)
    client.force_login(world.secretary)
    data = csv_bytes([["", "", "", "阴性", "T0001"]], HEADER)
    response = client.post(
        reverse("health_lab:upload"),
        {"area": world.community_a.pk, "file": SimpleUploadedFile("结果.csv", data)},
        follow=True,
    )
    assert "等待后台处理" in response.content.decode() or "Waiting for the worker" in (
        response.content.decode()
    )
    batch = LabBatch.objects.get()
    from gongzhi.health import uploads

    uploads.remove(lab._file_path(batch.pk))
