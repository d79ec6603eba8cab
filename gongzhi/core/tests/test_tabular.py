"""Reading uploads (XLSX/CSV, encodings, merged headers, bad files) and writing tables.
(Downloads over HTTP: gongzhi/web/tests/test_exports.py.)"""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core.tabular import (
    TableFileError,
    read_table,
    safe_cell,
    write_csv,
    write_xlsx,
    xlsx_reader,
)
from gongzhi.core.tabular.reading import _OLE2

HEADER = ["姓名", "身份证号", "联系电话"]


def xlsx_bytes(rows, merges=(), title="Sheet") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for rng in merges:
        sheet.merge_cells(rng)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_all(source, **kwargs):
    with read_table(source, **kwargs) as table:
        return table, list(table.rows())


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch):
    """Run XLSX tests through both readers: calamine for small files, openpyxl above."""
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_reader, "CALAMINE_MAX_BYTES", 0)
    return request.param


# --- format and encoding ---------------------------------------------------------------


def test_utf8_csv_is_read_with_its_header_and_row_numbers():
    data = "姓名,身份证号,联系电话\n张三,42010219900101123X,13812345678\n".encode()
    table, rows = read_all(data)
    assert (table.format, table.encoding, table.sheet) == ("csv", "utf-8", None)
    assert table.header == HEADER
    assert rows == [(2, ["张三", "42010219900101123X", "13812345678"])]


def test_utf8_with_bom_is_recognised():
    data = "\ufeff姓名,联系电话\n张三,13812345678\n".encode()
    table, _rows = read_all(data)
    assert table.encoding == "utf-8-sig"
    assert table.header == ["姓名", "联系电话"]


def test_gbk_csv_falls_back_to_gb18030():
    data = "姓名,小区\n张三,阳光小区\n".encode("gbk")
    table, rows = read_all(data)
    assert table.encoding == "gb18030"
    assert rows == [(2, ["张三", "阳光小区"])]


def test_gbk_text_deep_in_a_utf8_looking_file_is_still_detected():
    ascii_lines = "".join(f"row{i},x\n" for i in range(200_000))
    data = ("name,note\n" + ascii_lines).encode() + "张三,阳光\n".encode("gbk")
    table, _rows = read_all(data)
    assert table.encoding == "gb18030"


def test_text_in_neither_encoding_is_refused():
    with pytest.raises(TableFileError) as err:
        read_all(b"name,note\n\x80\xff\xfe,1\n")
    assert err.value.code == "encoding"
    assert "file" in err.value.message_dict


def test_utf16_text_is_refused_with_advice():
    with pytest.raises(TableFileError) as err:
        read_all("姓名\t电话\n".encode("utf-16"))
    assert err.value.code == "encoding"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a,b,c\n1,2,3\n", ","), ("a\tb\tc\n1\t2\t3\n", "\t"), ("a;b;c\n1;2,5;3\n", ";")],
)
def test_the_delimiter_is_sniffed(text, delimiter):
    table, rows = read_all(text.encode())
    assert table.header == ["a", "b", "c"]
    assert len(rows[0][1]) == 3


def test_quoted_newlines_keep_excel_row_numbers():
    data = '姓名,备注\n张三,"两行\n备注"\n李四,x\n'.encode()
    _table, rows = read_all(data)
    assert [n for n, _v in rows] == [2, 3]
    assert rows[0][1][1] == "两行\n备注"


def test_the_format_is_decided_by_content_not_by_name():
    table, _rows = read_all(xlsx_bytes([HEADER]), filename="register.csv")
    assert table.format == "xlsx"
    table, _rows = read_all(b"a,b\n1,2\n", filename="register.xlsx")
    assert table.format == "csv"


# --- header and rows ---------------------------------------------------------------------


def test_blank_rows_before_the_header_and_between_rows_are_skipped(engine):
    data = xlsx_bytes([[], [None, None], HEADER, ["张三", "x", None], [], ["李四", None, 1]])
    table, rows = read_all(data)
    assert table.header == HEADER
    assert [n for n, _v in rows] == [4, 6]
    assert rows[1][1] == ["李四", None, 1]


def test_headers_are_nfkc_normalised_and_stripped():
    table, _rows = read_all(" 姓名 ,联系\n电话,ＩＤ\n".encode().replace(b"\n\xe7\x94", b"\xe7\x94"))
    assert table.header[0] == "姓名"
    assert table.header[-1] == "ID"


def test_duplicate_and_empty_headers_are_named():
    table, _rows = read_all("姓名,,姓名,电话\n张三,1,张,2\n".encode())
    assert table.header == ["姓名", "B 列", "姓名 (2)", "电话"]


def test_a_title_row_merged_over_the_table_is_not_the_header(engine):
    data = xlsx_bytes([["XX社区人口登记表"], HEADER, ["张三", "x", "y"]], merges=["A1:C1"])
    table, rows = read_all(data)
    assert table.header == HEADER
    assert rows == [(3, ["张三", "x", "y"])]


def test_a_two_row_header_with_merged_group_cells_is_combined(engine):
    data = xlsx_bytes(
        [
            ["姓名", "住址", None, None, "电话"],
            [None, "小区", "楼栋", "房号", None],
            ["张三", "阳光小区", "1栋", "101", "13812345678"],
        ],
        merges=["B1:D1", "A1:A2", "E1:E2"],
    )
    table, rows = read_all(data)
    assert table.header == ["姓名", "小区", "楼栋", "房号", "电话"]
    assert rows == [(3, ["张三", "阳光小区", "1栋", "101", "13812345678"])]


def test_a_merged_header_cell_over_two_data_columns_names_both(engine):
    data = xlsx_bytes([["姓名", "电话", None], ["张三", "1", "2"]], merges=["B1:C1"])
    table, rows = read_all(data)
    assert table.header == ["姓名", "电话", "电话 (2)"]
    assert rows[0][1] == ["张三", "1", "2"]


def test_extra_columns_without_a_header_are_kept_and_named(engine):
    data = xlsx_bytes([HEADER, ["张三", "x", "y", "extra"]])
    table, rows = read_all(data)
    assert table.header == [*HEADER, "D 列"]
    assert rows[0][1][3] == "extra"


def test_cell_types_are_exposed_faithfully(engine):
    when = dt.datetime(2024, 3, 1, 8, 30)
    data = xlsx_bytes(
        [
            ["text", "int", "float", "date", "datetime", "id_as_number", "empty"],
            [" 张三 ", 13812345678, 1.5, dt.date(1990, 1, 2), when, 420102199001011234, ""],
        ]
    )
    _table, rows = read_all(data)
    values = rows[0][1]
    assert values[:5] == ["张三", 13812345678, 1.5, dt.date(1990, 1, 2), when]
    assert isinstance(values[5], int) and values[5] != 420102199001011234  # float digits lost
    assert values[6] is None


def test_formulas_give_their_cached_value(engine, tmp_path):
    # openpyxl writes no cached values, so build the sheet XML with one, as Excel does.
    data = xlsx_bytes([["a", "b"], [1, "=A2*2"]])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<f>A2*2</f><v></v>", b"<f>A2*2</f><v>2</v>")
                body = body.replace(b"<f>A2*2</f><v />", b"<f>A2*2</f><v>2</v>")
                assert b"<v>2</v>" in body
            dst.writestr(info, body)
    _table, rows = read_all(out.getvalue())
    assert rows == [(2, [1, 2])]


def test_a_chosen_sheet_is_read(engine):
    book = openpyxl.Workbook()
    book.active.append(["x"])
    other = book.create_sheet("人员")
    other.append(HEADER)
    buf = io.BytesIO()
    book.save(buf)
    table, _rows = read_all(buf.getvalue(), sheet="人员")
    assert table.sheet == "人员" and table.header == HEADER


def test_rows_can_be_read_twice():
    with read_table(b"a,b\n1,2\n3,4\n") as table:
        assert list(table.rows()) == list(table.rows())


def test_a_large_csv_streams_in_constant_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("姓名,身份证号,联系电话\n")
        for i in range(400_000):
            handle.write(f"张三{i % 10},42010219900101{i % 10000:04d},138{i:08d}\n")
    tracemalloc.start()
    with read_table(path) as table:
        count = sum(1 for _row in table.rows())
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 400_000
    assert path.stat().st_size > 15_000_000
    assert peak < 8 * 1024 * 1024  # a few 1 MiB chunks, not the 15 MB file


# --- refused files -------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    with pytest.raises(TableFileError) as err:
        read_all(b"")
    assert err.value.code == "empty"


def test_a_file_of_blank_lines_is_refused():
    with pytest.raises(TableFileError) as err:
        read_all(b"\n\n,,\n")
    assert err.value.code == "empty"


def test_a_file_whose_first_row_is_data_has_no_header():
    with pytest.raises(TableFileError) as err:
        read_all(b"420102199001011234,13812345678\n420102199001011235,13812345679\n")
    assert err.value.code == "no_header"


def test_a_file_over_the_limit_is_refused_before_reading():
    with pytest.raises(TableFileError) as err:
        read_all(b"a,b\n" * 1000, max_bytes=100)
    assert err.value.code == "too_large"


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4 ...", b"\x89PNG\r\n\x1a\n\x00\x00", b"\x00\x01\x02\x03binary"]
)
def test_other_files_are_not_spreadsheets(data):
    with pytest.raises(TableFileError) as err:
        read_all(data)
    assert err.value.code == "not_spreadsheet"


def test_a_zip_that_is_not_a_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(TableFileError) as err:
        read_all(buf.getvalue(), filename="x.xlsx")
    assert err.value.code == "not_spreadsheet"


def test_a_damaged_zip_is_refused():
    data = xlsx_bytes([HEADER])
    with pytest.raises(TableFileError) as err:
        read_all(data[: len(data) // 2])
    assert err.value.code in {"malformed", "not_spreadsheet"}


def test_a_zip_bomb_is_refused_before_decompressing(engine):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"\x20" * (50 * 1024 * 1024))
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(TableFileError) as err:
        read_all(buf.getvalue())
    assert err.value.code == "zip_bomb"


def test_a_zip_that_lies_about_its_sizes_is_refused():
    data = xlsx_bytes([HEADER, ["张三", "x", "y"]])
    # Shrink the declared size of the sheet in the central directory and local header.
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(4, "little")
    fake = (10).to_bytes(4, "little")
    assert data.count(real) >= 1
    with pytest.raises(TableFileError):
        read_all(data.replace(real, fake))


def test_a_password_protected_workbook_is_named_as_such():
    # An encrypted OOXML file is an OLE2 compound file holding an "EncryptedPackage".
    data = _OLE2 + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    with pytest.raises(TableFileError) as err:
        read_all(data)
    assert err.value.code == "password_protected"


def test_an_old_xls_workbook_is_refused_with_advice():
    with pytest.raises(TableFileError) as err:
        read_all(_OLE2 + b"\x00" * 600)
    assert err.value.code == "old_format"


def test_a_web_page_saved_as_xls_is_refused():
    with pytest.raises(TableFileError) as err:
        read_all(b"<html><table><tr><td>1</td></tr></table></html>")
    assert err.value.code == "not_spreadsheet"


# --- writing -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "+86", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_excel_would_run_is_escaped(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "138****5678", 12, -3, 1.5, None, dt.date(2024, 1, 1)])
def test_safe_values_pass_unchanged(value):
    assert safe_cell(value) == value


@given(st.text())
def test_no_escaped_cell_starts_with_a_trigger(text):
    assert not str(safe_cell(text)).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_written_xlsx_has_escaped_cells_and_real_dates(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["姓名", "备注", "日期"], [["张三", "=HYPERLINK(1)", dt.date(2024, 5, 6)]])
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["姓名", "备注", "日期"]
    assert sheet["B2"].value == "'=HYPERLINK(1)"
    assert sheet["B2"].data_type == "s"
    assert sheet["C2"].value == dt.datetime(2024, 5, 6)


def test_written_csv_round_trips_in_both_encodings(tmp_path):
    for encoding in ("utf-8-sig", "gb18030"):
        path = tmp_path / f"out-{encoding}.csv"
        write_csv(path, HEADER, [["张三", "=cmd", 1]], encoding=encoding)
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        table, rows = read_all(path)
        assert table.header == HEADER
        assert rows == [(2, ["张三", "'=cmd", "1"])]


def test_reading_an_uploaded_file_object():
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", "姓名\n张三\n".encode())
    _table, rows = read_all(upload, filename=upload.name)
    assert rows == [(2, ["张三"])]


# --- a workbook as Excel writes it: shared strings, styles, a namespace prefix ----------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_style_workbook() -> bytes:
    """Shared strings (one rich text with a phonetic run, one with an entity), a date
    style, a formula with its cached value, cells without `r`, and the `x:` prefix."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType="appli'
            'cation/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd'
            '.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartNam'
            'e="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-offic'
            'edocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" Con'
            'tentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xm'
            'l"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.ope'
            'nxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pa'
            f'ckage/2006/relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><x:workbook xmlns:x="{_NS}" xmlns:r="{_REL}"><x:sheets>'
            '<x:sheet name="人口" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pa'
            f'ckage/2006/relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Targ'
            f'et="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" Targe'
            f't="styles.xml"/><Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sh'
            'aredStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0"?><styleSheet xmlns="{_NS}"><numFmts count="1"><numFmt numF'
            'mtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numF'
            'mts><fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders co'
            'unt="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyl'
            'eXfs><cellXfs count="2"><xf numFmtId="0" xfId="0"/><xf numFmtId="164" xfId="0" '
            'applyNumberFormat="1"/></cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?><sst xmlns="{_NS}" count="4" uniqueCount="4"><si><t>姓名</t>'
            "</si><si><t>出生日期</t></si><si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r>"
            '<rPh sb="0" eb="1"><t>zhang</t></rPh></si><si><t>A&amp;B &lt;x&gt;</t></si></sst>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><x:worksheet xmlns:x="{_NS}"><x:sheetData>'
            '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v>'
            '</x:c><x:c r="C1" t="inlineStr"><x:is><x:t>备注</x:t></x:is></x:c>'
            '<x:c r="D1" t="inlineStr"><x:is><x:t>合计</x:t></x:is></x:c></x:row>'
            '<x:row r="3" spans="1:4"><x:c t="s"><x:v>2</x:v></x:c><x:c s="1"><x:v>32874</x:v>'
            '</x:c><x:c t="s"><x:v>3</x:v></x:c><x:c><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
            '<x:row r="4"/><x:row r="5"><x:c r="B5" s="1"><x:v>43831.5</x:v></x:c>'
            '<x:c r="C5" t="str"><x:f>A1</x:f><x:v>=x</x:v></x:c><x:c r="D5" t="b"><x:v>1</x:v>'
            "</x:c></x:row></x:sheetData></x:worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_an_excel_style_workbook_reads_the_same_through_every_reader(engine):
    table, rows = read_all(excel_style_workbook())
    assert table.sheet == "人口"
    assert table.header == ["姓名", "出生日期", "备注", "合计"]
    assert rows == [
        (3, ["张三", dt.date(1990, 1, 1), "A&B <x>", 2]),
        (5, [None, dt.datetime(2020, 1, 1, 12, 0), "=x", True]),
    ]


def test_the_streaming_reader_keeps_memory_flat_on_a_big_sheet(monkeypatch, tmp_path):
    import tracemalloc

    monkeypatch.setattr(xlsx_reader, "CALAMINE_MAX_BYTES", 0)
    path = tmp_path / "big.xlsx"
    write_xlsx(path, HEADER, ([f"张{i}", f"4201{i:014d}", i] for i in range(60_000)))
    tracemalloc.start()
    with read_table(path) as table:
        count = sum(1 for _row in table.rows())
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 60_000
    assert peak < 24 * 1024 * 1024  # a few decompressed chunks, not the ~8 MB of XML


# --- the streaming reader against openpyxl's own (public) read-only reader ---------------


def _rows_by_openpyxl(data: bytes) -> dict[int, list]:
    from gongzhi.core.tabular.common import _clean_value

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    found = {}
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        cells = [_clean_value(v) for v in values]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            found[number] = cells
    book.close()
    return found


def _rows_by_stream(data: bytes) -> dict[int, list]:
    from gongzhi.core.tabular import xlsx_stream

    file = io.BytesIO(data)
    with zipfile.ZipFile(file) as archive:
        sheet = xlsx_stream.stream_sheet(file, archive, None)
        assert sheet is not None
        found = {n: cells for n, cells in sheet.rows() if cells}
        sheet.close()
    return found


def _typed_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "出生日期", "时间", "金额", "数量", "备注", "是否", "公式"])
    sheet.append(["张三", dt.date(1990, 1, 2), dt.datetime(2024, 3, 4, 5, 6, 7), 1.25, 7, "a&b<c>"])
    sheet.append([None, None, None, -0.5, 10**15, "  空格  ", True, "=1+1"])
    sheet["A6"] = "间隔之后"
    sheet["H6"] = 3
    sheet["C7"] = dt.time(8, 30)
    sheet.merge_cells("A8:C8")
    sheet["A8"] = "合并"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
@pytest.mark.parametrize("make", [excel_style_workbook, _typed_workbook])
def test_the_streaming_reader_agrees_with_openpyxls_read_only_reader(make):
    """`xlsx_stream` relies on openpyxl internals (pinned in pyproject.toml); this is the
    check that an upgrade did not change what either reader sees, cell for cell."""
    data = make()
    assert _rows_by_stream(data) == _rows_by_openpyxl(data)
