"""Who may manage whose account, on top of `access`: the rules every write path of staff
administration applies (pages, API, `gongzhi users`), read by `services` and `staff`.

- A role is granted (or revoked) on a node only by someone who manages accounts there
  and already holds every permission of that role there: no one hands out more than they
  have, nor above their own node.
- An account is administered (deactivated, reactivated, sent a password link, its second
  factor reset) only by someone who manages accounts on every node where it holds a role
  — a role elsewhere puts it in the hands of whoever manages both. An account without
  roles belongs to the root. No one administers their own account here (self-service has
  its own pages).
- Its mobile number — where its password links go — is changed only by someone who could
  also grant each of its roles: otherwise a manager could send themselves the reset link
  of an account stronger than their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership
from gongzhi.accounts.policy import ROLE_PERMS, Perm
from gongzhi.core import scope

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor


def role_grantable(actor: Actor, role: str, path: str) -> bool:
    """May `actor` grant (or revoke) `role` on the node at `path`? None is the system."""
    if actor is None:
        return True
    if not access.can(actor, Perm.ACCOUNTS_MANAGE, path):
        return False
    return ROLE_PERMS.get(role, frozenset()) <= access.perms_at(actor, path)


def account_nodes(user: User) -> list[tuple[str, str]]:
    """(role, node path) of the account's active roles; its past roles when it has none
    active; the root when it never had any."""
    held = list(Membership.objects.filter(user=user).values_list("role", "area__path", "is_active"))
    active = [(role, path) for role, path, on in held if on]
    if active:
        return active
    return [(role, path) for role, path, _on in held] or [("", scope.ROOT_PATH)]


def account_in_reach(actor: Actor, user: User) -> bool:
    """May `actor` administer the account (deactivate, send a link, reset its device)?"""
    if actor is None:
        return True
    if actor.pk == user.pk:
        return False
    return all(access.can(actor, Perm.ACCOUNTS_MANAGE, path) for _r, path in account_nodes(user))


def account_dominated(actor: Actor, user: User) -> bool:
    """Administers the account and could grant every role it holds (to change its phone)."""
    if not account_in_reach(actor, user):
        return False
    if actor is None:
        return True
    active = Membership.objects.filter(user=user, is_active=True).values_list("role", "area__path")
    return all(role_grantable(actor, role, path) for role, path in active)
