"""Reading a department's XLSX template and filling it, keeping its look.

`analyse` finds the sheet, the header row (the lowest row of a two-row header) and the
name of every column (a column under a vertical merge takes the merge's text; one under
a horizontal merge gets "group/name"). `fill` writes rows from the row under the header
down, each cell with the style of the template's first data row, moves whatever is below
(a footer: 填表人, 审核人…) under the data with its merged cells, replaces the
placeholders {区域} {日期} {模板} in the other cells, and neutralises text that Excel would
run as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gongzhi.core.tabular import safe_cell

HEADER_SCAN_ROWS = 30
# Characters XML 1.0 cannot hold (openpyxl refuses them): C0 controls but tab, LF, CR.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_COLUMNS = 80


class TemplateError(Exception):
    """The workbook cannot serve as a template; `code` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Layout:
    sheet: str
    header_row: int
    headers: list[dict[str, Any]]  # {"column": 1, "letter": "A", "header": "姓名"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _merged_value(ws: Worksheet, row: int, column: int) -> tuple[str, tuple[int, int, int, int]]:
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            top = ws.cell(merged.min_row, merged.min_col).value
            return _text(top), (merged.min_row, merged.min_col, merged.max_row, merged.max_col)
    return _text(ws.cell(row, column).value), (row, column, row, column)


def analyse(data: bytes) -> Layout:
    """The layout of a template workbook: its first visible sheet's header and columns."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TemplateError("malformed") from exc
    sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if not sheets:
        raise TemplateError("no_sheet")
    ws = sheets[0]
    last_column = min(ws.max_column, MAX_COLUMNS)
    best_row, best_count = 0, 0
    for row in range(1, min(ws.max_row, HEADER_SCAN_ROWS) + 1):
        count = 0
        for column in range(1, last_column + 1):
            text, (r1, c1, r2, c2) = _merged_value(ws, row, column)
            # A title merged across the sheet counts once, not once per column.
            if text and not any(ch.isdigit() for ch in text[:1]) and (c1 == c2 or r2 > r1):
                count += 1
        if count >= 2 and count >= best_count:
            best_row, best_count = row, count
    if not best_row:
        raise TemplateError("no_header")
    # A two-row header has cells merged down from the row above into the header row;
    # only then does a merge spanning columns above name a group ("联系方式/本人电话").
    two_rows = best_row > 1 and any(
        m.min_row == best_row - 1 and m.max_row == best_row for m in ws.merged_cells.ranges
    )
    headers = []
    for column in range(1, last_column + 1):
        text, (r1, c1, r2, c2) = _merged_value(ws, best_row, column)
        if r1 == r2 and c2 > c1:
            text = ""  # a merged cell spanning columns in the header row is a group
        if not text:
            continue
        if two_rows:
            above, (_r1, ac1, a2, ac2) = _merged_value(ws, best_row - 1, column)
            if above and ac2 > ac1 and a2 == best_row - 1 and above != text:
                text = f"{above}/{text}"
        headers.append({"column": column, "letter": get_column_letter(column), "header": text})
    if len(headers) < 2:
        raise TemplateError("no_header")
    return Layout(sheet=ws.title, header_row=best_row, headers=headers)


@dataclass(frozen=True)
class Cell:
    """A value to write; `number_format` for dates and numbers written as such."""

    value: Any
    number_format: str = ""


def _cell_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


def fill(
    data: bytes,
    *,
    sheet: str,
    header_row: int,
    columns: Sequence[int],
    rows: Iterable[Sequence[Cell]],
    placeholders: dict[str, str],
) -> tuple[bytes, int]:
    """The template filled with `rows` (one Cell per entry of `columns`): bytes, row count."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet]
    first = header_row + 1
    styles = {c: copy(ws.cell(first, c)._style) for c in columns}
    height = ws.row_dimensions[first].height
    rows = list(rows)
    count = len(rows)
    _move_footer(ws, first, count)
    for offset, values in enumerate(rows):
        r = first + offset
        for column, cell in zip(columns, values, strict=True):
            target = ws.cell(r, column)
            target._style = copy(styles[column])
            target.value = _cell_value(cell.value)
            if cell.number_format:
                target.number_format = cell.number_format
            elif isinstance(cell.value, dt.date) and not target.is_date:
                target.number_format = "yyyy-mm-dd"
        if height is not None:
            ws.row_dimensions[r].height = height
    _replace_placeholders(ws, placeholders, skip=(first, first + count - 1))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


def _move_footer(ws: Worksheet, first: int, count: int) -> None:
    """Move everything from the first non-empty row at or below `first` to below the data,
    keeping the empty rows the template had between its (one-row) data area and footer."""
    last = ws.max_row
    footer = next(
        (r for r in range(first, last + 1) if any(c.value not in (None, "") for c in ws[r])),
        None,
    )
    if footer is None:
        return
    blank = max(footer - first - 1, 0)  # empty rows the template left above its footer
    shift = first + count + blank - footer
    if shift <= 0:
        return
    merged = [m for m in list(ws.merged_cells.ranges) if m.min_row >= footer]
    for m in merged:
        ws.unmerge_cells(str(m))
    heights = {r: ws.row_dimensions[r].height for r in range(footer, last + 1)}
    width = get_column_letter(max(ws.max_column, 1))
    ws.move_range(f"A{footer}:{width}{last}", rows=shift)
    for r, h in heights.items():
        ws.row_dimensions[r + shift].height = h
    for r in range(footer, min(footer + shift, last + 1)):
        ws.row_dimensions[r].height = None
    for m in merged:
        m.shift(row_shift=shift)
        ws.merge_cells(str(m))


def _replace_placeholders(
    ws: Worksheet, placeholders: dict[str, str], skip: tuple[int, int]
) -> None:
    if not placeholders:
        return
    for row in ws.iter_rows():
        for cell in row:
            if skip[0] <= cell.row <= skip[1] or not isinstance(cell.value, str):
                continue
            text = cell.value
            if "{" not in text:
                continue
            for token, value in placeholders.items():
                text = text.replace("{" + token + "}", value)
            cell.value = _cell_value(text) if text != cell.value else cell.value
