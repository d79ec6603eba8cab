"""One object by the id a request carried: the `*_get_for` selectors' first step.

An id arrives as text (a URL, a form, a query string) or as an int the API parsed; either
way only 1 … 2**63-1 can name a row. Anything else — not a number, zero, negative, past a
64-bit key (SQLite raises OverflowError and PostgreSQL DataError for those) — and a
missing row are all `NotFound`, the same answer as an object the user may not see.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

from gongzhi.core.errors import NotFound

MAX_ID = 2**63 - 1  # the largest bigint primary key, on SQLite and PostgreSQL alike

M = TypeVar("M", bound=Model)


def parse_id(raw_id: Any) -> int:
    """The id as a positive 64-bit int; NotFound for anything that cannot be one."""
    if isinstance(raw_id, bool):
        raise NotFound()
    if isinstance(raw_id, str):
        raw_id = raw_id.strip()
        if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > len(str(MAX_ID)):
            raise NotFound()
    try:
        number = int(raw_id)
    except (TypeError, ValueError, OverflowError):
        raise NotFound() from None
    if number != raw_id and not isinstance(raw_id, str):  # 1.5 is no id
        raise NotFound()
    if not 1 <= number <= MAX_ID:
        raise NotFound()
    return number


def get_by_id(queryset: QuerySet[M], raw_id: Any, **filters: Any) -> M:
    """The row of `queryset` with primary key `raw_id` (and `filters`); NotFound otherwise."""
    try:
        return queryset.get(pk=parse_id(raw_id), **filters)
    except ObjectDoesNotExist:  # every model's DoesNotExist is one of these
        raise NotFound() from None
