"""The issue's bad input, each through the import itself (upload → check → commit), not only
through the table reader: wrong encoding, merged header cells, blank rows, extra columns, a
50 MB file, a zip bomb and what is not a spreadsheet, formulas, dates as text or Excel
serials, ID numbers with a lower-case x or full-width digits, a file with no ID column.
(Reader details: gongzhi/core/tests/test_tabular.py.)"""

import io
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.utils import translation

from gongzhi.core.tabular import TableFileError
from gongzhi.imports import services
from gongzhi.imports.models import ImportBatch
from gongzhi.imports.tests.conftest import HEADER, check_and_commit, outcomes, run, upload, xlsx
from gongzhi.registry.models import Person
from gongzhi.testing import make_id_number, make_phone


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def nothing_kept():
    """A check that a refused upload left no batch and no file behind."""
    before = set(services.upload_dir().iterdir())

    def check() -> bool:
        return not ImportBatch.objects.exists() and set(services.upload_dir().iterdir()) == before

    return check


def book_bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        "姓名\t身份证号\n赵六\t1\n".encode("utf-16"),  # "Unicode text" from Excel
        b"\xd5\xd4\xc1\xf9,\x80\xff\xfe\n",  # neither UTF-8 nor GB18030
    ],
    ids=["utf-16", "neither"],
)
def test_a_file_in_a_wrong_encoding_is_refused_and_not_kept(world, data, nothing_kept):
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, data, "register.csv")
    assert err.value.code == "encoding"
    assert nothing_kept()


def test_a_gbk_csv_is_read_as_gbk(world):
    number = make_id_number()
    text = f"姓名,身份证号,楼栋,房号\n赵六,{number},1栋,301\n"
    batch = upload(world.grid_worker_a, text.encode("gbk"), "register.csv")
    assert batch.encoding == "gb18030"
    batch = check_and_commit(batch, world.grid_worker_a)
    assert batch.rows_created == 1 and Person.objects.filter(name="赵六").exists()


def test_a_title_and_a_two_row_header_with_merged_cells_map_and_import(world):
    number = make_id_number()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["玉岭社区人口登记表（2022年3月）"])
    sheet.append(["姓名", "身份证号", "住址", None, None, None])
    sheet.append([None, None, "小区", "楼栋", "单元", "房号"])
    sheet.append(["赵六", number, "玉岭花园", "1栋", "1", "301"])
    for cells in ("A1:F1", "C2:F2", "A2:A3", "B2:B3"):
        sheet.merge_cells(cells)
    batch = upload(world.grid_worker_a, book_bytes(book))
    assert batch.header == ["姓名", "身份证号", "小区", "楼栋", "单元", "房号"]
    assert batch.mapping == {
        "name": 0, "id_number": 1, "compound": 2, "building": 3, "unit": 4, "room": 5,
    }  # fmt: skip
    batch = check_and_commit(batch, world.grid_worker_a)
    assert list(outcomes(batch)) == [4]  # the row number as Excel shows it
    assert batch.rows_created == 1


def test_blank_rows_are_skipped_and_rows_keep_excel_numbers(world, row_for):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(row_for("赵六", make_id_number()))
    sheet.append([])
    sheet.append([None, "  ", None])
    sheet.append(row_for("钱七", make_id_number(), room="302"))
    batch = run(upload(world.grid_worker_a, book_bytes(book)), "check", world.grid_worker_a)
    assert batch.rows_total == 2 and batch.rows_failed == 0
    assert list(outcomes(batch)) == [3, 6]


def test_extra_columns_are_ignored(world, row_for):
    header = [*HEADER, "工作单位", None, "备用"]
    rows = [[*row_for("赵六", make_id_number()), "玉岭小学", "x", "=1+1"]]
    batch = upload(world.grid_worker_a, xlsx(rows, header))
    assert batch.header[-3:] == ["工作单位", "Column K", "备用"]
    assert max(batch.mapping.values()) == len(HEADER) - 1
    batch = check_and_commit(batch, world.grid_worker_a)
    assert batch.rows_created == 1
    person = Person.objects.get(name="赵六")
    assert person.notes == ""


def test_a_fifty_megabyte_file_is_taken_in_streaming(world, tmp_path):
    """Under the default limit (100 MB): stored and previewed without holding it in memory."""
    path = tmp_path / "big.csv"
    line = f"赵六,{make_id_number()},13800000001,玉岭花园,1栋,1,301,户主,\n".encode()
    with path.open("wb") as out:
        out.write(",".join(HEADER).encode() + b"\n")
        block = line * 10_000
        while out.tell() < 50 * 1024 * 1024:
            out.write(block)
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            batch = services.import_upload(
                actor=world.grid_worker_a, file=handle, filename="big.csv"
            )
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert batch.size == path.stat().st_size > 50 * 1024 * 1024
    assert len(batch.sample) == services.SAMPLE_ROWS and batch.mapping["id_number"] == 1
    services.stored_path(batch).unlink()  # 50 MB: not left in the test data directory
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_a_file_over_the_limit_is_refused_and_not_kept(world, settings, nothing_kept):
    settings.GONGZHI_IMPORT_MAX_BYTES = 50 * 1024 * 1024
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, b"a,b\n" + b"1,2\n" * (13 * 1024 * 1024 + 1), "big.csv")
    assert err.value.code == "too_large"
    assert nothing_kept()


def test_a_zip_bomb_is_refused_and_not_kept(world, nothing_kept):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (50 * 1024 * 1024))
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, buf.getvalue())
    assert err.value.code == "zip_bomb"
    assert nothing_kept()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "not_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "old_format"),  # .xls
        (b"PK\x03\x04" + b"\0" * 60, "not_spreadsheet"),  # a damaged zip
    ],
    ids=["pdf", "png", "xls", "damaged-zip"],
)
def test_what_is_not_a_workbook_is_refused_and_not_kept(world, data, code, nothing_kept):
    with pytest.raises(TableFileError) as err:
        upload(world.grid_worker_a, data, "register.xlsx")
    assert err.value.code in {code, "malformed"}
    assert nothing_kept()


def test_formula_cells_import_their_cached_value(world):
    """Excel keeps each formula's last value; that value is imported, the formula is not."""
    number, phone = make_id_number(), make_phone()
    header = ["姓名", "身份证号", "联系电话", "楼栋", "房号"]
    data = xlsx([["赵六", number, None, "1栋", "=300+1"]], header)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                for empty in (b"<f>300+1</f><v></v>", b"<f>300+1</f><v />"):
                    body = body.replace(empty, b"<f>300+1</f><v>301</v>")
                assert b"<v>301</v>" in body
                # the phone as a string formula with its cached text, as Excel writes it
                body = body.replace(
                    b'<c r="C2"', b'<c r="C2" t="str"><f>"' + phone.encode() + b'"</f><v>'
                    + phone.encode() + b"</v></c><c r=\"Z9\"",
                )  # fmt: skip
            dst.writestr(info, body)
    batch = check_and_commit(upload(world.grid_worker_a, out.getvalue()), world.grid_worker_a)
    assert batch.rows_created == 1, outcomes(batch)
    person = Person.objects.get(name="赵六")
    assert person.household.room == "301"


def test_dates_as_text_or_excel_serials_and_bad_dates(world):
    header = ["姓名", "身份证号", "楼栋", "房号", "入住日期"]
    rows = [
        ["赵六", make_id_number(), "1栋", "301", "2020年1月2日"],
        ["钱七", make_id_number(), "1栋", "302", 43831],  # Excel serial: 2020-01-01
        ["孙八", make_id_number(), "1栋", "303", "20200103"],
        ["李九", make_id_number(), "1栋", "304", "2020.13.40"],
    ]
    batch = check_and_commit(upload(world.grid_worker_a, xlsx(rows, header)), world.grid_worker_a)
    got = outcomes(batch)
    assert [got[n][1] for n in (2, 3, 4)] == ["created"] * 3
    # A bad date is left out and the row listed to correct; the person is imported.
    assert got[5][1] == "created" and got[5][3][0][:2] == ["moved_in_on", "date"]
    moved = dict(Person.objects.values_list("name", "moved_in_on"))
    assert [moved[n].isoformat() for n in ("赵六", "钱七", "孙八")] == [
        "2020-01-02", "2020-01-01", "2020-01-03",
    ]  # fmt: skip


def test_ids_with_lower_case_x_or_full_width_digits_match_the_register(world, row_for):
    """Typed either way, the ID number finds the person already registered (an update, not a
    second record)."""
    number = world.person_a1.id_number.reveal()
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in number)
    rows = [row_for(world.person_a1.name, typed, "13711112222", room="101")]
    batch = check_and_commit(upload(world.grid_worker_a, xlsx(rows)), world.grid_worker_a)
    assert (batch.rows_created, batch.rows_updated) == (0, 1), outcomes(batch)
    assert Person.objects.filter(name=world.person_a1.name).count() == 1


def test_a_file_with_no_id_column_says_so_and_imports_nothing(world):
    batch = upload(world.grid_worker_a, xlsx([["赵六", "1栋", "301"]], ["姓名", "楼栋", "房号"]))
    assert "id_number" not in batch.mapping
    with pytest.raises(Exception) as err:
        services.import_request(actor=world.grid_worker_a, batch=batch, phase="check")
    assert "id_number" in err.value.message_dict
    assert not Person.objects.filter(name="赵六").exists()
