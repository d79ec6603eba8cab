"""Who may do what to one work order: the per-object rules, on top of `accounts.access`.

`accounts.access` says where a user holds a permission (a subtree of the area tree); the
rules here add what one order knows: who asked, for whom, who it was offered to, who did
the work. Selectors read with them (`visible`, `can_see`), the transition service asks
`part` which part the actor plays in a move, and the pages ask `rights` which forms to
show; none of them decides on its own.

Who sees an order:
- staff with `workorder.view` on the place's path (`area_path`): their area's orders;
- the resident who asked, and whoever may act for the person it is for (their own
  record, or a confirmed proxy link) — not by area: a resident sees their own orders
  wherever they are, and nobody else's;
- the handlers: whoever it was offered to or who accepted it.

Who moves it (`states.Who`):
- dispatcher: `workorder.dispatch` at the level that handles it now (`level_path`);
- assignee: a handler it was offered to or who accepted it;
- requester: who asked (staff and building heads who filed it too), or a proxy: cancels;
- served: the person it is for, or their proxy (never staff who filed it): rates, reopens;
- caller: `workorder.dispatch` at its place, for the callback (回访) of an order filed on
  a resident's behalf, by someone who did not do or resolve its work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import persons_user_may_act_for
from gongzhi.workorders.models import Channel, Offer, WorkOrder
from gongzhi.workorders.states import ACTIONS, Action, Status, Who

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor, Viewer
    from gongzhi.registry.models import Person

_ACTING_ATTR = "_gongzhi_acting_person_ids"


def acting_person_ids(user: Viewer | None) -> frozenset[int]:
    """The register persons the user may act for: their own record and confirmed proxies."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, _ACTING_ATTR, None)
    if cached is not None:
        return cached
    found = frozenset(persons_user_may_act_for(user))
    setattr(user, _ACTING_ATTR, found)
    return found


def is_staff_for(user: Viewer | None, order: WorkOrder) -> bool:
    return access.can(user, Perm.WORKORDER_VIEW, order.area_path)


def is_requester(user: Viewer | None, order: WorkOrder) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if order.requester_id == user.pk:
        return True
    return order.person_id is not None and order.person_id in acting_person_ids(user)


def acts_as_proxy(user: Viewer | None, order: WorkOrder) -> bool:
    """The order is for someone the user acts for through a proxy link (not themselves)."""
    return (
        order.person_id is not None
        and order.person_id != getattr(user, "person_id", None)
        and order.person_id in acting_person_ids(user)
    )


def is_served(user: Viewer | None, order: WorkOrder) -> bool:
    """The resident the order is for, or someone who may act for them (a confirmed proxy):
    who rates and reopens it. Staff who filed it on the resident's behalf are not."""
    if user is None or not user.is_authenticated:
        return False
    if order.person_id is not None:
        return order.person_id in acting_person_ids(user)
    return order.requester_id == user.pk and order.channel in (Channel.SELF, Channel.PROXY)


def may_call_back(user: Viewer | None, order: WorkOrder) -> bool:
    """Staff who decide in the order's area (workorder.dispatch at its place): they may
    record the rating a resident gave on the phone (the step checks they did not handle it)."""
    return access.can(user, Perm.WORKORDER_DISPATCH, order.area_path)


def may_reveal_phone(user: Viewer | None, order: WorkOrder) -> bool:
    """Staff who decide in the order's area and may reveal the register's phones there:
    they see the resident's full phone to call them (audited, purpose "callback")."""
    return may_call_back(user, order) and access.can(user, Perm.REGISTER_REVEAL, order.area_path)


def handled(user: Viewer | None, order: WorkOrder) -> bool:
    """Did the user do the order's work or resolve it (so may not rate it on a callback)?"""
    user_id = getattr(user, "pk", None)
    return user_id is not None and user_id in (order.assignee_id, order.resolved_by_id)


def is_handler(user: Viewer | None, order: WorkOrder) -> bool:
    """Offered the order (now or before) or accepted it, and still holding the role there."""
    if user is None or not user.is_authenticated:
        return False
    if not access.can(user, Perm.WORKORDER_HANDLE, order.area_path):
        return False
    if order.assignee_id == user.pk:
        return True
    return Offer.objects.filter(order=order, handler=user).exists()


def can_see(user: Viewer | None, order: WorkOrder) -> bool:
    return is_staff_for(user, order) or is_requester(user, order) or is_handler(user, order)


def sees_requester(user: Viewer | None, order: WorkOrder) -> bool:
    """An anonymous complaint hides who made it from the handler, never from staff."""
    return not order.anonymous or is_staff_for(user, order) or is_requester(user, order)


def visible(user: Viewer | None) -> access.RestrictedQuerySet[WorkOrder]:
    """Orders the user may see: in the area where they view orders, asked by them or for
    someone they act for, or offered to or taken by them where they handle orders."""
    if user is None or not user.is_authenticated:
        return WorkOrder.objects.none()
    orders = WorkOrder.objects.restrict(user, Perm.WORKORDER_VIEW)
    orders |= WorkOrder.objects.filter(requested_q(user))
    if access.paths(user, Perm.WORKORDER_HANDLE):
        mine = Q(assignee=user) | Q(pk__in=Offer.objects.filter(handler=user).values("order_id"))
        orders |= WorkOrder.objects.restrict(user, Perm.WORKORDER_HANDLE).filter(mine)
    return orders


def requested_q(user: Viewer | None) -> Q:
    """Orders the user asked for, or that are for someone they may act for."""
    query = Q(requester=user)
    persons = acting_person_ids(user)
    if persons:
        query |= Q(person_id__in=sorted(persons))
    return query


def may_dispatch(user: Viewer | None, order: WorkOrder) -> bool:
    """Decides at the level that handles the order now (dispatch, solve, escalate …)."""
    return access.can(user, Perm.WORKORDER_DISPATCH, order.level_path)


def may_handle(user: User, order: WorkOrder) -> bool:
    """Could this user be dispatched the order (holds workorder.handle at its place)?"""
    return bool(user.is_active) and access.can(user, Perm.WORKORDER_HANDLE, order.area_path)


def part(actor: Actor, order: WorkOrder, allowed: frozenset[str]) -> str | None:
    """Which of the allowed parts (`states.Who`) the actor plays for this order, or None."""
    if actor is None:
        return Who.SYSTEM if Who.SYSTEM in allowed else None
    checks = (
        (Who.DISPATCHER, may_dispatch),
        (Who.ASSIGNEE, is_handler),
        (Who.REQUESTER, is_requester),
        (Who.SERVED, is_served),
        (Who.CALLER, may_call_back),
    )
    for who, check in checks:
        if who in allowed and check(actor, order):
            return who
    return None


def acting_for(actor: Actor, order: WorkOrder, who: str | None) -> Person | None:
    """The person the actor acts for in a step of this part (recorded on the timeline):
    the order's person for a proxy's step or a callback; None otherwise."""
    if order.person_id is None:
        return None
    if who == Who.CALLER:
        return order.person
    if who in (Who.REQUESTER, Who.SERVED) and acts_as_proxy(actor, order):
        return order.person
    return None


def rights(
    user: Viewer,
    order: WorkOrder,
    *,
    open_offers: Iterable[Offer] | None = None,
    can_escalate: bool = True,
) -> dict[str, bool]:
    """Which steps the workbench shows the user for the order (the transition checks again
    on submit). `open_offers`: the order's open offers when the page has them already;
    `can_escalate`: there is a level above (the caller knows the tree)."""
    dispatcher = may_dispatch(user, order)
    if open_offers is None:
        open_offers = Offer.objects.filter(order=order, closed_at__isnull=True)
    offered = order.status == Status.DISPATCHED and any(
        o.handler_id == user.pk for o in open_offers
    )
    own = order.assignee_id == user.pk and access.can(user, Perm.WORKORDER_HANDLE, order.area_path)
    caller = (
        order.channel == Channel.STAFF and may_call_back(user, order) and not handled(user, order)
    )
    parts = {
        Action.DISPATCH: dispatcher,
        Action.SOLVE: dispatcher,
        Action.ESCALATE: dispatcher and can_escalate,
        Action.CANCEL: dispatcher,
        Action.CALLBACK: caller,
        Action.ACCEPT: offered,
        Action.DECLINE: offered,
        Action.START: own,
        Action.EVIDENCE: own,
        Action.RESOLVE: own,
    }
    return {str(a): bool(p) and order.status in ACTIONS[a].sources for a, p in parts.items()}


def may_add_info(user: Viewer | None, order: WorkOrder) -> bool:
    """The residents' page offers adding words or photos (who asked, or their proxy; open)."""
    return order.status in ACTIONS[Action.INFO].sources and is_requester(user, order)


def may_rate(user: Viewer | None, order: WorkOrder) -> bool:
    """The residents' page offers rating and reopening (the served resident, resolved)."""
    return order.status in ACTIONS[Action.RATE].sources and is_served(user, order)
