"""Arithmetic on the area tree's materialised paths: no database, no users.

Which paths a user holds is decided in `accounts.access`; the filters built from paths live
in `core.scope_queries`, which only `accounts.access` may import (an import-linter contract):
apps scope a list with `Model.objects.restrict(user, perm)` and narrow it to a node with
`Model.objects.within(path)`.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def ancestors(path: str, *, inclusive: bool = False) -> list[str]:
    """The paths of the nodes above `path`, root first; with `inclusive`, `path` last."""
    end = len(path) + 1 if inclusive else len(path)
    return [path[:i] for i in range(STEP, end, STEP)]


def minimal(paths: Iterable[str]) -> list[str]:
    """Drop every path that lies under another one in the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def within(path: str, paths: Iterable[str]) -> bool:
    """Does `path` lie in the subtree of any of `paths` (itself included)?"""
    return any(path.startswith(p) for p in paths)


def overlaps(path: str, paths: Iterable[str]) -> bool:
    """Does `path` lie in the subtree of any of `paths`, or above one of them?"""
    return any(path.startswith(p) or p.startswith(path) for p in paths)
