"""Materialised paths turned into query filters: the query half of `core.scope`.

Only `accounts.access` imports this module (the "Scope queries" contract in pyproject.toml):
apps scope rows with `Model.objects.restrict(user, perm)` and narrow them to a node with
`Model.objects.within(path)`, both from `access.RestrictedQuerySet`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from gongzhi.core import scope


def q_within(field: str, paths: Iterable[str]) -> Q:
    """Rows whose `field` (a materialised path) lies in any of `paths`' subtrees."""
    query = Q(pk__in=[])
    for path in scope.minimal(paths):
        query |= Q(**{f"{field}__gte": path, f"{field}__lt": scope.successor(path)})
    return query


def q_overlapping(field: str, paths: Iterable[str]) -> Q:
    """Rows in any of `paths`' subtrees or on a node above one of them."""
    paths = scope.minimal(paths)
    above = sorted({a for path in paths for a in scope.ancestors(path)})
    return q_within(field, paths) | Q(**{f"{field}__in": above})
