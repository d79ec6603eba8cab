"""The one place that decides what a user may see and do.

A user holds roles on nodes of the area tree (memberships); a role's permissions
(`policy.ROLE_PERMS`) reach the node's whole subtree. Every selector that lists or fetches
scoped rows filters with `restrict` or checks with `can`; nothing else re-implements this.
A request made with an API key carries only the key's one membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gongzhi.accounts.models import Membership
from gongzhi.accounts.policy import ROLE_PERMS, Perm
from gongzhi.core import scope
from gongzhi.core.errors import Forbidden

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


def grants(user: Any) -> tuple[Grant, ...]:
    """The user's active memberships, loaded once per request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    api_membership = getattr(user, _API_ATTR, None)
    if api_membership is not None:
        found = (_grant(api_membership),) if api_membership.is_active else ()
    else:
        memberships = Membership.objects.filter(user=user, is_active=True).select_related("area")
        found = tuple(_grant(m) for m in memberships)
    setattr(user, _CACHE_ATTR, found)
    return found


def bind_api_membership(user: Any, membership: Membership) -> None:
    """Limit this request's user to the API key's membership."""
    setattr(user, _API_ATTR, membership)
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def api_membership(user: Any) -> Membership | None:
    """The API key's membership this request is limited to, or None (a session)."""
    return getattr(user, _API_ATTR, None)


def forget(user: Any) -> None:
    """Drop the cached grants (after memberships change within a request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles(user: Any) -> set[str]:
    return {g.role for g in grants(user)}


def paths(user: Any, perm: Perm) -> list[str]:
    """The roots of the subtrees where the user has `perm`."""
    return scope.minimal(g.path for g in grants(user) if perm in ROLE_PERMS.get(g.role, ()))


def can(user: Any, perm: Perm, path: str | None = None) -> bool:
    """May the user do `perm` at all (path None), or on the node at `path`?"""
    held = paths(user, perm)
    if path is None:
        return bool(held)
    return scope.within(path, held)


def require(actor: Any, perm: Perm, path: str) -> None:
    """Services' check before a write: Forbidden unless the actor may `perm` on `path`.
    An actor of None is the system itself (the worker, the demo loader)."""
    if actor is not None and not can(actor, perm, path):
        raise Forbidden()


def restrict(qs: QuerySet, user: Any, perm: Perm, field: str) -> QuerySet:
    """Only the rows whose materialised path `field` lies where the user has `perm`."""
    return scope.restrict(qs, field, paths(user, perm))
