"""Opening an upload: XLSX or CSV told apart by content, the size checked, the header
found (merged and two-row headers included), then the data rows streamed."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tabular.common import (
    CHUNK,
    HEADER_SCAN_ROWS,
    Cell,
    MiB,
    TableFileError,
    _malformed,
    _not_spreadsheet,
    column_letter,
)
from gongzhi.core.tabular.csv_reader import open_csv
from gongzhi.core.tabular.xlsx_reader import open_xlsx

DEFAULT_MAX_BYTES = 100 * MiB
_WHITESPACE = re.compile(r"\s+")

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


class Table:
    """An opened spreadsheet: its format, encoding, sheet, header and a row iterator."""

    format: str
    encoding: str | None
    sheet: str | None
    header: list[str]

    def __init__(self, source: _Source):
        self._source = source
        self._closers: list[Callable[[], None]] = []
        # A generator, so that a scan that stops early can close it (and the file's reader).
        self._raw_rows: Callable[[], Generator[tuple[int, list[Cell]], None, None]]
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
            open_xlsx(table, src, sheet)
        elif head.startswith(_OLE2):
            raise _ole2_error(src)
        elif head.startswith(_MAGIC_NOT_TABLE) or head.startswith(b"PK"):
            raise _not_spreadsheet()
        else:
            open_csv(table, src, head)
        table._find_header()
        yield table
    finally:
        table.close()


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
