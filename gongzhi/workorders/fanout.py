"""After a step commits: tell people (notifications), then other modules (`events`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.notifications.services import notify
from gongzhi.workorders import events, selectors
from gongzhi.workorders.models import Channel, TimelineEntry, WorkOrder
from gongzhi.workorders.rules import AlreadyTaken
from gongzhi.workorders.states import Action, Status

# --- after commit: tell people, publish events ----------------------------------------------------


_TITLES: dict[str, Promise] = {
    Action.CREATE: gettext_lazy("New request %(number)s: %(category)s"),
    Action.DISPATCH: gettext_lazy("Order %(number)s (%(category)s) is offered to you"),
    Action.ACCEPT: gettext_lazy("Your request %(number)s was accepted"),
    Action.START: gettext_lazy("Work on your request %(number)s has started"),
    Action.RESOLVE: gettext_lazy("Your request %(number)s is resolved: please rate it"),
    Action.SOLVE: gettext_lazy("Your request %(number)s is resolved: please rate it"),
    Action.ESCALATE: gettext_lazy("Order %(number)s was escalated to %(level)s"),
    Action.DECLINE: gettext_lazy("Order %(number)s was declined and waits for dispatch"),
    Action.REMIND: gettext_lazy("Order %(number)s is close to its deadline"),
    Action.BREACH: gettext_lazy("Order %(number)s missed its deadline at the street"),
    Action.RATE: gettext_lazy("Order %(number)s was rated %(rating)s stars"),
    Action.CALLBACK: gettext_lazy(
        "Order %(number)s was rated %(rating)s stars by the resident on a callback"
    ),
    Action.REOPEN: gettext_lazy("Order %(number)s was reopened by the resident"),
    Action.CANCEL: gettext_lazy("Order %(number)s was cancelled"),
}
_RESIDENT_STEPS: dict[str, Promise] = {
    Action.CREATE: gettext_lazy("We received your request %(number)s."),
    Action.DISPATCH: gettext_lazy("Your request %(number)s was passed to a volunteer."),
    Action.ESCALATE: gettext_lazy("Your request %(number)s was passed up to %(level)s."),
    Action.CANCEL: gettext_lazy("Your request %(number)s was cancelled."),
}


def after(order_id: int, entry_id: int, told: Iterable[int] = ()) -> None:
    """Side effects of a committed step: notifications, then events for other modules."""
    from django.conf import settings
    from django.utils import translation

    entry = TimelineEntry.objects.select_related("actor", "level").get(pk=entry_id)
    order = WorkOrder.objects.select_related("category", "level").get(pk=order_id)
    with translation.override(settings.LANGUAGE_CODE):
        _tell(order, entry, told)
    events.publish(entry, order)


class _Step:
    """One committed step, and the people it may concern (each looked up only if asked)."""

    def __init__(self, order: WorkOrder, entry: TimelineEntry, told: Iterable[int]):
        self.order, self.entry, self.told = order, entry, list(told)

    @cached_property
    def residents(self) -> list[int]:
        """The resident's accounts (not another system's: Open311, API keys)."""
        if self.order.channel in (Channel.OPEN311, Channel.API):
            return []
        return [i for i in selectors.requester_ids(self.order) if i != self.entry.actor_id]

    @cached_property
    def dispatchers(self) -> list[int]:
        return [i for i in selectors.dispatcher_ids(self.order.level) if i != self.entry.actor_id]

    @cached_property
    def offered(self) -> list[int]:
        return [o.handler_id for o in selectors.open_offers(self.order)]

    @property
    def working(self) -> bool:
        return self.order.status in (Status.ACCEPTED, Status.IN_PROGRESS)


# Audiences: who hears of a step.
def _dispatchers(step: _Step) -> list[int]:
    return step.dispatchers


def _residents(step: _Step) -> list[int]:
    return step.residents


def _offered(step: _Step) -> list[int]:
    return step.offered


def _told(step: _Step) -> list[int]:
    """Handlers whose offer or order the step took away (the transition names them)."""
    return step.told


def _who_did_it(step: _Step) -> list[int]:
    who = step.order.assignee_id or step.order.resolved_by_id
    return [who] if who is not None else []


def _assignee_at_work(step: _Step) -> list[int]:
    who = step.order.assignee_id
    return [who] if step.working and who is not None else []


def _offered_while_dispatched(step: _Step) -> list[int]:
    return step.offered if step.order.status == Status.DISPATCHED else []


def _dispatchers_unless_at_work(step: _Step) -> list[int]:
    return [] if step.working else step.dispatchers


@dataclass(frozen=True)
class Tell:
    """One message of a step: to whom, which text, which page it links to."""

    audience: Callable[[_Step], Iterable[int]]
    text: str = "title"  # title (_TITLES), resident (_RESIDENT_STEPS), withdrawn, taken
    page: str = "staff"  # staff: the workbench; resident: the residents' pages
    sms: bool = False
    kind: str = ""  # the notification's kind; "" is workorder.<action>


_WITHDRAWN = Tell(_told, text="withdrawn", kind="workorder.withdrawn")
_TO_RESIDENT = Tell(_residents, text="resident", page="resident")
_TO_DISPATCHERS = Tell(_dispatchers)

# The fan-out: a step's action → whom to tell, in this order. A new step adds a row.
AUDIENCES: dict[str, tuple[Tell, ...]] = {
    Action.CREATE: (_TO_DISPATCHERS, _TO_RESIDENT),
    Action.DISPATCH: (Tell(_offered, sms=True), _TO_RESIDENT, _WITHDRAWN),
    Action.ACCEPT: (
        Tell(_residents, page="resident"),
        Tell(_told, text="taken", kind="workorder.taken"),
    ),
    Action.START: (Tell(_residents, page="resident"),),
    Action.RESOLVE: (Tell(_residents, page="resident", sms=True),),
    Action.SOLVE: (Tell(_residents, page="resident", sms=True),),
    Action.ESCALATE: (_TO_DISPATCHERS, _TO_RESIDENT, _WITHDRAWN),
    Action.DECLINE: (_TO_DISPATCHERS,),
    Action.REOPEN: (_TO_DISPATCHERS,),
    Action.BREACH: (_TO_DISPATCHERS,),
    Action.REMIND: (
        Tell(_assignee_at_work, sms=True),
        Tell(_offered_while_dispatched),
        Tell(_dispatchers_unless_at_work),
    ),
    Action.RATE: (Tell(_who_did_it),),
    Action.CALLBACK: (Tell(_who_did_it),),
    Action.CANCEL: (_WITHDRAWN, _TO_RESIDENT, _TO_DISPATCHERS),
}


def _tell(order: WorkOrder, entry: TimelineEntry, told: Iterable[int]) -> None:
    action = entry.action
    step = _Step(order, entry, told)
    params = {
        "number": order.number,
        "category": order.category.name,
        "level": order.level.name,
        "rating": entry.rating or "",
    }
    urls = {
        "staff": reverse("workorders:detail", args=[order.pk]),
        "resident": _resident_url(order),
    }
    texts = {
        "title": lambda: str(_TITLES[action]) % params,
        "resident": lambda: str(_RESIDENT_STEPS[action]) % params,
        "withdrawn": lambda: _withdrawn(order),
        "taken": lambda: str(AlreadyTaken.default_message),
    }
    for tell in AUDIENCES.get(action, ()):
        recipients = sorted({i for i in tell.audience(step) if i})
        if not recipients:
            continue
        notify(
            recipients=recipients,
            kind=tell.kind or f"workorder.{action}",
            title=texts[tell.text](),
            body=order.description[:140],
            url=urls[tell.page],
            sms=tell.sms,
            # The description may name people or places: it stays in the inbox, out of
            # the SMS outbox and the provider (the title has the number and the step).
            sms_body="",
            actor=entry.actor,
            obj=order,
        )


def _resident_url(order: WorkOrder) -> str:
    try:
        return reverse("workorders_resident:detail", args=[order.pk])
    except NoReverseMatch:  # the residents' pages are not mounted
        return ""


def _withdrawn(order: WorkOrder) -> str:
    return _("Order %(number)s is no longer offered to you.") % {"number": order.number}
