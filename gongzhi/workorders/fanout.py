"""After a step commits: tell people (notifications), then other modules (`events`).

Who hears of what (`AUDIENCES`, one row per step) follows three rules:

- **One message per person per step.** A user who is in two audiences of one step (a
  dispatcher who is also the requester, say) gets the first message only.
- **The resident's messages go to the resident served**: who asked for themselves, their
  proxy, and the accounts of the person the order is for — never the staff member or
  building head who filed it on their behalf (they did the filing; `_Step.residents`). A
  person without an account gets nothing; staff call them back (回访).
- **A resident hears of the steps that concern them, once each**: received (only when
  someone else filed it for them: who filed it themselves saw it on the screen), accepted
  (someone is coming), resolved or solved (please rate, also by SMS), and cancelled by
  staff. Dispatch, start and escalation are the staff's business; the resident's page
  shows them on the timeline, in residents' words.

A message about an order is marked read when its recipient opens the order or makes a step
on it (`notifications.services.notifications_mark_read_about`): handled means read.
"""

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
    Action.INFO: gettext_lazy("Order %(number)s: the resident added information"),
    Action.CANCEL: gettext_lazy("Order %(number)s was cancelled"),
}
_RESIDENT_STEPS: dict[str, Promise] = {
    Action.CREATE: gettext_lazy("We received your request %(number)s."),
    Action.CANCEL: gettext_lazy("Your request %(number)s was cancelled."),
}
_CALLBACK_DUE = gettext_lazy(
    "Order %(number)s is resolved: call the resident back and record their rating (回访)"
)


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
        """The accounts of the resident served (not another system's: Open311, API keys;
        not the staff member who filed it for them)."""
        if self.order.channel in (Channel.OPEN311, Channel.API):
            return []
        return [i for i in selectors.served_ids(self.order) if i != self.entry.actor_id]

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


def _callers(step: _Step) -> list[int]:
    """For an order filed on a resident's behalf, the staff who call the resident back:
    the dispatchers of its level, but not whoever did or resolved the work."""
    if step.order.channel != Channel.STAFF:
        return []
    did = {step.order.assignee_id, step.order.resolved_by_id}
    return [i for i in step.dispatchers if i not in did]


@dataclass(frozen=True)
class Tell:
    """One message of a step: to whom, which text, which page it links to."""

    audience: Callable[[_Step], Iterable[int]]
    text: str = "title"  # title (_TITLES), resident (_RESIDENT_STEPS), withdrawn, taken, callback
    page: str = "staff"  # staff: the workbench; resident: the residents' pages
    sms: bool = False
    kind: str = ""  # the notification's kind; "" is workorder.<action>


_WITHDRAWN = Tell(_told, text="withdrawn", kind="workorder.withdrawn")
_TO_RESIDENT = Tell(_residents, text="resident", page="resident")
_TO_DISPATCHERS = Tell(_dispatchers)

_TO_CALLERS = Tell(_callers, text="callback", kind="workorder.callback_due")

# The fan-out: a step's action → whom to tell, in this order (a user in two audiences of a
# step hears only the first). A new step adds a row; `()` tells nobody.
AUDIENCES: dict[str, tuple[Tell, ...]] = {
    Action.CREATE: (_TO_DISPATCHERS, _TO_RESIDENT),
    Action.DISPATCH: (Tell(_offered, sms=True), _WITHDRAWN),
    Action.ACCEPT: (
        Tell(_residents, page="resident"),
        Tell(_told, text="taken", kind="workorder.taken"),
    ),
    Action.START: (),
    Action.RESOLVE: (Tell(_residents, page="resident", sms=True), _TO_CALLERS),
    Action.SOLVE: (Tell(_residents, page="resident", sms=True), _TO_CALLERS),
    Action.ESCALATE: (_TO_DISPATCHERS, _WITHDRAWN),
    Action.DECLINE: (_TO_DISPATCHERS,),
    Action.REOPEN: (_TO_DISPATCHERS,),
    Action.BREACH: (_TO_DISPATCHERS,),
    Action.REMIND: (
        Tell(_assignee_at_work, sms=True),
        Tell(_offered_while_dispatched),
        Tell(_dispatchers_unless_at_work),
    ),
    # The resident's new words or photos: whoever has the order in hand, else who decides.
    Action.INFO: (
        Tell(_assignee_at_work),
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
        "callback": lambda: str(_CALLBACK_DUE) % params,
    }
    sent: set[int] = set()  # one message per person per step
    for tell in AUDIENCES.get(action, ()):
        recipients = sorted({i for i in tell.audience(step) if i} - sent)
        if not recipients:
            continue
        sent.update(recipients)
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
