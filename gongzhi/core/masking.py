"""Server-side masking of personal values: what every screen shows by default."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def mask_id_number(value: str) -> str:
    """`420102199001011234` -> `420102***********4`: region and check digit kept.

    The birth date *and* the sequence number are hidden. Hiding the birth date alone
    (`420102********1234`) is no mask wherever the birth date is shown beside it: the
    roles that see a birth date see it here, and the check digit then narrows the three
    hidden sequence digits to about 45 candidates, which only an audited, throttled exact
    search could confirm (docs/security.md, "Masks").
    """
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 7) + value[-1:]


def mask_phone(value: str) -> str:
    """`13812345678` -> `138****5678`; landlines keep their first 3 and last 4 too."""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1) if value else ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """`张三丰` -> `张*丰`, `张三` -> `张*`: for lists shown outside the register."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_all(value: str) -> str:
    return "*" * min(len(value), 8)


# --- values that look like an ID number or a mobile number, wherever they are ----------------
# For text whose column says nothing (户主身份证号, 紧急联系人电话, a remark): what a
# preview, a problem report or a stored sample shows of it. Deliberately broad: a 15-digit
# order number is masked too, a resident ID number never passes.

_WIDE = str.maketrans("０１２３４５６７８９＋Ｘｘ－\u3000", "0123456789+Xx- ")
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
# The same inside free text, where people type spaces or dashes between its parts
# (`420102 19900101 1234`, an audit purpose quoting the number).
_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[ -]?([0-9]{8})[ -]?([0-9]{3}[0-9Xx])(?![0-9])")
_PHONE = re.compile(r"(?<![0-9+])((?:\+|00)?86[ -]?)?(1[3-9][0-9](?:[ -]?[0-9]){8})(?![0-9])")
_DIGITS = re.compile(r"[０-９]")


def looks_like_id_number(value: str) -> bool:
    """18 characters (17 digits and a digit or X) or an old 15-digit number, alone."""
    return bool(_ID_NUMBER.fullmatch(value.translate(_WIDE).strip()))


def looks_like_phone(value: str) -> bool:
    """A mainland mobile number alone: 1[3-9] and 9 digits, maybe +86 and separators."""
    return bool(_PHONE.fullmatch(value.translate(_WIDE).strip()))


def _masked_phone(match: re.Match[str]) -> str:
    digits = match.group(2).replace(" ", "").replace("-", "")
    return (match.group(1) or "") + mask_phone(digits)


def mask_text(value: str) -> str:
    """Any text with each ID number and mobile number in it masked, the rest as it is."""
    if not value or not any(c.isdigit() for c in value):
        return value
    if _DIGITS.search(value):
        value = value.translate(_WIDE)
    value = _ID_IN_TEXT.sub(lambda m: mask_id_number("".join(m.groups())), value)
    value = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), value)
    return _PHONE.sub(_masked_phone, value)


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "all": mask_all,
    # Free text kept encrypted (a visit's notes): shown as written, each ID number and
    # mobile number in it masked.
    "text": mask_text,
}


def mask_value(value: Any) -> Any:
    """A spreadsheet cell with `mask_text` applied: text, or a number that holds an ID
    number or a phone (then returned as masked text); other values unchanged."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            return value
        value = int(value)
    text = str(value)
    masked = mask_text(text)
    return value if masked == text else masked
