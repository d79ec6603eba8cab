"""CSV uploads: UTF-8 (with or without BOM) or GBK/GB18030, decided by decoding the whole
file strictly; the delimiter sniffed from the first lines."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Generator
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from gongzhi.core.tabular.common import Cell, TableFileError, _clean_value, _not_spreadsheet

if TYPE_CHECKING:
    from gongzhi.core.tabular.reading import Table, _Source

_DELIMITERS = (",", "\t", ";")


def open_csv(table: Table, src: _Source, head: bytes) -> None:
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

    def raw_rows() -> Generator[tuple[int, list[Cell]], None, None]:
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
