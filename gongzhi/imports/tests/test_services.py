"""Import services: upload and mapping, the check's problems, commit, idempotency,
corrected files, scope, failure, and the error report (opened and read cell by cell)."""

import datetime as dt
import io
import os
import stat

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.core.tabular import TableFileError
from gongzhi.imports import services
from gongzhi.imports.engine import Engine
from gongzhi.imports.models import ImportBatch, ImportChunk, ImportStatus
from gongzhi.imports.tests.conftest import (
    HEADER,
    check_and_commit,
    csv_bytes,
    outcomes,
    run,
    upload,
    xlsx,
)
from gongzhi.registry.models import Household, Person, PersonTag, RegisterChange
from gongzhi.testing import make_id_number, make_phone


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def register_snapshot():
    persons = sorted(
        (p.id_number_index, p.name, p.phone_index, p.household_id, p.relation, p.version)
        for p in Person.objects.all()
    )
    households = sorted(Household.objects.values_list("building_id", "unit", "room", "head_id"))
    tags = sorted(PersonTag.objects.values_list("person_id", "tag__code"))
    return persons, households, tags, RegisterChange.objects.count()


# --- upload and mapping ------------------------------------------------------------------


def test_upload_stores_the_file_privately_and_maps_chinese_headers(world, row_for):
    data = xlsx([row_for("赵六", make_id_number(), "13800000001")])
    batch = upload(world.grid_worker_a, data)
    path = services.stored_path(batch)
    assert path.read_bytes() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert batch.format == "xlsx" and batch.header == HEADER
    assert batch.mapping == {
        "name": 0, "id_number": 1, "phone": 2, "compound": 3, "building": 4,
        "unit": 5, "room": 6, "relation": 7, "tags": 8,
    }  # fmt: skip
    assert batch.community == world.community_a
    assert batch.area_path == world.grid_a1.path
    assert AuditEntry.objects.filter(action="import.upload", object_id=str(batch.pk)).exists()


def test_the_preview_sample_is_masked(world, row_for):
    number = make_id_number()
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", number, "13800000001")]))
    assert batch.sample[0][1] == number[:6] + "*" * 11 + number[-1:]
    assert batch.sample[0][2] == "138****0001"


def test_synonym_headers_and_a_gbk_csv_map_too(world):
    header = [
        "序号",
        "居民姓名",
        "公民身份号码",
        "手机号码",
        "所在小区",
        "楼号",
        "单元号",
        "门牌号",
    ]
    batch = upload(
        world.grid_worker_a,
        csv_bytes(
            [[1, "赵六", make_id_number(), "", "玉岭花园", "1", "1", "301"]], header, "gb18030"
        ),
        "register.csv",
    )
    assert batch.encoding == "gb18030"
    assert batch.mapping == {
        "name": 1, "id_number": 2, "phone": 3, "compound": 4, "building": 5, "unit": 6, "room": 7,
    }  # fmt: skip


def test_a_file_without_an_id_column_cannot_be_checked(world):
    header = ["姓名", "楼栋", "房号"]
    batch = upload(world.grid_worker_a, xlsx([["赵六", "1栋", "301"]], header))
    assert "id_number" not in batch.mapping
    with pytest.raises(ValidationError) as err:
        services.import_request(actor=world.grid_worker_a, batch=batch, phase="check")
    assert "id_number" in err.value.message_dict


def test_the_user_can_change_the_mapping(world, row_for):
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    mapping = dict(batch.mapping, tags=None)
    batch = services.import_set_mapping(actor=world.grid_worker_a, batch=batch, mapping=mapping)
    assert "tags" not in batch.mapping
    with pytest.raises(ValidationError) as err:
        services.import_set_mapping(
            actor=world.grid_worker_a, batch=batch, mapping=dict(batch.mapping, phone=1)
        )
    assert "phone" in err.value.message_dict


def test_a_file_that_is_not_a_spreadsheet_is_refused_and_not_kept(world, settings):
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, b"%PDF-1.4 not a table", "x.xlsx")
    assert err.value.code == "not_spreadsheet"
    assert not list(services.upload_dir().glob("*")) or ImportBatch.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.GONGZHI_IMPORT_MAX_BYTES = 1000
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, b"a,b\n" * 1000, "big.csv")
    assert err.value.code == "too_large"


def test_a_role_without_import_cannot_upload(world, row_for):
    from gongzhi.accounts.models import Role

    with pytest.raises(Forbidden):
        upload(world.by_role[Role.POLICE], xlsx([row_for("赵六", make_id_number())]))


# --- the check ---------------------------------------------------------------------------


def test_the_check_lists_every_rows_problems_and_writes_nothing(world, row_for):
    good = make_id_number()
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    twice = make_id_number()
    existing = world.person_a1
    rows = [
        row_for("赵六", good, "13800000001"),
        row_for("钱七", bad_checksum),
        row_for("孙八", make_id_number(), "12345"),  # a bad phone: imported without it
        row_for("李九", make_id_number(), building="9栋"),  # proposed as a new building
        row_for("周十", twice),
        row_for("周十", twice, room="302"),
        row_for("吴一", make_id_number(), building="2栋"),  # grid A2: not grid worker A's
        row_for(existing.name, existing.id_number.reveal(), "13711112222", room="101"),
        row_for("郑二", 420102199001011234),  # an ID number that Excel turned into a number
    ]
    before = register_snapshot()
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    assert register_snapshot() == before
    assert batch.status == ImportStatus.CHECKED
    got = outcomes(batch)
    codes = {n: [p[1] for p in o[3]] if o[1] == "error" else o[1] for n, o in got.items()}
    assert codes == {
        2: "created",
        3: ["checksum"],
        4: "created",
        5: ["new_building"],
        6: "created",
        7: ["duplicate_in_file"],
        8: ["out_of_scope"],
        9: "updated",
        10: ["stored_as_number"],
    }
    assert got[9][2] == existing.pk and got[9][3] == ["phone"]
    assert (batch.rows_total, batch.rows_created, batch.rows_updated, batch.rows_failed) == (
        9, 3, 1, 5,
    )  # fmt: skip
    assert batch.rows_warned == 1 and got[4][3][0][:2] == ["phone", "invalid"]
    assert "row 6" in got[7][3][0][2]


def test_a_repeated_id_number_is_found_even_when_its_first_row_has_another_problem(world, row_for):
    twice = make_id_number()
    rows = [row_for("周十", twice, "12345"), row_for("周十", twice, room="302")]
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    got = outcomes(batch)
    assert [p[1] for p in got[2][3]] == ["invalid"]
    assert [p[1] for p in got[3][3]] == ["duplicate_in_file"]


def test_ids_with_lower_case_x_full_width_digits_and_dates_as_text_are_read(world):
    base = make_id_number(male=True)
    while base[-1] != "X":
        base = make_id_number()
    lower = base[:-1] + "x"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in make_id_number())
    birth_a = f"{lower[6:10]}年{int(lower[10:12])}月{int(lower[12:14])}日"
    header = ["姓名", "身份证号", "楼栋", "房号", "出生日期", "入住日期"]
    rows = [
        ["赵六", lower, "1栋", "301", birth_a, "2020/01/02"],
        ["钱七", full_width, "1栋", "302", None, 43831],  # an Excel serial: 2020-01-01
    ]
    batch = check_and_commit(upload(world.grid_worker_a, xlsx(rows, header)), world.grid_worker_a)
    assert batch.rows_created == 2, outcomes(batch)
    zhao = Person.objects.get(name="赵六")
    assert zhao.id_number.reveal() == base
    assert zhao.moved_in_on.isoformat() == "2020-01-02"
    assert Person.objects.get(name="钱七").moved_in_on.isoformat() == "2020-01-01"


def test_a_birth_date_that_disagrees_with_the_id_number_is_a_problem(world):
    header = ["姓名", "身份证号", "楼栋", "房号", "出生日期", "性别"]
    number = make_id_number(male=True)
    rows = [["赵六", number, "1栋", "301", "1999-01-01", "女"]]
    batch = run(upload(world.grid_worker_a, xlsx(rows, header)), "check", world.grid_worker_a)
    problems = {p[1] for p in outcomes(batch)[2][3]}
    assert problems == {"birth_date_mismatch", "gender_mismatch"}


# --- commit, idempotency, corrections ----------------------------------------------------


def test_commit_creates_households_persons_history_and_one_audit_entry(world, row_for):
    rows = [
        row_for("赵六", make_id_number(), "13800000001", tags="独居老人"),
        row_for("钱七", make_id_number(male=False), relation="配偶"),
        row_for("孙八", make_id_number(), unit="2", room="201", relation="户主"),
    ]
    actor = world.grid_worker_a
    audits = AuditEntry.objects.count()
    batch = check_and_commit(upload(actor, xlsx(rows)), actor)
    assert batch.status == ImportStatus.COMMITTED
    assert (batch.rows_created, batch.households_created) == (3, 2)
    home = Household.objects.get(building=world.building_a1, unit="1", room="301")
    assert home.address == "玉岭花园 1栋 1单元 301室"
    assert home.head.name == "赵六"
    assert sorted(home.persons.values_list("name", "relation")) == [
        ("赵六", "head"),
        ("钱七", "spouse"),
    ]
    zhao = Person.objects.get(name="赵六")
    assert list(zhao.tags.values_list("code", flat=True)) == ["elderly_alone"]
    change = zhao.changes.get()
    assert change.action == "person.create" and change.actor == actor
    assert change.changes["phone"] == [None, "138****0001"]
    assert "Import #" in change.note
    # One audit entry for the batch (plus the upload's), not one per row.
    new = AuditEntry.objects.order_by("seq")[audits:]
    assert [e.action for e in new] == ["import.upload", "import.commit"]
    assert "3 new" in new[1].purpose


def test_re_importing_the_same_file_changes_nothing(world, row_for):
    rows = [row_for("赵六", make_id_number(), "13800000001"), row_for("钱七", make_id_number())]
    data = xlsx(rows)
    check_and_commit(upload(world.grid_worker_a, data), world.grid_worker_a)
    before = register_snapshot()
    again = check_and_commit(upload(world.grid_worker_a, data), world.grid_worker_a)
    assert register_snapshot() == before
    assert (again.rows_unchanged, again.rows_created, again.rows_updated) == (2, 0, 0)


def test_a_corrected_file_updates_only_what_changed(world, row_for):
    zhao, qian = make_id_number(), make_id_number()
    first = [row_for("赵六", zhao, "13800000001"), row_for("钱七", qian, "13800000002")]
    check_and_commit(upload(world.grid_worker_a, xlsx(first)), world.grid_worker_a)
    qian_before = Person.objects.get(name="钱七")
    corrected = [
        row_for("赵六", zhao, "13800000009", tags="残疾"),
        row_for("钱七", qian, "13800000002"),
    ]
    batch = check_and_commit(upload(world.grid_worker_a, xlsx(corrected)), world.grid_worker_a)
    assert (batch.rows_updated, batch.rows_unchanged) == (1, 1)
    person = Person.objects.get(name="赵六")
    assert person.phone.reveal() == "13800000009"
    assert person.version == 2
    assert list(person.tags.values_list("code", flat=True)) == ["disabled"]
    update = person.changes.get(action="person.update")
    assert update.changes == {
        "phone": ["138****0001", "138****0009"],
        "tags": [[], ["disabled"]],
    }
    assert Person.objects.get(name="钱七").updated_at == qian_before.updated_at


def test_a_person_moved_to_another_dwelling_is_moved(world, row_for):
    person = world.person_a1
    row = row_for(person.name, person.id_number.reveal(), unit="3", room="303", relation="户主")
    batch = check_and_commit(upload(world.grid_worker_a, xlsx([row])), world.grid_worker_a)
    assert batch.rows_updated == 1
    person.refresh_from_db()
    assert person.household.address == "玉岭花园 1栋 3单元 303室"
    assert person.household.head_id == person.pk
    world.household_a1.refresh_from_db()
    assert world.household_a1.head_id is None
    change = person.changes.filter(action="person.update").get()
    assert change.changes["household"] == [world.household_a1.address, person.household.address]


def test_a_grid_worker_cannot_update_a_person_registered_outside_their_grid(world, row_for):
    other = world.person_a2  # lives in grid A2
    row = row_for(other.name, other.id_number.reveal(), "13900000000")
    batch = check_and_commit(upload(world.grid_worker_a, xlsx([row])), world.grid_worker_a)
    assert outcomes(batch)[2][3][0][1] == "registered_elsewhere"
    other.refresh_from_db()
    assert other.version == 1


def test_the_secretary_imports_into_the_whole_community(world, row_for):
    rows = [row_for("赵六", make_id_number()), row_for("吴一", make_id_number(), building="2栋")]
    batch = check_and_commit(upload(world.secretary, xlsx(rows)), world.secretary)
    assert batch.rows_created == 2
    assert batch.area_path == world.community_a.path


def test_commit_needs_a_check_first(world, row_for):
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    with pytest.raises(ValidationError):
        services.import_request(actor=world.grid_worker_a, batch=batch, phase="commit")


def test_a_failed_commit_leaves_nothing_and_can_be_run_again(world, row_for, monkeypatch):
    rows = [
        row_for(f"赵{'一二三四五六七八九'[i % 9]}", make_id_number(), room=str(300 + i))
        for i in range(30)
    ]
    actor = world.grid_worker_a
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    before = register_snapshot()
    real_settle = Engine.settle
    calls = {"n": 0}

    def failing_settle(self, plans):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker died")
        return real_settle(self, plans)

    monkeypatch.setattr("gongzhi.imports.engine.CHUNK_ROWS", 10)
    monkeypatch.setattr(Engine, "settle", failing_settle)
    batch = services.import_request(actor=actor, batch=batch, phase="commit")
    with pytest.raises(RuntimeError):
        services.import_run(batch_id=batch.pk, phase="commit", attempt=batch.attempt)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert register_snapshot() == before
    assert not ImportChunk.objects.filter(batch=batch, phase="commit").exists()
    monkeypatch.setattr(Engine, "settle", real_settle)
    batch = run(batch, "commit", actor)
    assert batch.status == ImportStatus.COMMITTED and batch.rows_created == 30


def test_a_phase_that_stopped_reporting_progress_can_be_run_again(world, row_for, monkeypatch):
    actor = world.grid_worker_a
    batch = run(upload(actor, xlsx([row_for("赵六", make_id_number())])), "check", actor)
    batch = services.import_request(actor=actor, batch=batch, phase="commit")
    with pytest.raises(ValidationError):
        services.import_request(actor=actor, batch=batch, phase="commit")
    monkeypatch.setattr(services, "STALE_SECONDS", -1)
    batch = services.import_request(actor=actor, batch=batch, phase="commit")
    services.import_run(batch_id=batch.pk, phase="commit", attempt=batch.attempt)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED


def test_a_superseded_attempt_does_nothing(world, row_for):
    actor = world.grid_worker_a
    batch = upload(actor, xlsx([row_for("赵六", make_id_number())]))
    batch = services.import_request(actor=actor, batch=batch, phase="check")
    assert services.import_run(batch_id=batch.pk, phase="check", attempt=batch.attempt - 1) == (
        "superseded"
    )


# --- the error report ----------------------------------------------------------------------


def test_the_error_report_lists_problem_rows_with_an_error_column(world, row_for):
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    phone = make_phone()
    rows = [
        row_for("赵六", good),
        row_for("钱七", bad, phone),
        row_for("孙八", make_id_number(), building="9栋"),
    ]
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    header, body = services.import_error_report(batch)
    from gongzhi.core.tabular import write_xlsx

    out = io.BytesIO()
    write_xlsx(out, header, body)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Row", *HEADER, "Problems"]
    assert [r[0] for r in values[1:]] == [3, 4]
    assert values[1][2] == bad[:6] + "*" * 11 + bad[-1:]  # masked, as everywhere
    assert values[1][3] == phone[:3] + "****" + phone[-4:]
    assert "check digit" in values[1][-1]
    assert values[2][-1].startswith("楼栋:")  # the file's own header
    assert bad not in str(values) and phone not in str(values)


def test_rows_checked_in_forked_processes_give_the_same_outcomes(
    world, row_for, settings, monkeypatch
):
    rows = [
        row_for(f"赵{'一二三四五六七八九'[i % 9]}", make_id_number(), room=str(300 + i))
        for i in range(40)
    ]
    rows.append(row_for("钱七", "123"))
    rows.append(rows[0])  # a duplicate in the file, in another chunk
    monkeypatch.setattr("gongzhi.imports.engine.CHUNK_ROWS", 7)
    actor = world.grid_worker_a
    serial = run(upload(actor, xlsx(rows)), "check", actor)
    monkeypatch.setattr(services, "PARALLEL_FROM_BYTES", 0)
    settings.GONGZHI_IMPORT_PROCESSES = 2
    forked = check_and_commit(upload(actor, xlsx(rows)), actor)
    assert outcomes(forked, "check") == outcomes(serial, "check")
    assert forked.rows_created == 40 and forked.rows_failed == 2
    assert Person.objects.filter(name__startswith="赵").count() == 40


def test_the_check_stages_rows_for_the_commit_without_plaintext(world, row_for):
    number, phone = make_id_number(), "13800000001"
    actor = world.grid_worker_a
    batch = run(upload(actor, xlsx([row_for("赵六", number, phone)])), "check", actor)
    staged = services._staged_path(batch)
    assert stat.S_IMODE(os.stat(staged).st_mode) == 0o600
    text = staged.read_text(encoding="utf-8")
    assert "赵六" in text and number not in text and phone not in text


def test_a_commit_without_the_staged_rows_reads_the_file_again(world, row_for):
    actor = world.grid_worker_a
    rows = [row_for("赵六", make_id_number(), "13800000001"), row_for("钱七", "123")]
    staged_batch = check_and_commit(upload(actor, xlsx(rows)), actor)
    rows = [row_for("孙八", make_id_number(), "13800000002"), row_for("钱七", "123")]
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    services._staged_path(batch).unlink()
    batch = run(batch, "commit", actor)
    assert (batch.rows_created, batch.rows_failed) == (1, 1)
    assert [o[1] for o in outcomes(batch).values()] == [
        o[1] for o in outcomes(staged_batch).values()
    ]
    assert Person.objects.filter(name="孙八").get().phone.reveal() == "13800000002"


# --- keeping uploaded files --------------------------------------------------------------------


def _aged(batch: ImportBatch, days: int) -> None:
    past = batch.created_at - dt.timedelta(days=days)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=past, committed_at=past)


def test_imported_files_are_removed_after_the_keeping_period_and_the_report_still_lists_problems(
    world, row_for, settings
):
    settings.GONGZHI_IMPORT_KEEP_DAYS = 7
    rows = [row_for("赵六", make_id_number()), row_for("钱七", "12345")]
    old = check_and_commit(upload(world.grid_worker_a, xlsx(rows)), world.grid_worker_a)
    recent = upload(world.grid_worker_a, xlsx([row_for("孙八", make_id_number())]))
    _aged(old, days=8)

    assert services.import_files_prune() == 1

    assert not services.stored_path(old).exists()
    assert services.stored_path(recent).exists()
    old.refresh_from_db()
    assert old.status == ImportStatus.COMMITTED
    header, report = services.import_error_report(old)
    assert len(header) == 2 and [r[0] for r in report] == [3]  # the problem row, by number
    assert AuditEntry.objects.filter(action="import.files_prune").count() == 1
    assert services.import_files_prune() == 0  # nothing left to remove


def test_a_file_left_unimported_is_removed_and_its_batch_says_why(world, row_for, settings):
    settings.GONGZHI_IMPORT_KEEP_DAYS = 7
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    _aged(batch, days=8)

    assert services.import_files_prune() == 1

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "7" in batch.error
