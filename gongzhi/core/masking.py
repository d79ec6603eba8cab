"""Server-side masking of personal values: what every screen shows by default."""

from __future__ import annotations

import re
from collections.abc import Callable


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


# What a resident ID number or a mainland mobile number looks like inside free text
# (an audit purpose, a note, a spreadsheet cell of any column): digits not part of a
# longer run, with the separators people type.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})[ -]?(\d{8})[ -]?(\d{3}[\dXx])(?![0-9A-Za-z])")
_OLD_ID_IN_TEXT = re.compile(r"(?<!\d)\d{15}(?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def mask_in_text(text: str) -> str:
    """`text` with every ID number and mobile number in it masked, whatever surrounds it."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number("".join(m.groups()).upper()), text)
    text = _OLD_ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "all": mask_all,
}
