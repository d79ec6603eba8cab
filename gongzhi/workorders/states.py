"""The work-order cycle (居民点单、社区派单、党员接单、群众评单) as a state machine.

`ALLOWED_TRANSITIONS` is the whole graph; `ACTIONS` names each move, where it may start
and where it ends. `services.workorder_transition` is the only code that changes a
status, and it checks both tables before anything else.

    new ──dispatch──► dispatched ──accept──► accepted ──start──► in_progress
     │  ▲               │  │                    │                    │
     │  └───decline─────┘  │                    └──────resolve───────┴──► resolved ──rate──► closed
     │                     │                                                  │
     ├──solve (staff)──────┼──────────────────────────────────────────────────┘
     │                     │                                 reopen ◄──────────┘ (back to new)
     └──escalate──► escalated (one level up the tree: grid → community → street)
                     └── dispatch / solve / escalate again, as from new

Escalation (by hand or by the SLA sweep) is allowed from every open state: whoever works
on the order loses it, and the next level up decides again. `cancel` ends an order that
nobody has accepted yet. `rate` and `reopen` belong to the resident the order serves (or
their proxy), never to staff; for an order filed on a resident's behalf, `callback` (回访)
closes it with the rating the resident gave on the phone, recorded by staff of the area
who did not handle it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("work order status", "Waiting for dispatch")
    ESCALATED = "escalated", pgettext_lazy("work order status", "Escalated")
    DISPATCHED = "dispatched", pgettext_lazy("work order status", "Dispatched")
    ACCEPTED = "accepted", pgettext_lazy("work order status", "Accepted")
    IN_PROGRESS = "in_progress", pgettext_lazy("work order status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("work order status", "Resolved")
    CLOSED = "closed", pgettext_lazy("work order status", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("work order status", "Cancelled")


# Waiting for someone at the order's level to decide (the inbox).
WAITING = frozenset({Status.NEW, Status.ESCALATED})
# Someone has been given the order and has not finished it (their load).
ASSIGNED = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS})
OPEN = WAITING | ASSIGNED
DONE = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})
# Until someone accepts it, the order runs against its response deadline.
AWAITING_RESPONSE = WAITING | {Status.DISPATCHED}

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.DISPATCHED, Status.ESCALATED, Status.RESOLVED, Status.CANCELLED}),
    Status.ESCALATED: frozenset(
        {Status.DISPATCHED, Status.ESCALATED, Status.RESOLVED, Status.CANCELLED}
    ),
    Status.DISPATCHED: frozenset(
        {Status.DISPATCHED, Status.ACCEPTED, Status.NEW, Status.ESCALATED, Status.CANCELLED}
    ),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.ESCALATED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.ESCALATED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.NEW, Status.ESCALATED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class Action(models.TextChoices):
    """Moves, and the timeline entries that are not moves (created, evidence, reminded …)."""

    CREATE = "create", _("Requested")
    DISPATCH = "dispatch", _("Dispatched")
    ACCEPT = "accept", _("Accepted")
    DECLINE = "decline", _("Declined")
    START = "start", _("Started")
    EVIDENCE = "evidence", _("Evidence added")
    INFO = "info", _("Information added by the resident")
    RESOLVE = "resolve", _("Resolved")
    SOLVE = "solve", _("Solved by staff")
    ESCALATE = "escalate", _("Escalated")
    REMIND = "remind", _("Reminder sent")
    BREACH = "breach", _("Deadline missed at the top level")
    RATE = "rate", _("Rated")
    CALLBACK = "callback", _("Rated by phone (callback)")
    REOPEN = "reopen", _("Reopened")
    CANCEL = "cancel", _("Cancelled")


class Who(models.TextChoices):
    """Who may make a move (checked by the transition service with `accounts.access`)."""

    DISPATCHER = "dispatcher", _("staff of the order's level")
    ASSIGNEE = "assignee", _("the person it was dispatched to")
    REQUESTER = "requester", _("the resident who asked, or their proxy")
    SERVED = "served", _("the resident the order serves, or their proxy")
    CALLER = "caller", _("staff of the area who did not handle the order (a callback)")
    SYSTEM = "system", _("the SLA sweep")


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    # None: the status stays (evidence, reminders). NEW means "back to the inbox of the
    # order's level": the service makes it ESCALATED when the order was escalated before.
    target: str | None
    who: frozenset[str]
    needs_reason: bool = False


ACTIONS: dict[str, Move] = {
    # The system dispatches too: a volunteer who takes residents' shopping lists into a
    # supply run (gongzhi.emergency.shopping) is offered their orders, then accepts them.
    Action.DISPATCH: Move(
        frozenset({Status.NEW, Status.ESCALATED, Status.DISPATCHED}),
        Status.DISPATCHED,
        frozenset({Who.DISPATCHER, Who.SYSTEM}),
    ),
    Action.ACCEPT: Move(frozenset({Status.DISPATCHED}), Status.ACCEPTED, frozenset({Who.ASSIGNEE})),
    Action.DECLINE: Move(
        frozenset({Status.DISPATCHED}), Status.NEW, frozenset({Who.ASSIGNEE}), needs_reason=True
    ),
    Action.START: Move(frozenset({Status.ACCEPTED}), Status.IN_PROGRESS, frozenset({Who.ASSIGNEE})),
    Action.EVIDENCE: Move(
        frozenset({Status.ACCEPTED, Status.IN_PROGRESS}), None, frozenset({Who.ASSIGNEE})
    ),
    Action.RESOLVE: Move(
        frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
        Status.RESOLVED,
        frozenset({Who.ASSIGNEE}),
        needs_reason=True,
    ),
    Action.SOLVE: Move(
        frozenset(WAITING), Status.RESOLVED, frozenset({Who.DISPATCHER}), needs_reason=True
    ),
    Action.ESCALATE: Move(
        frozenset(OPEN),
        Status.ESCALATED,
        frozenset({Who.DISPATCHER, Who.SYSTEM}),
        needs_reason=True,
    ),
    # Only the resident served (or their proxy) rates or reopens: never the staff who
    # filed the order for them, nor whoever handled it.
    Action.RATE: Move(frozenset({Status.RESOLVED}), Status.CLOSED, frozenset({Who.SERVED})),
    Action.REOPEN: Move(
        frozenset({Status.RESOLVED}), Status.NEW, frozenset({Who.SERVED}), needs_reason=True
    ),
    # 回访: for an order filed on a resident's behalf, staff who did not handle it record
    # the rating the resident gave on the phone (marked as such on the order and the event).
    Action.CALLBACK: Move(frozenset({Status.RESOLVED}), Status.CLOSED, frozenset({Who.CALLER})),
    # The resident (or their proxy, or who filed it for them) adds words or photos to an
    # open order: a timeline entry, the status stays.
    Action.INFO: Move(frozenset(OPEN), None, frozenset({Who.REQUESTER})),
    Action.CANCEL: Move(
        frozenset(WAITING | {Status.DISPATCHED}),
        Status.CANCELLED,
        frozenset({Who.DISPATCHER, Who.REQUESTER}),
        needs_reason=True,
    ),
    # The SLA sweep's own steps, which change no status.
    Action.REMIND: Move(frozenset(OPEN), None, frozenset({Who.SYSTEM})),
    Action.BREACH: Move(frozenset(OPEN), None, frozenset({Who.SYSTEM})),
}

# Where "back to the inbox" leads for an order that has been escalated before.
BACK_TO_INBOX = {False: Status.NEW, True: Status.ESCALATED}

# What a resident reads for each status: their words, not the staff's (待派单 →
# "已收到，正在安排"). The workbench keeps `Status` labels.
RESIDENT_STATUS: dict[str, Promise] = {
    Status.NEW: pgettext_lazy("resident status", "Received, being arranged"),
    Status.ESCALATED: pgettext_lazy("resident status", "Passed on to be handled"),
    Status.DISPATCHED: pgettext_lazy("resident status", "Finding someone to help"),
    Status.ACCEPTED: pgettext_lazy("resident status", "Someone will help you"),
    Status.IN_PROGRESS: pgettext_lazy("resident status", "Being done"),
    Status.RESOLVED: pgettext_lazy("resident status", "Done: please rate it"),
    Status.CLOSED: pgettext_lazy("resident status", "Finished"),
    Status.CANCELLED: pgettext_lazy("resident status", "Cancelled"),
}

# The timeline's steps in residents' words (consecutive equal ones are shown once).
RESIDENT_STEPS: dict[str, Promise] = {
    Action.CREATE: pgettext_lazy("resident step", "Request received"),
    Action.DISPATCH: pgettext_lazy("resident step", "Looking for someone to help"),
    Action.ACCEPT: pgettext_lazy("resident step", "Someone will help you"),
    Action.START: pgettext_lazy("resident step", "Work has started"),
    Action.EVIDENCE: pgettext_lazy("resident step", "The helper added a note or photos"),
    Action.INFO: pgettext_lazy("resident step", "Information added"),
    Action.RESOLVE: pgettext_lazy("resident step", "Done"),
    Action.SOLVE: pgettext_lazy("resident step", "Done"),
    Action.ESCALATE: pgettext_lazy("resident step", "Passed on to be handled"),
    Action.RATE: pgettext_lazy("resident step", "Rated"),
    Action.CALLBACK: pgettext_lazy("resident step", "Rated on the phone"),
    Action.REOPEN: pgettext_lazy("resident step", "Reopened"),
    Action.CANCEL: pgettext_lazy("resident step", "Cancelled"),
}
# Steps whose note is for the resident too (a dispatch's or an escalation's note is the
# staff's own: whom it was offered to, why it went up).
RESIDENT_NOTES = frozenset(
    {
        Action.EVIDENCE,
        Action.INFO,
        Action.RESOLVE,
        Action.SOLVE,
        Action.RATE,
        Action.CALLBACK,
        Action.REOPEN,
        Action.CANCEL,
    }
)

# Timeline entries a resident sees (the others are the staff's own business: who declined
# and why, reminders).
PUBLIC_ACTIONS = frozenset(
    {
        Action.CREATE,
        Action.DISPATCH,
        Action.ACCEPT,
        Action.START,
        Action.EVIDENCE,
        Action.INFO,
        Action.RESOLVE,
        Action.SOLVE,
        Action.ESCALATE,
        Action.RATE,
        Action.CALLBACK,
        Action.REOPEN,
        Action.CANCEL,
    }
)


def check_graph() -> None:
    """Every action's moves are edges of the graph (a test calls this)."""
    for action, move in ACTIONS.items():
        if move.target is None:
            continue
        targets = set(BACK_TO_INBOX.values()) if move.target == Status.NEW else {move.target}
        for source in move.sources:
            for target in targets:
                if target not in ALLOWED_TRANSITIONS[source]:
                    raise AssertionError(f"{action}: {source} -> {target} is not in the graph")
