"""The one place that decides what a user may see and do, and who may act where.

A user holds roles on nodes of the area tree (memberships); a role's permissions
(`policy.ROLE_PERMS`) reach the node's whole subtree. A scoped model names its path field
once (`scope_field = "area_path"`) and takes `objects = RestrictedManager()`; then a list is
`Model.objects.restrict(user, perm)`, a chosen node's rows `Model.objects.within(path)`, and
one object is checked with `can`. "Who may act here" is `holders`. Only this module builds
scope filters (`core.scope_queries`; the import-linter contract "Scope queries" keeps it so).
A request made with an API key carries only the key's one membership.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import QuerySet

from gongzhi.accounts.models import Membership
from gongzhi.accounts.policy import ROLE_PERMS, Perm, roles_with
from gongzhi.core import scope, scope_queries
from gongzhi.core.errors import Forbidden

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor, Viewer

_CACHE_ATTR = "_gongzhi_grants"
_API_ATTR = "_gongzhi_api_membership"


@dataclass(frozen=True)
class Grant:
    role: str
    path: str
    area_id: int
    membership_id: int


def _grant(membership: Membership) -> Grant:
    return Grant(membership.role, membership.area.path, membership.area_id, membership.pk)


def grants(user: Viewer | None) -> tuple[Grant, ...]:
    """The user's active memberships, loaded once per request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    api_membership = getattr(user, _API_ATTR, None)
    found: tuple[Grant, ...]
    if api_membership is not None:
        found = (_grant(api_membership),) if api_membership.is_active else ()
    else:
        memberships = Membership.objects.filter(user=user, is_active=True).select_related("area")
        found = tuple(_grant(m) for m in memberships)
    setattr(user, _CACHE_ATTR, found)
    return found


def bind_api_membership(user: User, membership: Membership) -> None:
    """Limit this request's user to the API key's membership."""
    setattr(user, _API_ATTR, membership)
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def api_membership(user: Viewer | None) -> Membership | None:
    """The API key's membership this request is limited to, or None (a session)."""
    return getattr(user, _API_ATTR, None)


def forget(user: Viewer | None) -> None:
    """Drop the cached grants (after memberships change within a request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles(user: Viewer | None) -> set[str]:
    return {g.role for g in grants(user)}


# --- where a user may act ----------------------------------------------------------------------


def paths(user: Viewer | None, *perms: Perm) -> list[str]:
    """The roots of the subtrees where the user holds any of `perms`."""
    wanted = set(perms)
    return scope.minimal(
        g.path for g in grants(user) if not wanted.isdisjoint(ROLE_PERMS.get(g.role, ()))
    )


def can(user: Viewer | None, perm: Perm, path: str | None = None) -> bool:
    """May the user do `perm` at all (path None), or on the node at `path`?"""
    held = paths(user, perm)
    if path is None:
        return bool(held)
    return scope.within(path, held)


def require(actor: Actor, perm: Perm, path: str) -> None:
    """Services' check before a write: Forbidden unless the actor may `perm` on `path`.
    An actor of None is the system itself (the worker, the demo loader)."""
    if actor is not None and not can(actor, perm, path):
        raise Forbidden()


def perms_at(user: Viewer | None, path: str) -> frozenset[Perm]:
    """Every permission the user holds on the node at `path` (from roles on it or above)."""
    held: set[Perm] = set()
    for g in grants(user):
        if scope.within(path, [g.path]):
            held |= ROLE_PERMS.get(g.role, frozenset())
    return frozenset(held)


def paths_within(user: Viewer | None, perm: Perm, node: str) -> list[str]:
    """Where the user may `perm` inside the node at `node`: the node itself when they hold
    `perm` there or above, else their own nodes inside it (a grid worker in a community)."""
    held = paths(user, perm)
    if scope.within(node, held):
        return [node]
    return [p for p in held if scope.within(p, [node])]


def overlaps(user: Viewer | None, perm: Perm, path: str) -> bool:
    """Does the user hold `perm` on the node at `path`, above it or somewhere inside it?"""
    return scope.overlaps(path, paths(user, perm))


# --- scoped lists --------------------------------------------------------------------------------


_M = TypeVar("_M", bound=models.Model)
_Q = TypeVar("_Q", bound=QuerySet[Any])


def _scope_field(qs: QuerySet[Any]) -> str:
    """The path field a scoped model names once (`scope_field = "area_path"`)."""
    return qs.model.scope_field


def _in_paths(qs: _Q, field: str, held: Iterable[str], overlapping: bool) -> _Q:
    if overlapping:
        return qs.filter(scope_queries.q_overlapping(field, held))
    return qs.filter(scope_queries.q_within(field, held))


def restrict(
    qs: QuerySet[_M], user: Viewer | None, perm: Perm, field: str | None = None
) -> QuerySet[_M]:
    """Only the rows whose path (`field`, by default the model's `scope_field`) lies where the
    user holds `perm`; for a model without `RestrictedManager` (the audit log)."""
    return _in_paths(qs, field or _scope_field(qs), paths(user, perm), overlapping=False)


def within_column(qs: _Q, field: str, *nodes: str) -> _Q:
    """The rows whose path column `field` lies in the subtrees of `nodes`: for a copy of a
    path that is not the model's `scope_field` (a work order's level), or a model without
    `RestrictedManager`. It narrows; it never stands in for `restrict`."""
    return _in_paths(qs, field, nodes, overlapping=False)


class RestrictedQuerySet(QuerySet[_M]):
    """Rows of a model placed on the area tree; the model names its path field `scope_field`."""

    def restrict(self, user: Viewer | None, *perms: Perm, overlapping: bool = False) -> Self:
        """The rows where the user holds any of `perms`. With `overlapping`, also the rows on
        the nodes above those (a community's report template for its grid worker)."""
        return _in_paths(self, _scope_field(self), paths(user, *perms), overlapping)

    def within(self, *nodes: str) -> Self:
        """The rows in the subtrees of the nodes at `nodes`: a filter the viewer chose, or
        the worker's own area. It narrows; it never stands in for `restrict`."""
        return _in_paths(self, _scope_field(self), nodes, overlapping=False)

    def overlapping(self, *nodes: str) -> Self:
        """The rows in the subtrees of `nodes` or on the nodes above them."""
        return _in_paths(self, _scope_field(self), nodes, overlapping=True)


# An assignment, not a subclass, so that the type checker's Django plugin sees the manager's
# queryset methods (`Model.objects.restrict(...)`).
RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet, "RestrictedManager")


# --- who may act where -------------------------------------------------------------------------


def holders_at(
    perm: Perm, nodes: Iterable[str], *, nearest: bool = True, roles: Iterable[str] | None = None
) -> dict[str, list[Membership]]:
    """For each node's path: the active memberships (of active users) whose role grants `perm` there,
    that is on the node or above it; nearest node first, then the oldest membership. With
    `nearest`, only those on the nearest node that has any. `roles` narrows to some of the
    roles that grant `perm` (the grid worker among the watch list's followers). One query."""
    granting = roles_with(perm)
    if roles is not None:
        narrowed = list(roles)
        if not set(narrowed) <= set(granting):
            others = ", ".join(sorted(str(r) for r in set(narrowed) - set(granting)))
            raise ValueError(f"{perm} is not granted by: {others}")
        granting = [r for r in granting if r in narrowed]
    chains = {path: scope.ancestors(path, inclusive=True) for path in set(nodes)}
    memberships = (
        Membership.objects.filter(
            is_active=True,
            user__is_active=True,
            role__in=granting,
            area__path__in=sorted({node for chain in chains.values() for node in chain}),
        )
        .select_related("user", "area")
        .order_by("pk")
    )
    on_node: dict[str, list[Membership]] = {}
    for membership in memberships:
        on_node.setdefault(membership.area.path, []).append(membership)
    out: dict[str, list[Membership]] = {}
    for path, chain in chains.items():
        found: list[Membership] = []
        for node in reversed(chain):
            found += on_node.get(node, [])
            if nearest and found:
                break
        out[path] = found
    return out


def holders(
    perm: Perm, path: str, *, nearest: bool = True, roles: Iterable[str] | None = None
) -> list[Membership]:
    """Who may act at `path`: see `holders_at`."""
    return holders_at(perm, [path], nearest=nearest, roles=roles)[path]
