"""Path arithmetic for the area tree. Which paths a user holds is decided in
`accounts.access`; this module only turns a set of paths into a filter."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

STEP = 4  # decimal digits of the materialised path per tree level: 9,999 children a node
ROOT_PATH = "0001"


def child_path(parent_path: str, number: int) -> str:
    if not 1 <= number <= 9999:
        raise ValueError("a node has at most 9,999 children")
    return f"{parent_path}{number:0{STEP}d}"


def successor(path: str) -> str:
    """The first path after the whole subtree of `path` (same width, plus one).

    Paths are digits only, so `path <= p < successor(path)` selects the subtree under
    every collation PostgreSQL or SQLite may use, through a plain B-tree index.
    """
    return str(int(path) + 1).zfill(len(path))


def minimal(paths: Iterable[str]) -> list[str]:
    """Drop every path that lies under another one in the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def within(path: str, paths: Iterable[str]) -> bool:
    return any(path.startswith(p) for p in paths)


def q_within(field: str, paths: Iterable[str]) -> Q:
    """Rows whose `field` (a materialised path) lies in any of `paths`' subtrees."""
    query = Q(pk__in=[])
    for path in minimal(paths):
        query |= Q(**{f"{field}__gte": path, f"{field}__lt": successor(path)})
    return query


def restrict(qs: QuerySet, field: str, paths: Iterable[str]) -> QuerySet:
    return qs.filter(q_within(field, paths))
