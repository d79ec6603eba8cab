"""A lab's results file: matched on blind indexes to pending samples, applied all or nothing,
every row accounted for (without a personal value in the report)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health import lab, samples
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import LabBatch, Sample, SampleResult, WatchEntry
from gongzhi.health.tests.factories import csv_bytes, xlsx_bytes
from gongzhi.testing import make_id_number

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "采样时间", "检测结果", "试管编码"]


def pcr(world, person, tube, **extra):
    return samples.sample_record(
        actor=world.secretary, person=person, kind="pcr", tube_code=tube, **extra
    )


def row(person, result="阴性", tube="", at=None):
    when = (at or clock.now()).strftime("%Y-%m-%d %H:%M")
    return [person.name, person.id_number.reveal(), when, result, tube]


def upload(world, data, *, area=None, actor=None, name="结果.csv"):
    return lab.lab_file_upload(
        actor=actor or world.secretary, area=area or world.community_a, file=data, filename=name
    )


def codes_of(batch):
    return [(p["row"], p["field"], p["code"]) for p in batch.problems]


def test_rows_by_id_number_and_by_tube_are_applied(world):
    by_id = pcr(world, world.person_a1, "T0001")
    by_tube = pcr(world, world.person_a2, "T0002")
    data = csv_bytes([row(world.person_a1), ["", "", "", "阳性", "t0002"]], HEADER)
    batch = upload(world, data)
    by_id.refresh_from_db()
    by_tube.refresh_from_db()
    assert (by_id.result, by_tube.result) == (SampleResult.NEGATIVE, SampleResult.POSITIVE)
    assert by_id.lab_batch == batch
    assert batch.status == "applied"
    assert batch.counts["matched"] == 2 and batch.counts["rows"] == 2
    assert batch.counts["positive"] == 1
    assert batch.problems == []


def test_gbk_csv_and_xlsx_are_read(world):
    pcr(world, world.person_a1, "T0001")
    pcr(world, world.person_a2, "T0002")
    gbk = upload(world, csv_bytes([row(world.person_a1)], HEADER, encoding="gbk"))
    xlsx = upload(world, xlsx_bytes([row(world.person_a2)], HEADER), name="结果.xlsx")
    assert gbk.counts["matched"] == 1 and xlsx.counts["matched"] == 1


def test_a_positive_opens_a_watch_entry_and_status_is_told(
    world, django_capture_on_commit_callbacks
):
    pcr(world, world.person_a1, "T0001")
    seen = []

    def receiver(sender, person_ids, **kwargs):
        seen.append(person_ids)

    health_inputs_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            upload(world, csv_bytes([row(world.person_a1, "阳性")], HEADER))
    finally:
        health_inputs_changed.disconnect(receiver)
    assert WatchEntry.objects.get(person=world.person_a1).assignee == world.grid_worker_a
    assert [world.person_a1.pk] in seen


def test_every_row_has_an_outcome_and_no_value_is_kept(world):
    pcr(world, world.person_a1, "T0001")
    decided = pcr(world, world.person_a2, "T0002")
    Sample.objects.filter(pk=decided.pk).update(result=SampleResult.NEGATIVE)
    stranger = make_id_number()
    rows = [
        row(world.person_a1),  # 2: matched
        ["某人", stranger, "", "阴性", ""],  # 3: unknown ID
        row(world.person_b1),  # 4: another community's person: unknown here
        ["", "", "", "阳性", "T0002"],  # 5: conflicting result
        row(world.person_a1),  # 6: the same row again: already
        ["", "", "", "阴性", "T9999"],  # 7: unknown tube
        ["", world.person_a1.id_number.reveal()[:-1], "", "阴性", ""],  # 8: malformed
        ["", "", "", "可疑", "T0003"],  # 9: not a result
    ]
    batch = upload(world, csv_bytes(rows, HEADER))
    assert batch.counts == {
        "rows": 8, "matched": 1, "already": 1, "unknown": 3, "no_pending": 0,
        "conflict": 1, "malformed": 2, "positive": 0,
    }  # fmt: skip
    assert codes_of(batch) == [
        (3, "id_number", "unknown_id"),
        (4, "id_number", "unknown_id"),
        (5, "result", "conflict"),
        (7, "tube_code", "unknown_tube"),
        (8, "id_number", "id_invalid"),
        (9, "result", "result_unknown"),
    ]
    stored = json.dumps([batch.counts, batch.problems], ensure_ascii=False)
    for person in (world.person_a1, world.person_b1):
        assert person.id_number.reveal() not in stored and person.name not in stored
    assert stranger not in stored and "T0002" not in stored


def test_no_pending_sample_is_reported(world):
    batch = upload(world, csv_bytes([row(world.person_a1)], HEADER))
    assert codes_of(batch) == [(2, "id_number", "no_pending")]
    assert batch.counts["no_pending"] == 1


def test_a_row_by_id_takes_the_sample_of_its_day(world):
    with clock.freeze(clock.now() - dt.timedelta(days=3)):
        older = pcr(world, world.person_a1, "T0001")
    newer = pcr(world, world.person_a1, "T0002")
    upload(world, csv_bytes([row(world.person_a1, at=older.sampled_at)], HEADER))
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.result == SampleResult.NEGATIVE and newer.result == SampleResult.PENDING


def test_two_rows_disagreeing_about_one_sample_apply_neither(world):
    sample = pcr(world, world.person_a1, "T0001")
    rows = [row(world.person_a1, "阴性"), ["", "", "", "阳性", "T0001"]]
    batch = upload(world, csv_bytes(rows, HEADER))
    sample.refresh_from_db()
    assert sample.result == SampleResult.PENDING
    assert codes_of(batch) == [(2, "result", "conflict_rows"), (3, "result", "conflict_rows")]
    text = lab.problem_text(batch.problems[0])
    assert "2" in text and "检测结果" in text and "3" in text


def test_a_tube_and_an_id_of_different_persons_is_a_conflict(world):
    pcr(world, world.person_a1, "T0001")
    rows = [row(world.person_a2, tube="T0001")]
    batch = upload(world, csv_bytes(rows, HEADER))
    assert codes_of(batch) == [(2, "tube_code", "mismatch")]
    assert Sample.objects.get().result == SampleResult.PENDING


def test_the_same_file_twice_changes_nothing_the_second_time(world):
    pcr(world, world.person_a1, "T0001")
    data = csv_bytes([row(world.person_a1, "阳性")], HEADER)
    upload(world, data)
    again = upload(world, data)
    assert again.counts["already"] == 1 and again.counts["matched"] == 0
    assert WatchEntry.objects.count() == 1


# --- ID numbers Excel turned into numbers ---------------------------------------------------


def _xlsx_with_number_id(person) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["张三", int(person.id_number.reveal()[:17] + "0"), "", "阴性", ""])
    sheet.append(["李四", 4.21087198005170e17, "", "阴性", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_id_number_stored_as_an_excel_number_is_reported_not_matched(world):
    sample = pcr(world, world.person_a1, "T0001")
    batch = upload(world, _xlsx_with_number_id(world.person_a1), name="结果.xlsx")
    assert codes_of(batch) == [
        (2, "id_number", "id_stored_as_number"),
        (3, "id_number", "id_stored_as_number"),
    ]
    assert batch.counts["malformed"] == 2
    sample.refresh_from_db()
    assert sample.result == SampleResult.PENDING
    text = lab.problem_text(batch.problems[0])
    assert text == "第 2 行 身份证号：以数字格式保存，末位已丢失；请将该列设为文本后重新导出。"


def test_an_id_number_in_scientific_notation_or_with_lost_digits_in_a_csv(world):
    number = world.person_a1.id_number.reveal()
    lost = number[:15] + "000"
    rows = [["", "4.21087E+17", "", "阴性", ""]]
    if lab.identity.id_check_digit(lost[:17]) != lost[17]:
        rows.append(["", lost, "", "阴性", ""])
    batch = upload(world, csv_bytes(rows, HEADER))
    assert {code for _r, _f, code in codes_of(batch)} == {"id_stored_as_number"}
    assert len(batch.problems) == len(rows)


def test_the_message_is_chinese_by_default(world, settings):
    from django.utils import translation

    batch = upload(world, _xlsx_with_number_id(world.person_a1), name="结果.xlsx")
    with translation.override("zh-hans"):
        text = lab.problem_text(batch.problems[0])
    assert text.startswith("第 2 行 身份证号：")
    assert "末位已丢失" in text


# --- refused files -----------------------------------------------------------------------------


def test_a_file_without_a_result_column_is_refused_and_nothing_kept(world):
    data = csv_bytes([["张三", make_id_number()]], ["姓名", "身份证号"])
    with pytest.raises(ValidationError) as excinfo:
        upload(world, data)
    assert "file" in excinfo.value.message_dict
    assert not LabBatch.objects.exists()


def test_a_file_without_an_identifier_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        upload(world, csv_bytes([["张三", "阴性"]], ["姓名", "检测结果"]))
    assert "试管编码" in " ".join(excinfo.value.message_dict["file"])


def test_a_picture_is_not_a_results_file(world):
    with pytest.raises(ValidationError) as excinfo:
        upload(world, b"\x89PNG\r\n\x1a\n" + b"0" * 100, name="结果.png")
    assert "file" in excinfo.value.message_dict


def test_roles_without_health_record_cannot_load_results(world):
    with pytest.raises(Forbidden):
        upload(world, csv_bytes([row(world.person_a1)], HEADER), actor=world.by_role[Role.POLICE])


def test_a_grid_worker_loads_for_their_grid_and_matches_only_there(world):
    pcr(world, world.person_a1, "T0001")
    rows = [row(world.person_a1), row(world.person_a2)]
    batch = upload(world, csv_bytes(rows, HEADER), area=world.grid_a1, actor=world.grid_worker_a)
    assert batch.community == world.community_a
    assert codes_of(batch) == [(3, "id_number", "unknown_id")]
    with pytest.raises(Forbidden):
        upload(world, csv_bytes(rows, HEADER), area=world.grid_a2, actor=world.grid_worker_a)


def test_applying_is_all_or_nothing(world, monkeypatch):
    first = pcr(world, world.person_a1, "T0001")
    second = pcr(world, world.person_a2, "T0002")

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(samples, "watch_for_positive", broken)
    rows = [row(world.person_a1, "阴性"), row(world.person_a2, "阳性")]
    with pytest.raises(RuntimeError):
        upload(world, csv_bytes(rows, HEADER))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.result == second.result == SampleResult.PENDING
    assert not LabBatch.objects.exists()


def test_audit_keeps_counts_only(world):
    pcr(world, world.person_a1, "T0001")
    upload(world, csv_bytes([row(world.person_a1)], HEADER))
    entry = AuditEntry.objects.get(action="lab_batch.apply")
    assert world.person_a1.id_number.reveal() not in entry.purpose
    assert '"matched":1' in entry.purpose


# --- large files: the worker ------------------------------------------------------------------


def test_a_large_file_is_applied_by_the_worker_and_deleted(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from gongzhi.health import uploads

    monkeypatch.setattr(lab, "INLINE_MAX_BYTES", 10)
    sample = pcr(world, world.person_a1, "T0001")
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(world, csv_bytes([row(world.person_a1, "阳性")], HEADER))
    assert batch.status == "uploaded"
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="apply_lab_batch")
    assert queued.args_kwargs["args"] == [batch.pk]
    stored = uploads.absolute(lab._file_path(batch.pk))
    assert stored.exists()
    done = lab.lab_batch_apply(batch_id=batch.pk)
    assert done.status == "applied" and done.counts["matched"] == 1
    sample.refresh_from_db()
    assert sample.result == SampleResult.POSITIVE
    assert not stored.exists()
    assert lab.lab_batch_apply(batch_id=batch.pk).status == "applied"  # twice: harmless


def test_a_worker_run_without_its_file_fails_plainly(world, monkeypatch):
    monkeypatch.setattr(lab, "INLINE_MAX_BYTES", 10)
    monkeypatch.setattr(lab, "_enqueue", lambda batch_id: None)
    batch = upload(world, csv_bytes([row(world.person_a1)], HEADER))
    from gongzhi.health import uploads

    uploads.remove(lab._file_path(batch.pk))
    done = lab.lab_batch_apply(batch_id=batch.pk)
    assert done.status == "failed"
    assert "重新上传" in lab.problem_text(done.problems[0])


def test_each_malformed_cell_is_named_by_row_and_column(world):
    pcr(world, world.person_a1, "T0001")
    future = (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    rows = [
        ["", "", "昨天上午", "阴性", "T0001"],  # 2: not a time
        ["", "", future, "阴性", "T0001"],  # 3: in the future
        ["", "", "", "", "T0001"],  # 4: no result
        ["", "", "", "阴性", "管!"],  # 5: not a tube code
        ["张三", "", "", "阴性", ""],  # 6: nothing to match on
    ]
    batch = upload(world, csv_bytes(rows, HEADER))
    assert codes_of(batch) == [
        (2, "sampled_at", "sampled_at_invalid"),
        (3, "sampled_at", "sampled_at_future"),
        (4, "result", "result_missing"),
        (5, "tube_code", "tube_invalid"),
        (6, "__all__", "no_identifier"),
    ]
    assert batch.counts["malformed"] == 5 and batch.counts["matched"] == 0
    assert Sample.objects.get().result == SampleResult.PENDING
    assert lab.problem_text(batch.problems[0]).startswith("第 2 行 采样时间：")


def test_results_and_times_in_the_forms_labs_write_them(world):
    assert lab.parse_result("阴性（-）") == SampleResult.NEGATIVE
    assert lab.parse_result(" Positive ") == SampleResult.POSITIVE
    assert lab.parse_result("+") == SampleResult.POSITIVE
    assert lab.parse_result("样本不合格") == SampleResult.INVALID
    assert lab.parse_result("可疑") is None
    moment = lab.parse_datetime("2022年3月14日 8时30分")
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == (
        2022, 3, 14, 8, 30,
    )  # fmt: skip
    assert lab.parse_datetime("2022/3/14 08:30:05").second == 5
    assert lab.parse_datetime(44634.5).hour == 12  # an Excel serial: 2022-03-14 12:00
    with pytest.raises(ValueError):
        lab.parse_datetime("2022-13-40")
