"""Downloads of the work-order lists: the inbox, the board by grid, a volunteer's tasks and
a resident's own requests, each with the viewer's masking as on screen (see
`gongzhi.web.exports`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import Column, Export, ExportContext, Sensitivity, export_response
from gongzhi.workorders import policy
from gongzhi.workorders.rules import category_label
from gongzhi.workorders.states import Status
from gongzhi.workorders.templatetags.workorders import requester_label

__all__ = ["BOARD", "MY_REQUESTS", "ORDERS", "TASKS", "board_rows", "export_response"]


def _category(order: Any) -> str:
    return category_label(order.category)


def _as_seen(batch: list[Any], context: ExportContext) -> list[Any]:
    """Who asked, their phone (masked) and the address only when the viewer may know them
    (an anonymous complaint hides them from the handler)."""
    for order in batch:
        order.shows_requester = policy.sees_requester(context.user, order)
        order.export_overdue = bool(order.due_at and order.due_at < context.now)
    return batch


def _phone(order: Any) -> str:
    return str(order.contact_phone) if order.shows_requester and order.contact_phone else ""


ORDER_COLUMNS: tuple[Column[Any], ...] = (
    Column(_("Number"), lambda o: o.number),
    Column(_("Category"), _category),
    Column(_("Priority"), lambda o: o.get_priority_display()),
    Column(_("Status"), lambda o: o.get_status_display()),
    Column(_("Request"), lambda o: o.description),
    Column(_("Asked by"), requester_label),
    Column(_("Phone"), _phone),  # a Sealed value's text is its mask
    Column(_("Channel"), lambda o: o.get_channel_display() if o.shows_requester else ""),
    Column(_("Where"), lambda o: o.address if o.shows_requester else o.place.name),
    Column(_("Grid"), lambda o: o.grid.name if o.grid_id else ""),
    Column(_("Handled at"), lambda o: o.level.name),
    Column(_("Filed"), lambda o: o.submitted_at),
    Column(_("Due"), lambda o: o.due_at),
    Column(_("Overdue"), lambda o: gettext("yes") if o.export_overdue else ""),
    Column(_("Handler"), lambda o: str(o.assignee) if o.assignee_id else ""),
    Column(_("Rating"), lambda o: o.rating),
)

ORDERS: Export[Any] = Export(
    name="workorders.inbox",
    filename=_("work orders"),
    object_type="workorders.workorder",
    sensitivity=Sensitivity.PERSONAL,
    scope_perms=(Perm.WORKORDER_VIEW,),
    prepare=_as_seen,
    batch=500,
    columns=ORDER_COLUMNS,
)


def _tasks(batch: list[tuple[Any, Any]], context: ExportContext) -> list[Any]:
    orders = []
    for label, order in batch:
        order.export_list = label
        orders.append(order)
    return _as_seen(orders, context)


TASKS: Export[Any] = Export(
    name="workorders.tasks",
    filename=_("my tasks"),
    object_type="workorders.workorder",
    sensitivity=Sensitivity.PERSONAL,
    scope_perms=(Perm.WORKORDER_HANDLE,),
    prepare=_tasks,
    columns=(Column(_("List"), lambda o: o.export_list), *ORDER_COLUMNS),
)


def board_rows(tops: list[Any], depth: int = 0) -> Iterator[tuple[int, Any]]:
    """The board's grids, sub-grids under their parent: `(depth, node)`."""
    for node in tops:
        yield depth, node
        yield from board_rows(node.children, depth + 1)


BOARD: Export[Any] = Export(
    name="workorders.board",
    filename=_("open orders by grid"),
    object_type="registry.area",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.WORKORDER_VIEW,),
    columns=(
        Column(_("Grid"), lambda r: "\u3000" * r[0] + r[1].area.name),
        Column(_("Code"), lambda r: r[1].area.code),
        Column(_("Waiting for dispatch"), lambda r: r[1].waiting),
        Column(_("In hand"), lambda r: r[1].assigned),
        Column(_("Overdue"), lambda r: r[1].overdue),
        Column(_("Waiting for rating"), lambda r: r[1].resolved),
    ),
)


def _own(batch: list[Any], context: ExportContext) -> list[Any]:
    own_person = getattr(context.user, "person_id", None)
    for order in batch:
        order.export_for = (
            order.person.name if order.person_id and order.person_id != own_person else ""
        )
    return batch


MY_REQUESTS: Export[Any] = Export(
    name="workorders.my_requests",
    filename=_("my requests"),
    object_type="workorders.workorder",
    sensitivity=Sensitivity.PERSONAL,  # one's own requests and those one acts for
    prepare=_own,
    batch=500,
    columns=(
        Column(_("Number"), lambda o: o.number),
        Column(_("Category"), _category),
        Column(_("Status"), lambda o: o.get_status_display()),
        Column(_("Request"), lambda o: o.description),
        Column(_("For"), lambda o: o.export_for),
        Column(_("Where"), lambda o: o.address),
        Column(_("Filed"), lambda o: o.submitted_at),
        Column(
            _("Who helps"),
            lambda o: str(o.assignee) if o.assignee_id and o.status != Status.NEW else "",
        ),
        Column(_("Resolution"), lambda o: o.resolution),
        Column(_("Your rating"), lambda o: o.rating),
    ),
)
