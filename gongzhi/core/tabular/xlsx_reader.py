"""XLSX uploads: the archive checked (zip bombs, encryption, binary workbooks), then read
by python-calamine (fast; holds the sheet in memory) or, above `CALAMINE_MAX_BYTES`, by the
streaming reader of `xlsx_stream` (flat memory)."""

from __future__ import annotations

import zipfile
from collections.abc import Generator
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from gongzhi.core.tabular import xlsx_stream
from gongzhi.core.tabular.common import (
    CHUNK,
    Cell,
    MiB,
    TableFileError,
    _clean_value,
    _malformed,
    _not_spreadsheet,
)

if TYPE_CHECKING:
    from gongzhi.core.tabular.reading import Table, _Source

# An XLSX sheet is XML compressed about 5–15 times; 1 GiB of XML is about 3 million rows
# of a register. More than that, or one part inflating more than 200 times (and over
# 1 MiB), is a zip bomb and is refused before anything is decompressed.
MAX_UNCOMPRESSED_BYTES = 1024 * MiB
MAX_COMPRESSION_RATIO = 200
# python-calamine (Rust) reads ~50,000 rows/s but holds the whole sheet in memory (about 17
# times the file's size); above this size the sheet is streamed in flat memory
# (`xlsx_stream`). Measured with benchmarks/import_read.py: docs/benchmarks.md, section 3.
CALAMINE_MAX_BYTES = 8 * MiB


def open_xlsx(table: Table, src: _Source, sheet_name: str | None) -> None:
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
        _open_xlsx_stream(table, src, archive, sheet_name)
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

    def raw_rows() -> Generator[tuple[int, list[Cell]], None, None]:
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


def _open_xlsx_stream(
    table: Table, src: _Source, archive: zipfile.ZipFile, sheet_name: str | None
) -> None:
    sheet = xlsx_stream.stream_sheet(src.file, archive, sheet_name)
    if sheet is None:
        raise TableFileError("empty", _("The workbook has no visible worksheet."))
    table._closers.append(sheet.close)
    table.sheet = sheet.name
    table._merges = sheet.merges
    table._raw_rows = sheet.rows
