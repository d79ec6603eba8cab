"""Codes of the area tree: GB/T 2260 divisions, 12-digit communities, grids below them.

province `420000` → city `421000` → district `421087` → street `421087001` (9 digits)
→ community `421087001001` (12: 6 division + 3 street + 3 committee) → grid level 1
`421087001001001` → level 2 `…001001` → level 3 (each level adds 3 digits).
Compounds are `<community>C<3 digits>`; buildings `<compound>B<2–3 digits>`.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import numdb

from gongzhi.registry.models import Area, AreaKind


def division_in_use(code: str) -> bool:
    """Is the 6-digit code a GB/T 2260 division that has not been abolished?"""
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    county = info.get("county")
    if not county:
        return False
    for entry in county.split(","):
        if not entry.startswith("["):
            return True
        span = entry[1:].split("]")[0]
        if span.endswith("-"):
            return True
    return False


def _fail(message: str) -> ValidationError:
    return ValidationError({"code": [message]})


def check_code(*, kind: str, code: str, parent: Area | None) -> None:
    """Raise a ValidationError on `code` unless it fits `kind` under `parent`."""
    parent_code = parent.code if parent else ""
    parent_kind = parent.kind if parent else None
    if kind == AreaKind.ROOT:
        if parent is not None:
            raise _fail(_("The platform root has no parent."))
        return
    if kind == AreaKind.PROVINCE:
        if not re.fullmatch(r"[1-8]\d0000", code) or not division_in_use(code):
            raise _fail(_("A province code is a GB/T 2260 code of 6 digits ending in 0000."))
        return
    if kind == AreaKind.CITY:
        ok = re.fullmatch(r"\d{4}00", code) and code[2:4] != "00" and code[:2] == parent_code[:2]
        if not ok or not division_in_use(code):
            raise _fail(
                _("A city code is a GB/T 2260 code of 6 digits ending in 00, in its province.")
            )
        return
    if kind == AreaKind.DISTRICT:
        same = (
            code[:4] == parent_code[:4]
            if parent_kind == AreaKind.CITY
            else code[:2] == parent_code[:2]
        )
        ok = re.fullmatch(r"\d{6}", code) and code[4:] != "00" and same
        if not ok or not division_in_use(code):
            raise _fail(_("A district code is a GB/T 2260 code of 6 digits, in its city."))
        return
    if kind == AreaKind.STREET:
        if not re.fullmatch(r"\d{9}", code) or code[:6] != parent_code:
            raise _fail(_("A street code is its district's 6 digits followed by 3 digits."))
        return
    if kind == AreaKind.COMMUNITY:
        if not re.fullmatch(r"\d{12}", code) or code[:9] != parent_code:
            raise _fail(
                _("A community code has 12 digits: its street's 9 digits followed by 3 digits.")
            )
        return
    if kind == AreaKind.GRID:
        if not re.fullmatch(r"\d{15,21}", code) or code[:-3] != parent_code:
            raise _fail(_("A grid code is the code of the node above it followed by 3 digits."))
        return
    if kind == AreaKind.COMPOUND:
        if not re.fullmatch(r"\d{12}C\d{3}", code) or code[:12] != parent_code:
            raise _fail(_("A compound code is its community's code, C and 3 digits."))
        return
    if kind == AreaKind.BUILDING:
        if not re.fullmatch(r"\d{12}C\d{3}B\d{2,3}", code):
            raise _fail(_("A building code is its compound's code, B and 2–3 digits."))
        return
    raise ValidationError({"kind": [_("Unknown kind of area.")]})


# Which kind of node may sit under which.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    AreaKind.ROOT: {None},
    AreaKind.PROVINCE: {AreaKind.ROOT},
    AreaKind.CITY: {AreaKind.PROVINCE},
    AreaKind.DISTRICT: {AreaKind.CITY, AreaKind.PROVINCE},
    AreaKind.STREET: {AreaKind.DISTRICT},
    AreaKind.COMMUNITY: {AreaKind.STREET},
    AreaKind.GRID: {AreaKind.COMMUNITY, AreaKind.GRID},
    AreaKind.COMPOUND: {AreaKind.COMMUNITY},
    AreaKind.BUILDING: {AreaKind.GRID, AreaKind.COMMUNITY},
}
