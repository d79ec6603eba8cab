"""What the readers and writers share: the cell type, the error naming the rule, limits,
and turning a cell into the value the importer gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

Cell = str | int | float | dt.date | dt.datetime | None

MiB = 1024 * 1024
CHUNK = MiB
HEADER_SCAN_ROWS = 30  # the header must be among the first rows that are not blank


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


def _malformed(exc: BaseException | None = None) -> TableFileError:
    return TableFileError(
        "malformed",
        _("The file is damaged or not a valid spreadsheet; open it in Excel and save it again."),
    )


def _not_spreadsheet() -> TableFileError:
    return TableFileError(
        "not_spreadsheet",
        _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."),
    )
