"""The home page's to-do list: what waits for the user, section by section.

Each section is one the user's roles can act on (a grid worker: orders, watch list,
visits, imports, transfer requests; a volunteer: the orders in their hands), with its
count, the first few items (most urgent first) and a link to the full list. Every read
goes through the owning app's selector, so the scope is the one `accounts.access` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.masking import mask_name
from gongzhi.health.selectors import EntryFilters, watch_entry_list_for
from gongzhi.health.states import EntryStatus
from gongzhi.imports.models import ImportStatus
from gongzhi.imports.selectors import import_list_for
from gongzhi.registry.models import TransferStatus
from gongzhi.registry.transfers import transfer_incoming_for
from gongzhi.visits import selectors as visits
from gongzhi.workorders.rules import category_label
from gongzhi.workorders.selectors import OrderFilters, tasks_for, workorder_list_for

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.workorders.models import WorkOrder

FIRST = 5  # items shown per section


@dataclass
class Item:
    label: str
    url: str
    note: str = ""
    late: bool = False


@dataclass
class Section:
    key: str
    title: str
    count: int
    url: str
    empty: str
    items: list[Item] = field(default_factory=list)
    extra: str = ""  # a second count ("3 due soon")


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else ""


def _order_item(order: WorkOrder, now: Any) -> Item:
    place = order.grid.name if order.grid is not None else order.level.name
    late = order.due_at is not None and order.due_at < now
    note = _("due %(when)s") % {"when": _when(order.due_at)} if order.due_at else _("no deadline")
    return Item(
        label=f"{order.number} · {category_label(order.category)} · {place}",
        url=reverse("workorders:detail", args=[order.pk]),
        note=note,
        late=late,
    )


def _orders(user: User) -> list[Section]:
    now = clock.now()
    sections = []
    inbox = reverse("workorders:inbox")
    if access.can(user, Perm.WORKORDER_VIEW):
        overdue = workorder_list_for(user=user, filters=OrderFilters(tab="overdue")).order_by(
            "due_at", "pk"
        )
        sections.append(
            Section(
                key="orders_overdue",
                title=_("Overdue orders"),
                count=overdue.count(),
                url=f"{inbox}?tab=overdue",
                empty=_("No order in your area is past its deadline."),
                items=[_order_item(o, now) for o in overdue[:FIRST]],
            )
        )
    if access.can(user, Perm.WORKORDER_DISPATCH):
        waiting = workorder_list_for(user=user, filters=OrderFilters(tab="waiting")).order_by(
            F("due_at").asc(nulls_last=True), "submitted_at", "pk"
        )
        sections.append(
            Section(
                key="orders_waiting",
                title=_("Orders waiting for dispatch"),
                count=waiting.count(),
                url=f"{inbox}?tab=waiting",
                empty=_("No order waits for a decision at your level."),
                items=[_order_item(o, now) for o in waiting[:FIRST]],
            )
        )
    if access.can(user, Perm.WORKORDER_HANDLE):
        tasks = tasks_for(user=user, done_limit=0)
        mine = sorted(
            tasks.offered + tasks.working,
            key=lambda o: (o.due_at is None, o.due_at or now, o.pk),
        )
        sections.append(
            Section(
                key="tasks",
                title=_("Orders offered to you or in your hands"),
                count=len(mine),
                url=reverse("workorders:tasks"),
                empty=_("Nothing offered to you and nothing in your hands."),
                items=[_order_item(o, now) for o in mine[:FIRST]],
            )
        )
    return sections


def _watch_list(user: User) -> Section | None:
    if not access.can(user, Perm.WATCHLIST_FOLLOW_UP):
        return None
    entries = watch_entry_list_for(
        user=user, filters=EntryFilters(status="open", mine=True)
    ).order_by("created_at", "pk")
    labels = dict(EntryStatus.choices)
    return Section(
        key="watchlist",
        title=_("Watch-list follow-ups assigned to you"),
        count=entries.count(),
        url=reverse("health:watchlist") + "?status=open&mine=on",
        empty=_("No open follow-up is assigned to you."),
        items=[
            Item(
                label=f"{mask_name(e.name) or '#' + str(e.row_number)} · {e.upstream_list.name if e.upstream_list else e.source}",
                url=reverse("health:entry_detail", args=[e.pk]),
                note=str(labels.get(e.status, e.status)),
            )
            for e in entries[:FIRST]
        ],
    )


def _visits(user: User) -> Section | None:
    if not access.can(user, Perm.VISIT_LOG):
        return None
    rows = visits.due_visits_for(user=user)
    summary = visits.due_summary(rows)
    shown = visits.with_households(rows[:FIRST])
    return Section(
        key="visits",
        title=_("Visits overdue"),
        count=summary.overdue,
        url=reverse("visits:due"),
        empty=_("No household is overdue for a visit."),
        extra=_("%(n)d more due within %(days)d days")
        % {"n": summary.soon, "days": visits.DUE_SOON_DAYS}
        if summary.soon
        else "",
        items=[
            Item(
                label=row.household.address if row.household else f"#{row.household_id}",
                url=reverse("visits:log", args=[row.household_id]),
                note=(
                    _("never visited")
                    if row.due_on is None
                    else _("%(n)d days overdue") % {"n": row.late_days}
                    if (row.late_days or 0) > 0
                    else _("due by %(day)s") % {"day": row.due_on.strftime("%m-%d")}
                ),
                late=row.due_on is None or (row.late_days or 0) > 0,
            )
            for row in shown
        ],
    )


def _imports(user: User) -> Section | None:
    if not access.can(user, Perm.IMPORT_RUN):
        return None
    batches = import_list_for(user=user).filter(
        status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED]
    )
    return Section(
        key="imports",
        title=_("Imports to review"),
        count=batches.count(),
        url=reverse("imports:list"),
        empty=_("No import waits for its columns or its commit."),
        items=[
            Item(
                label=b.filename,
                url=reverse("imports:detail", args=[b.pk]),
                note=b.get_status_display(),
            )
            for b in batches[:FIRST]
        ],
    )


def _transfers(user: User) -> Section | None:
    if not access.can(user, Perm.REGISTER_EDIT):
        return None
    waiting = transfer_incoming_for(user=user, status=TransferStatus.REQUESTED).order_by(
        "created_at", "pk"
    )
    return Section(
        key="transfers",
        title=_("Transfer requests for you to decide"),
        count=waiting.count(),
        url=reverse("registry:transfer_list"),
        empty=_("No transfer request waits for your decision."),
        items=[
            Item(
                label=_("Transfer request #%(id)d") % {"id": t.pk},
                url=reverse("registry:transfer_detail", args=[t.pk]),
                note=_when(t.created_at),
            )
            for t in waiting[:FIRST]
        ],
    )


def todo_for(*, user: User) -> list[Section]:
    """The sections the user's roles can act on, in the order of a working day."""
    sections = _orders(user)
    for make in (_visits, _watch_list, _transfers, _imports):
        section = make(user)
        if section is not None:
            sections.append(section)
    return sections
