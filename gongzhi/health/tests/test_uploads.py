"""Bad input on upload: each refused with an error naming the field (`file`) and the rule,
nothing saved; a failed match leaves no partial watch list and can be run again."""

import io
import os
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.health import services
from gongzhi.health.models import UpstreamList, WatchEntry
from gongzhi.health.tests import factories as f


def uploads_dir():
    return settings.DATA_DIR / "uploads" / "upstream"


def stored_files():
    return sorted(os.listdir(uploads_dir())) if uploads_dir().exists() else []


def refused(world, data, filename="list.csv"):
    before = stored_files()
    with pytest.raises(ValidationError) as info:
        services.upstream_list_upload(
            actor=world.secretary, area=world.community_a, file=data, filename=filename
        )
    assert not UpstreamList.objects.exists()
    assert stored_files() == before
    return info.value.error_dict


def codes(errors, field="file"):
    return {e.code for e in errors[field]}


def test_a_good_list_is_stored_owner_only_and_queued(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        upstream_list = f.upload(
            world.community_a, [f.person_row(world.person_a1)], actor=world.secretary
        )
    assert upstream_list.status == "uploaded"
    assert len(callbacks) == 1  # the match is enqueued once the upload commits
    path = settings.DATA_DIR / upstream_list.file_path
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert AuditEntry.objects.filter(action="upstream_list.upload").exists()


def test_wrong_encoding_is_refused(world):
    data = "姓名,手机号\n张三,13912345678\n".encode("utf-16")
    assert "encoding" in codes(refused(world, data))


def test_a_fifty_megabyte_file_is_refused(world):
    data = b"name,phone\n" + b"x" * (50 * 1024 * 1024)
    assert "too_large" in codes(refused(world, data))


def test_a_zip_bomb_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (64 * 1024 * 1024))
    assert "zip_bomb" in codes(refused(world, buffer.getvalue(), "bomb.xlsx"))


def test_a_file_that_is_not_a_spreadsheet_is_refused(world):
    assert "not_spreadsheet" in codes(refused(world, b"%PDF-1.7 not a table", "list.xlsx"))


def test_a_list_with_neither_id_nor_phone_column_is_refused(world):
    data = f.csv_bytes([["张三", "武汉"]], header=["姓名", "来源地"])
    errors = refused(world, data)
    assert "no_identifier" in codes(errors)


def test_an_empty_file_is_refused(world):
    assert "empty" in codes(refused(world, b""))


def test_an_outsider_cannot_upload(world):
    with pytest.raises(Forbidden):
        f.upload(world.community_a, [f.person_row(world.person_a1)], actor=world.grid_worker_a)


def test_a_building_is_not_an_area_for_a_list(world):
    with pytest.raises(ValidationError) as info:
        f.upload(world.building_a1, [f.person_row(world.person_a1)])
    assert "area" in info.value.error_dict


def xlsx_with_two_row_header(world) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "省大数据中心推送 2022-03-14"
    sheet.merge_cells("A1:E1")
    sheet["A2"], sheet["B2"], sheet["C2"] = "姓名", "身份证号", "联系方式"
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:D2")
    sheet["C3"], sheet["D3"] = "手机号", "座机"
    sheet["E2"] = "到达日期"
    sheet.merge_cells("E2:E3")
    person = world.person_a1
    sheet.append([person.name, person.id_number.reveal(), person.phone.reveal(), "", 44634])
    sheet.append([])  # a blank row
    sheet.append(["陈新", "", "13700000001", "", "=TODAY()"])  # a formula
    sheet["F4"] = "多余的列"  # an extra column without a header
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_merged_header_cells_blank_rows_formulas_and_extra_columns(world):
    upstream_list = services.upstream_list_upload(
        actor=world.secretary,
        area=world.community_a,
        file=xlsx_with_two_row_header(world),
        filename="推送.xlsx",
    )
    assert set(upstream_list.columns["fields"]) >= {"name", "id_number", "phone", "arrival_date"}
    matched = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert matched.status == "matched", matched.errors
    entries = list(matched.entries.order_by("row_number"))
    assert len(entries) == 2  # the blank row is skipped
    assert entries[0].person == world.person_a1
    assert entries[0].arrival_date.isoformat() == "2022-03-14"
    assert entries[1].arrival_date is None  # a formula without a cached value is no date


def test_the_file_is_removed_once_matched(world, django_capture_on_commit_callbacks):
    upstream_list = f.upload(world.community_a, [f.person_row(world.person_a1)])
    path = settings.DATA_DIR / upstream_list.file_path
    with django_capture_on_commit_callbacks(execute=True):
        matched = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert matched.file_path == ""
    assert not path.exists()


def test_a_failed_match_leaves_no_entry_and_can_be_run_again(world, monkeypatch):
    rows = [f.person_row(world.person_a1), f.person_row(world.person_a2)] * 3
    upstream_list = f.upload(world.community_a, rows)
    real_bulk_create = WatchEntry.objects.bulk_create
    calls = []

    def fail_on_second_batch(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(services, "BATCH", 2)
    monkeypatch.setattr(WatchEntry.objects, "bulk_create", fail_on_second_batch)
    failed = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert failed.status == "failed"
    assert "RuntimeError" in failed.errors["__all__"][0]
    assert not WatchEntry.objects.filter(upstream_list=upstream_list).exists()
    assert (settings.DATA_DIR / failed.file_path).exists()

    monkeypatch.setattr(WatchEntry.objects, "bulk_create", real_bulk_create)
    services.upstream_list_rematch(actor=world.secretary, upstream_list=failed)
    again = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert again.status == "matched"
    assert again.entries.count() == 6
    assert again.attempts == 2


def test_matching_twice_does_nothing_the_second_time(world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    again = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert again.attempts == 1
    assert again.entries.count() == 1


def test_a_matched_list_is_not_matched_again(world):
    upstream_list = f.matched(world.community_a, [f.person_row(world.person_a1)])
    with pytest.raises(ValidationError) as info:
        services.upstream_list_rematch(actor=world.secretary, upstream_list=upstream_list)
    assert info.value.error_dict["status"][0].code == "not_failed"


def test_a_list_whose_file_turns_out_bad_fails_with_the_rule(world):
    upstream_list = f.upload(world.community_a, [f.person_row(world.person_a1)])
    (settings.DATA_DIR / upstream_list.file_path).write_bytes(b"\x89PNG not a list")
    failed = services.upstream_list_match(upstream_list_id=upstream_list.pk)
    assert failed.status == "failed"
    assert "file" in failed.errors
    assert not failed.entries.exists()
