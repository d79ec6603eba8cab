"""Reading and writing the spreadsheets people already keep: XLSX and CSV.

`read_table` opens an upload (a path, bytes or a binary file), decides by its content
whether it is XLSX or CSV, refuses what is not a spreadsheet (with a `TableFileError` that
names the rule), finds the header row and then streams the data rows in constant memory:

    with read_table(upload, filename=upload.name) as table:
        table.header                        # ["姓名", "身份证号", …]
        for row_number, values in table.rows():
            ...                             # row_number as Excel shows it (1-based)

Values keep their cell types (text, whole numbers, decimals, dates, date-times) so the
importer can tell an ID number typed as text from one that Excel turned into a number.
Text is stripped and empty cells are `None`; wholly blank rows are skipped.

`write_xlsx`, `write_csv` and `export_response` write tables for people to open in Excel;
every text cell goes through `safe_cell`, so a value such as `=HYPERLINK(…)` is shown as
text and never run as a formula.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import html
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import BadRequest, ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

Cell = str | int | float | dt.date | dt.datetime | None

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 100 * MiB
# An XLSX sheet is XML compressed about 5–15 times; 1 GiB of XML is about 3 million rows
# of a register. More than that, or one part inflating more than 200 times (and over
# 1 MiB), is a zip bomb and is refused before anything is decompressed.
MAX_UNCOMPRESSED_BYTES = 1024 * MiB
MAX_COMPRESSION_RATIO = 200
# python-calamine (Rust) reads ~50,000 rows/s but holds the whole sheet in memory (about 17
# times the file's size); above this size the sheet is streamed (`_SheetScanner`, ~16,000
# rows/s; openpyxl's own read-only parser, without lxml, ~3,000–6,000) in flat memory.
# Measured with benchmarks/import_read.py: docs/benchmarks.md, section 3.
CALAMINE_MAX_BYTES = 8 * MiB
HEADER_SCAN_ROWS = 30  # the header must be among the first rows that are not blank
CHUNK = MiB

FORMATS = ("xlsx", "csv")
EXPORT_FORMATS = ("xlsx", "csv", "csv-gbk")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (openpyxl refuses them): C0 controls except tab/LF/CR.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WHITESPACE = re.compile(r"\s+")
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")

_MAGIC_NOT_TABLE = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"BM",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TableFileError(ValidationError):
    """An upload that cannot be read as a table; a field error on `file` naming the rule.

    Codes: not_spreadsheet, old_format, too_large, zip_bomb, encoding, empty, no_header,
    password_protected, malformed.
    """

    def __init__(self, code: str, message: Any, params: dict[str, Any] | None = None):
        super().__init__({"file": [ValidationError(message, code=code, params=params)]})
        self.code = code

    def __str__(self) -> str:
        return "; ".join(self.messages)


# --- reading -------------------------------------------------------------------------------


class Table:
    """An opened spreadsheet: its format, encoding, sheet, header and a row iterator."""

    format: str
    encoding: str | None
    sheet: str | None
    header: list[str]

    def __init__(self, source: _Source):
        self._source = source
        self._closers: list[Callable[[], None]] = []
        self._raw_rows: Callable[[], Iterator[tuple[int, list[Cell]]]]
        self._merges: list[tuple[int, int, int, int]] = []
        self._data_start = 0  # first Excel row after the header
        self._columns: list[int] = []  # the raw column index of each header position

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """Data rows after the header: `(row number, values)`; may be called again."""
        columns = self._columns
        try:
            for number, raw in self._raw_rows():
                if number < self._data_start:
                    continue
                values = [raw[i] if i < len(raw) else None for i in columns]
                if all(v is None for v in values):
                    continue
                yield number, values
        except TableFileError:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, csv.Error) as exc:
            raise _malformed(exc) from exc

    def close(self) -> None:
        while self._closers:
            with contextlib.suppress(Exception):
                self._closers.pop()()
        self._source.close()

    # --- the header ----------------------------------------------------------------------
    def _find_header(self) -> None:
        window: list[tuple[int, list[Cell]]] = []
        seen_any = False
        with contextlib.closing(self._raw_rows()) as raw_rows:
            for number, raw in raw_rows:
                if any(v is not None for v in raw):
                    seen_any = True
                    window.append((number, raw))
                if len(window) >= HEADER_SCAN_ROWS + 1:
                    break
        if not seen_any:
            raise TableFileError("empty", _("The file holds no rows: it is empty."))
        filled = _fill_merges(window, self._merges)
        counts = [sum(v is not None for v in raw) for _n, raw in window[:HEADER_SCAN_ROWS]]
        needed = 2 if max(counts) >= 2 else 1
        index = next(i for i, c in enumerate(counts) if c >= needed)
        number, top = window[index][0], filled[index]
        texts = [v for v in window[index][1] if v is not None]
        non_text = [v for v in texts if not isinstance(v, str) or _looks_numeric(v)]
        if len(non_text) * 2 > len(texts):
            raise TableFileError(
                "no_header",
                _(
                    "Row %(row)d, the first row with values, holds numbers or dates, not "
                    "column names: add a header row naming each column."
                ),
                {"row": number},
            )
        names = [_header_text(v) for v in top]
        data_start = number + 1
        below = window[index + 1] if index + 1 < len(window) else None
        if below is not None and below[0] == number + 1:
            sub = _sub_header(number, names, filled[index + 1], below[1], self._merges)
            if sub is not None:
                names, data_start = sub, number + 2
        # Width: the header's and that of the data rows seen so far; unnamed columns that
        # hold nothing on either side (often a blank first column) are left out.
        width = max([len(names)] + [len(raw) for _n, raw in window[index + 1 :]])
        names += [""] * (width - len(names))
        self._columns = [
            i
            for i in range(width)
            if names[i] or any(i < len(raw) and raw[i] is not None for _n, raw in window)
        ]
        self.header = _name_columns([names[i] for i in self._columns], self._columns)
        self._data_start = data_start


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,+\-:/年月日xX]+", text))


def _header_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return _WHITESPACE.sub(" ", text)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _name_columns(names: list[str], columns: list[int]) -> list[str]:
    """Empty names become "Column C"; repeated names get " (2)", " (3)"…"""
    out: list[str] = []
    seen: dict[str, int] = {}
    for name, col in zip(names, columns, strict=True):
        name = name or gettext("Column %(letter)s") % {"letter": column_letter(col)}
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def _fill_merges(
    window: list[tuple[int, list[Cell]]], merges: list[tuple[int, int, int, int]]
) -> list[list[Cell]]:
    """The window's rows with each merged range's value copied into all its cells."""
    by_number = {number: i for i, (number, _raw) in enumerate(window)}
    filled = [list(raw) for _n, raw in window]
    for r1, c1, r2, c2 in merges:
        if r1 not in by_number:
            continue
        top = window[by_number[r1]][1]
        value = top[c1] if c1 < len(top) else None
        for r in range(r1, r2 + 1):
            i = by_number.get(r)
            if i is None:
                continue
            row = filled[i]
            if len(row) <= c2:
                row.extend([None] * (c2 + 1 - len(row)))
            for c in range(c1, c2 + 1):
                row[c] = value
    return filled


def _sub_header(
    number: int,
    names: list[str],
    below_filled: list[Cell],
    below_raw: list[Cell],
    merges: list[tuple[int, int, int, int]],
) -> list[str] | None:
    """A two-row header ("地址" merged over "小区 | 楼栋 | 单元"): the combined names.

    Only when the header row has a merged group whose columns the next row names, and the
    next row is blank (or merged from above) outside the groups, as a header is and a data
    row is not.
    """
    groups = [(c1, c2) for r1, c1, r2, c2 in merges if r1 == r2 == number and c2 > c1]
    if not groups:
        return None
    vertical = {
        c for r1, c1, r2, c2 in merges if r1 == number and r2 > number for c in range(c1, c2 + 1)
    }
    in_group = {c for c1, c2 in groups for c in range(c1, c2 + 1)}
    for c, value in enumerate(below_raw):
        if value is None:
            continue
        if c not in in_group or not isinstance(value, str) or _looks_numeric(value):
            return None
    if not any(below_raw[c] is not None for c in in_group if c < len(below_raw)):
        return None
    width = max(len(names), len(below_filled))
    subs = [_header_text(below_filled[c]) if c < len(below_filled) else "" for c in range(width)]
    result: list[str] = []
    for c in range(width):
        top = names[c] if c < len(names) else ""
        if c in in_group and c not in vertical and subs[c]:
            repeated = sum(1 for k in in_group if k < width and subs[k] == subs[c]) > 1
            result.append(f"{top}/{subs[c]}" if repeated and top else subs[c])
        else:
            result.append(top)
    return result


def _clean_value(value: Any) -> Cell:
    """A cell as the importer gets it: stripped text or None, whole floats as int, dates."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        if value.time() == dt.time(0):
            return value.date()
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


class _Source:
    """The upload as a seekable binary file with a known size."""

    def __init__(self, source: Any, max_bytes: int):
        self._own: IO[bytes] | None = None
        self.path: str | None = None
        if isinstance(source, (str, os.PathLike)):
            self.path = os.fspath(source)
            self.size = os.path.getsize(self.path)
            _check_size(self.size, max_bytes)
            self.file: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            self._own = self.file
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self.size = len(source)
            _check_size(self.size, max_bytes)
            self.file = io.BytesIO(bytes(source))
            self._own = self.file
        else:
            file = getattr(source, "file", source)  # Django's UploadedFile wraps a file
            path = getattr(file, "name", None)
            if isinstance(path, str) and os.path.isfile(path) and hasattr(file, "fileno"):
                self.path = path
            if _seekable(file):
                file.seek(0, os.SEEK_END)
                self.size = file.tell()
                _check_size(self.size, max_bytes)
                file.seek(0)
                self.file = file
            else:
                spool = tempfile.SpooledTemporaryFile(max_size=8 * MiB)  # noqa: SIM115
                self.size = 0
                while chunk := file.read(CHUNK):
                    self.size += len(chunk)
                    _check_size(self.size, max_bytes)
                    spool.write(chunk)
                spool.seek(0)
                self.file = spool
                self._own = spool
                self.path = None

    def head(self, n: int) -> bytes:
        self.file.seek(0)
        data = self.file.read(n)
        self.file.seek(0)
        return data

    def chunks(self) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            yield chunk

    def close(self) -> None:
        if self._own is not None:
            self._own.close()


def _seekable(file: Any) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TableFileError(
            "too_large",
            _("The file is %(size)s MB; at most %(max)s MB can be imported at once."),
            {"size": f"{size / MiB:.1f}", "max": f"{max_bytes / MiB:.0f}"},
        )


def _malformed(exc: BaseException | None = None) -> TableFileError:
    return TableFileError(
        "malformed",
        _("The file is damaged or not a valid spreadsheet; open it in Excel and save it again."),
    )


@contextlib.contextmanager
def read_table(
    source: Any,
    *,
    filename: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    sheet: str | None = None,
) -> Iterator[Table]:
    """Open a spreadsheet (XLSX or CSV, told apart by content) and find its header.

    `filename` is used only in messages; `sheet` picks a worksheet by name (default: the
    first visible one).
    """
    src = _Source(source, max_bytes)
    table = Table(src)
    try:
        if src.size == 0:
            raise TableFileError("empty", _("The file is empty."))
        head = src.head(8192)
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            _open_xlsx(table, src, sheet)
        elif head.startswith(_OLE2):
            raise _ole2_error(src)
        elif head.startswith(_MAGIC_NOT_TABLE) or head.startswith(b"PK"):
            raise _not_spreadsheet()
        else:
            _open_csv(table, src, head)
        table._find_header()
        yield table
    finally:
        table.close()


def _not_spreadsheet() -> TableFileError:
    return TableFileError(
        "not_spreadsheet",
        _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."),
    )


def _ole2_error(src: _Source) -> TableFileError:
    """An OLE2 compound file: an encrypted (password-protected) XLSX or an old .xls."""
    marker = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    for chunk in src.chunks():
        if marker in tail + chunk:
            return TableFileError(
                "password_protected",
                _(
                    "The workbook is protected by a password: open it in Excel, remove the "
                    "password (File › Info › Protect Workbook) and upload it again."
                ),
            )
        tail = chunk[-len(marker) :]
    return TableFileError(
        "old_format",
        _(
            "This is an old Excel 97–2003 workbook (.xls): open it in Excel and save it as "
            "an Excel workbook (.xlsx) or as CSV."
        ),
    )


# --- XLSX ----------------------------------------------------------------------------------


def _open_xlsx(table: Table, src: _Source, sheet_name: str | None) -> None:
    try:
        archive = zipfile.ZipFile(src.file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _malformed(exc) from exc
    table._closers.append(archive.close)
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise TableFileError(
                "old_format",
                _("This is a binary Excel workbook (.xlsb): save it as .xlsx or CSV."),
            )
        raise _not_spreadsheet()
    _check_zip_bomb(archive)
    # Declared sizes can lie: reading every part through zipfile (which stops at the
    # declared size and checks the CRC) proves them before a parser sees the file.
    if src.size <= CALAMINE_MAX_BYTES:
        try:
            for info in archive.infolist():
                with archive.open(info) as part:
                    while part.read(CHUNK):
                        pass
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _malformed(exc) from exc
        _open_xlsx_calamine(table, src, sheet_name)
    else:
        _open_xlsx_openpyxl(table, src, archive, sheet_name)
    table.format = "xlsx"
    table.encoding = None


def _check_zip_bomb(archive: zipfile.ZipFile) -> None:
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise TableFileError(
                "password_protected", _("The workbook's parts are encrypted; remove the password.")
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (
            info.file_size > MiB and ratio > MAX_COMPRESSION_RATIO
        ):
            raise TableFileError(
                "zip_bomb",
                _(
                    "The workbook would unpack to more than %(max)d MB or is compressed "
                    "suspiciously well (a “zip bomb”); it was not opened."
                ),
                {"max": MAX_UNCOMPRESSED_BYTES // MiB},
            )


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    first, _sep, last = ref.partition(":")
    a, b = _CELL_REF.match(first.upper()), _CELL_REF.match((last or first).upper())
    if not a or not b:
        return None
    return (
        int(a.group(2)),
        _column_index(a.group(1)),
        int(b.group(2)),
        _column_index(b.group(1)),
    )


def _open_xlsx_calamine(table: Table, src: _Source, sheet_name: str | None) -> None:
    import python_calamine as pc

    try:
        src.file.seek(0)
        book = pc.CalamineWorkbook.from_filelike(src.file)
        table._closers.append(book.close)
        if sheet_name is None:
            visible = [
                m.name
                for m in book.sheets_metadata
                if m.typ == pc.SheetTypeEnum.WorkSheet and m.visible == pc.SheetVisibleEnum.Visible
            ]
            if not visible:
                raise TableFileError("empty", _("The workbook has no visible worksheet."))
            sheet_name = visible[0]
        try:
            sheet = book.get_sheet_by_name(sheet_name)
        except pc.WorksheetNotFound:
            raise TableFileError(
                "empty", _("The workbook has no sheet named %(name)s."), {"name": sheet_name}
            ) from None
    except pc.PasswordError:
        raise TableFileError(
            "password_protected", _("The workbook is protected by a password.")
        ) from None
    except (pc.CalamineError, pc.XmlError, pc.ZipError) as exc:
        raise _malformed(exc) from exc
    table.sheet = sheet_name
    start_row, start_col = sheet.start or (0, 0)
    table._merges = [
        (r1 + 1, c1, r2 + 1, c2) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])
    ]

    def raw_rows() -> Iterator[tuple[int, list[Cell]]]:
        # iter_rows may start at row 1 or at the used range's first row, and its columns
        # at column A or at the range's first column (it differs between versions): the
        # first row holding a value is `start_row`, which fixes the numbering either way.
        base: int | None = None
        pad: list[Cell] | None = None
        for offset, row in enumerate(sheet.iter_rows()):
            if pad is None:
                pad = [None] * start_col if len(row) == sheet.width else []
            cells = pad + [None if v == "" else _clean_value(v) for v in row]
            while cells and cells[-1] is None:
                cells.pop()
            if base is None:
                if not cells:
                    continue
                base = start_row - offset
            yield base + offset + 1, cells

    table._raw_rows = raw_rows


def _open_xlsx_openpyxl(
    table: Table, src: _Source, archive: zipfile.ZipFile, sheet_name: str | None
) -> None:
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    # openpyxl reads the workbook's parts (sheets, shared strings, styles, epoch) but not
    # the sheet: `load_workbook` would parse each whole sheet once just for its size.
    try:
        src.file.seek(0)
        reader = ExcelReader(src.file, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        found = [
            (sheet.name, sheet.state or "visible", rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.Type.endswith("/worksheet") and rel.target in reader.valid_files
        ]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _malformed(exc) from exc
    table._closers.append(reader.archive.close)
    book = reader.wb
    if sheet_name is not None:
        found = [f for f in found if f[0] == sheet_name]
    else:
        found = [f for f in found if f[1] == "visible"]
    if not found:
        raise TableFileError("empty", _("The workbook has no visible worksheet."))
    table.sheet, _state, path = found[0]
    table._merges = _scan_merges(archive, path)

    # The strings read from the file are the reader's (the workbook's own
    # `shared_strings` is the list openpyxl writes).
    scanner = _SheetScanner(
        reader.shared_strings, book._date_formats, book._timedelta_formats, book.epoch
    )

    def raw_rows() -> Iterator[tuple[int, list[Cell]]]:
        with archive.open(path) as part:
            yield from scanner.rows(part)

    table._raw_rows = raw_rows


_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'\b([rst])="([^"]*)"')
# One cell: (attributes, <v> text, <is> content, attributes of an empty `<c …/>`). A formula
# (`<f>`) before the cached value is skipped.
_CELL_PARTS = re.compile(
    rb"<(?:\w+:)?c\b([^>]*[^/>])?>"
    rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>.*?</(?:\w+:)?f>))?"
    rb"(?:<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>|<(?:\w+:)?is>(.*?)</(?:\w+:)?is>)?"
    rb".*?</(?:\w+:)?c>"
    rb"|<(?:\w+:)?c\b([^>]*)/>",
    re.S,
)
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


class _SheetScanner:
    """The rows of a worksheet's XML, streamed: regular expressions over decompressed
    chunks instead of an XML tree (openpyxl's parser without lxml reads 3,000–6,000 rows/s;
    this about ten times that, in constant memory). Shared strings, date styles and the
    epoch come from openpyxl's reading of the workbook."""

    def __init__(self, shared: list[str], dates: set[int], durations: set[int], epoch: dt.datetime):
        self.shared = shared
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        self._columns: dict[bytes, int] = {}

    def rows(self, part: IO[bytes]) -> Iterator[tuple[int, list[Cell]]]:
        buffer = b""
        number = 0
        while True:
            chunk = part.read(CHUNK)
            buffer += chunk
            if chunk:
                ends = list(_ROW_END.finditer(buffer, max(0, len(buffer) - len(chunk) - 16)))
                if not ends:
                    if len(buffer) > 64 * MiB:
                        raise _malformed()
                    continue
                cut = ends[-1].end()
            else:
                cut = len(buffer)
            for match in _ROW.finditer(buffer, 0, cut):
                attrs = dict(_ATTR.findall(match.group(1)))
                number = int(attrs[b"r"]) if b"r" in attrs else number + 1
                yield number, self._cells(match.group(2) or b"")
            buffer = buffer[cut:]
            if not chunk:
                return

    def _cells(self, body: bytes) -> list[Cell]:
        row: list[Cell] = []
        column = -1
        for attrs, raw, inline, empty in _CELL_PARTS.findall(body):
            if empty:
                attrs = empty
            ref = _attr(attrs, b' r="')
            if ref:
                letters = ref.rstrip(b"0123456789$")
                column = self._columns.get(letters, -1)
                if column < 0:
                    column = self._columns[letters] = _column_index(letters.decode("ascii"))
            else:
                column += 1
            if empty or not (raw or inline):
                continue
            kind = _attr(attrs, b' t="') or b"n"
            value = self._value(kind, attrs, raw, inline)
            if value is None:
                continue
            if column >= len(row):
                row.extend([None] * (column + 1 - len(row)))
            row[column] = value
        return row

    def _value(self, kind: bytes, attrs: bytes, raw: bytes, inline: bytes) -> Cell:
        if kind == b"s":
            return _clean_value(self.shared[int(raw)])
        if kind == b"n":
            number: float | int = (
                float(raw) if b"." in raw or b"E" in raw or b"e" in raw else int(raw)
            )
            style = int(_attr(attrs, b' s="') or 0)
            if style and style in self.dates:
                try:
                    return _clean_value(
                        from_excel(number, self.epoch, timedelta=style in self.durations)
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return _clean_value(number)
        if kind == b"inlineStr":
            text = b"".join(_TEXT.findall(_PHONETIC.sub(b"", inline)))
            return _clean_value(_xml_text(text))
        if kind == b"b":
            return raw.strip() in (b"1", b"true")
        if kind == b"d":
            return _clean_value(dt.datetime.fromisoformat(_xml_text(raw)))
        return _clean_value(_xml_text(raw))  # str (a formula's text), e (#N/A …)


def _attr(attrs: bytes, name: bytes) -> bytes:
    """The value of attribute `name` (given as b' t="') in a tag's attribute text."""
    start = attrs.find(name)
    if start < 0:
        return b""
    start += len(name)
    return attrs[start : attrs.find(b'"', start)]


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def _scan_merges(archive: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges, found by scanning the XML bytes (they follow the data)."""
    merges: list[tuple[int, int, int, int]] = []
    tail = b""
    with archive.open(path) as part:
        while chunk := part.read(CHUNK):
            data = tail + chunk
            if b"mergeCell" in data:
                end = data.rfind(b">") + 1
                for match in _MERGE_CELL.finditer(data[:end]):
                    rng = _parse_range(match.group(1).decode("ascii", "replace"))
                    if rng is not None and rng[0] <= HEADER_SCAN_ROWS * 4:
                        merges.append(rng)
                tail = data[end:][-4096:]
            else:
                tail = data[-256:]
    return merges


# --- CSV -----------------------------------------------------------------------------------

_DELIMITERS = (",", "\t", ";")


def _open_csv(table: Table, src: _Source, head: bytes) -> None:
    encoding = _detect_encoding(src, head)
    sample = _decoded_sample(src, encoding)
    stripped = sample.lstrip().lower()
    if stripped.startswith(("<html", "<!doctype", "<?xml", "<table", "<meta")):
        raise TableFileError(
            "not_spreadsheet",
            _(
                "This is a web page or XML saved with a spreadsheet's name, not a table: open "
                "it in Excel and save it as an Excel workbook (.xlsx) or as CSV."
            ),
        )
    if not sample.strip():
        raise TableFileError("empty", _("The file holds no rows: it is empty."))
    delimiter = _sniff_delimiter(sample)
    table.format = "csv"
    table.encoding = encoding
    table.sheet = None

    def raw_rows() -> Iterator[tuple[int, list[Cell]]]:
        src.file.seek(0)
        text = io.TextIOWrapper(src.file, encoding=encoding, errors="strict", newline="")
        try:
            reader = csv.reader(text, delimiter=delimiter)
            for number, record in enumerate(reader, start=1):
                cells = [_clean_value(v) for v in record]
                while cells and cells[-1] is None:
                    cells.pop()
                yield number, cells
        except UnicodeDecodeError as exc:  # the file changed under us
            raise _encoding_error() from exc
        finally:
            text.detach()

    table._raw_rows = raw_rows


def _encoding_error() -> TableFileError:
    return TableFileError(
        "encoding",
        _(
            "The text of this CSV file is neither UTF-8 nor GBK/GB18030: save it from Excel "
            "as “CSV UTF-8” and upload it again."
        ),
    )


def _detect_encoding(src: _Source, head: bytes) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes strictly, else GB18030."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (b"\x00" in head[:4096]):
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[1:2] == b"\x00":
            raise TableFileError(
                "encoding",
                _(
                    "This is UTF-16 text (Excel's “Unicode text”): save it as “CSV UTF-8” "
                    "or as an Excel workbook (.xlsx) instead."
                ),
            )
        raise _not_spreadsheet()
    candidates = ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            for chunk in src.chunks():
                text = decoder.decode(chunk)
                if "\x00" in text:
                    raise _not_spreadsheet()
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _encoding_error()


def _decoded_sample(src: _Source, encoding: str) -> str:
    data = src.head(64 * 1024)
    return data.decode(encoding, errors="ignore")


def _sniff_delimiter(sample: str) -> str:
    """The candidate that splits the first lines into the most equal, widest records."""
    lines = sample.splitlines()
    if len(sample) >= 64 * 1024 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    lines = [line for line in lines if line.strip()][:50]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        score = (widths.count(mode) if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- writing -------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A value fit for a spreadsheet cell; text that Excel would run as a formula is escaped.

    Text starting with = + - @ (or a tab or carriage return) gets a leading apostrophe, the
    usual defence against CSV/formula injection. Numbers and dates pass unchanged; other
    objects (masked personal values, lazy translations) become their text.
    """
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date)):
        return value
    text = str(value)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _csv_value(value: Any) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def write_xlsx(
    target: Any,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
) -> None:
    """Write one sheet, streaming (openpyxl write-only): memory stays flat for any length."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(sheet_title))
    names = [_xlsx_value(h) for h in header]
    for i, name in enumerate(names, start=1):
        width = min(max(len(str(name or "")) * 2 + 2, 10), 40)
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    if isinstance(target, (str, os.PathLike)):
        book.save(os.fspath(target))
    else:
        book.save(target)


def _sheet_title(title: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip() or "Sheet1"
    return title[:31]


def _csv_chunks(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], encoding: str
) -> Iterator[bytes]:
    """The CSV as encoded chunks of about 64 KiB (a BOM once, at the start, for utf-8-sig)."""
    encoder = codecs.getincrementalencoder(encoding)()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_value(h) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        if buffer.tell() >= 64 * 1024:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    yield encoder.encode(buffer.getvalue(), final=True)


def write_csv(
    target: Any,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8-sig",
) -> None:
    """Write CSV to a path or binary file: UTF-8 with BOM (Excel opens it) or GB18030."""
    if encoding not in ("utf-8-sig", "utf-8", "gb18030", "gbk"):
        raise ValueError(f"unsupported CSV encoding {encoding!r}")
    encoding = "gb18030" if encoding == "gbk" else encoding
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as handle:
            for chunk in _csv_chunks(header, rows, encoding):
                handle.write(chunk)
    else:
        for chunk in _csv_chunks(header, rows, encoding):
            target.write(chunk)


def export_format(value: str | None) -> str:
    """A requested export format, checked: "xlsx", "csv" or "csv-gbk" (400 otherwise)."""
    fmt = (value or "xlsx").lower()
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"unknown export format {value!r}")
    return fmt


def export_response(
    *, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], fmt: str
) -> StreamingHttpResponse:
    """A download of the table: XLSX (built in a temporary file, then streamed) or CSV
    (UTF-8 with BOM, or GB18030 for "csv-gbk", streamed as the rows are produced).

    `filename` may be Chinese and may omit the extension. An unknown `fmt` is a 400.
    """
    fmt = export_format(fmt)
    stem = re.sub(r"\.(xlsx|csv)$", "", filename, flags=re.IGNORECASE) or "export"
    stem = re.sub(r"[\\/:*?\"<>|\r\n]", "_", stem)
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        write_xlsx(spool, header, rows, sheet_title=stem)
        spool.seek(0)
        response: StreamingHttpResponse = FileResponse(
            spool,
            as_attachment=True,
            filename=f"{stem}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        encoding = "gb18030" if fmt == "csv-gbk" else "utf-8-sig"
        charset = "gb18030" if fmt == "csv-gbk" else "utf-8"
        response = StreamingHttpResponse(
            _csv_chunks(header, rows, encoding), content_type=f"text/csv; charset={charset}"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}.csv")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXPORT_FORMATS",
    "Table",
    "TableFileError",
    "export_format",
    "export_response",
    "read_table",
    "safe_cell",
    "write_csv",
    "write_xlsx",
]
