"""Per-object rules of the register: what a viewer may read of a person beyond the masks.

A mask protects only together with everything else the same role sees. The ID number's
mask hides the birth date and the sequence number; a role that may not reveal ID numbers
sees the birth *year* and the age, never the full birth date, so that nothing it reads
together narrows a masked number to a few candidates (docs/security.md, "Masks").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.masking import mask_name

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


def sees_birth_date(user: Viewer, path: str) -> bool:
    """May `user` read the full birth date of a person registered at `path`?"""
    return access.can(user, Perm.REGISTER_REVEAL, path)


def birth_shown(user: Viewer, person: Any) -> dt.date | int | None:
    """The birth date for those who may reveal, else only the birth year."""
    if person.birth_date is None:
        return None
    if sees_birth_date(user, person.area_path):
        return person.birth_date
    return person.birth_date.year


def name_shown(user: Viewer, person: Any) -> str:
    """A person's name where a list points them out among others (the member a search
    matched): in full for those who may reveal there, masked for the others."""
    if access.can(user, Perm.REGISTER_REVEAL, person.area_path):
        return str(person.name)
    return mask_name(str(person.name))
