"""The rows of a large worksheet, streamed in flat memory: `stream_sheet`, the one entry.

Why this exists beside the maintained readers: python-calamine holds the whole sheet in
memory (about 17 times the file), and openpyxl's read-only reader, which streams, reads
about a third as many rows a second as this scanner (measured side by side in one run on a
100,000-row file: docs/benchmarks.md, section 3, "Streaming a large XLSX"). An XLSX over
`xlsx_reader.CALAMINE_MAX_BYTES` comes here.

What it relies on, all behind `stream_sheet`: openpyxl's reading of the workbook's parts
(sheets, shared strings, styles, epoch) through `ExcelReader` and two private attributes
(`_date_formats`, `_timedelta_formats`) — which is why `pyproject.toml` pins openpyxl to
one minor version — and regular expressions over the sheet's XML. A test reads the same
files with this and with openpyxl's public read-only reader and compares every cell
(`core/tests/test_tabular.py`), so an upgrade that changes either shows up there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl.utils.datetime import from_excel

from gongzhi.core.tabular.common import (
    CHUNK,
    HEADER_SCAN_ROWS,
    Cell,
    MiB,
    _clean_value,
    _column_index,
    _malformed,
)


@dataclass
class StreamedSheet:
    """A worksheet opened for streaming: its name, merged ranges near the top, its rows."""

    name: str
    merges: list[tuple[int, int, int, int]]
    rows: Callable[[], Generator[tuple[int, list[Cell]], None, None]]
    close: Callable[[], None] = field(default=lambda: None)


def stream_sheet(
    file: IO[bytes], archive: zipfile.ZipFile, sheet_name: str | None
) -> StreamedSheet | None:
    """The sheet named `sheet_name` (default: the first visible one), or None if there is
    none. Rows come as `(Excel row number, values)`, values cleaned like calamine's."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    # openpyxl reads the workbook's parts (sheets, shared strings, styles, epoch) but not
    # the sheet: `load_workbook` would parse each whole sheet once just for its size.
    try:
        file.seek(0)
        reader = ExcelReader(file, read_only=True, data_only=True)
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
    book: Any = reader.wb
    if sheet_name is not None:
        found = [f for f in found if f[0] == sheet_name]
    else:
        found = [f for f in found if f[1] == "visible"]
    if not found:
        reader.archive.close()
        return None
    name, _state, path = found[0]
    # The strings read from the file are the reader's (the workbook's own
    # `shared_strings` is the list openpyxl writes).
    scanner = _SheetScanner(
        reader.shared_strings, book._date_formats, book._timedelta_formats, book.epoch
    )

    def rows() -> Generator[tuple[int, list[Cell]], None, None]:
        with archive.open(path) as part:
            yield from scanner.rows(part)

    return StreamedSheet(
        name=name, merges=_scan_merges(archive, path), rows=rows, close=reader.archive.close
    )


_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
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

    def rows(self, part: IO[bytes]) -> Generator[tuple[int, list[Cell]], None, None]:
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
