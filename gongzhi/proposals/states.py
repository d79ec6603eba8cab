"""A proposal's life (居民议事), as a table: `ALLOWED_TRANSITIONS` is the whole graph and
`ACTIONS` names each move. `services.proposal_transition` is the only code that changes a
status and checks both tables first.

    submitted ──publish──► published ──answer──► answered ──progress──► in_progress
        │                                            │                      │
        └──decline──► declined                       └──finish──► done / not_done ◄──┘

Like Decidim's accountability: after the official answer the outcome is followed to the
end with dated progress updates and a final result (done, or not done with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("proposal status", "Waiting for review")
    PUBLISHED = "published", pgettext_lazy("proposal status", "Open for support")
    ANSWERED = "answered", pgettext_lazy("proposal status", "Answered")
    IN_PROGRESS = "in_progress", pgettext_lazy("proposal status", "In progress")
    DONE = "done", pgettext_lazy("proposal status", "Done")
    NOT_DONE = "not_done", pgettext_lazy("proposal status", "Not done")
    DECLINED = "declined", pgettext_lazy("proposal status", "Declined")


# Shown to the neighbours on /m/ (a submitted or declined one only to its author).
PUBLIC = frozenset(
    {Status.PUBLISHED, Status.ANSWERED, Status.IN_PROGRESS, Status.DONE, Status.NOT_DONE}
)
# Neighbours may still add their support.
SUPPORTABLE = frozenset({Status.PUBLISHED, Status.ANSWERED, Status.IN_PROGRESS})
# A poll may be made from it.
POLLABLE = frozenset({Status.PUBLISHED, Status.ANSWERED, Status.IN_PROGRESS})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.PUBLISHED, Status.DECLINED}),
    Status.PUBLISHED: frozenset({Status.ANSWERED}),
    Status.ANSWERED: frozenset({Status.IN_PROGRESS, Status.DONE, Status.NOT_DONE}),
    Status.IN_PROGRESS: frozenset({Status.IN_PROGRESS, Status.DONE, Status.NOT_DONE}),
    Status.DONE: frozenset(),
    Status.NOT_DONE: frozenset(),
    Status.DECLINED: frozenset(),
}


class Action(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("proposal step", "Published")
    DECLINE = "decline", pgettext_lazy("proposal step", "Declined")
    ANSWER = "answer", pgettext_lazy("proposal step", "Official answer")
    PROGRESS = "progress", pgettext_lazy("proposal step", "Progress update")
    DONE = "done", pgettext_lazy("proposal step", "Done")
    NOT_DONE = "not_done", pgettext_lazy("proposal step", "Not done")


@dataclass(frozen=True)
class Move:
    target: str
    note_field: str  # the field the note is asked under (a clear error names it)
    needs_note: bool = True


ACTIONS: dict[str, Move] = {
    Action.PUBLISH: Move(Status.PUBLISHED, "note", needs_note=False),
    Action.DECLINE: Move(Status.DECLINED, "reason"),
    Action.ANSWER: Move(Status.ANSWERED, "answer"),
    Action.PROGRESS: Move(Status.IN_PROGRESS, "note"),
    Action.DONE: Move(Status.DONE, "result"),
    Action.NOT_DONE: Move(Status.NOT_DONE, "result"),
}


class Visibility(models.TextChoices):
    """When a poll's results are shown to the voters (staff always see them)."""

    ALWAYS = "always", pgettext_lazy("poll results", "Always")
    AFTER_VOTE = "after_vote", pgettext_lazy("poll results", "After one has voted")
    AFTER_CLOSE = "after_close", pgettext_lazy("poll results", "After the poll closes")


class FlagKind(models.TextChoices):
    DEVICE = "device", pgettext_lazy("poll anomaly", "Many votes from one device")
    ADDRESS = "address", pgettext_lazy("poll anomaly", "Many votes from one network address")
    NEW_ACCOUNTS = (
        "new_accounts",
        pgettext_lazy("poll anomaly", "A burst of votes from new accounts"),
    )
