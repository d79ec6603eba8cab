"""Writing tables for people to open in Excel: XLSX (openpyxl write-only, flat memory) and
CSV (UTF-8 with BOM, or GB18030). Every text cell goes through `safe_cell`, so a value such
as `=HYPERLINK(…)` is shown as text and never run as a formula."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (openpyxl refuses them): C0 controls except tab/LF/CR.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def csv_chunks(
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
            for chunk in csv_chunks(header, rows, encoding):
                handle.write(chunk)
    else:
        for chunk in csv_chunks(header, rows, encoding):
            target.write(chunk)
