"""States of an upstream list and of a watch-list entry (a follow-up task).

An entry is the study's 线上研判 + 线下核实: it is reviewed online (is this really one of
ours, does it need a visit?), verified offline (a visit or a call by the grid worker),
and closed with an outcome. Staff who upload lists may reopen a closed entry.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ListStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting to be matched")
    MATCHING = "matching", _("Matching")
    MATCHED = "matched", _("Matched")
    FAILED = "failed", _("Failed")


class ListKind(models.TextChoices):
    ARRIVALS = "arrivals", _("Arrivals (big-data push)")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic visits")
    CLOSE_CONTACTS = "close_contacts", _("Close contacts")
    OTHER = "other", _("Other")


class Tier(models.TextChoices):
    """How the row was matched to the register, strongest first."""

    ID_NUMBER = "id_number", _("ID number")
    NAME_PHONE = "name_phone", _("Name and phone")
    NAME_BIRTH = "name_birth", _("Name and birth date")
    AMBIGUOUS = "ambiguous", _("Several persons match")
    NOT_IN_REGISTER = "none", _("Not in the register")


class EntryStatus(models.TextChoices):
    TO_REVIEW = "to_review", _("To review online")
    TO_VERIFY = "to_verify", _("To verify offline")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", pgettext_lazy("follow-up", "Closed")


OPEN_STATUSES = (EntryStatus.TO_REVIEW, EntryStatus.TO_VERIFY, EntryStatus.VERIFIED)


class Action(models.TextChoices):
    REVIEW = "review", _("Review online")
    DISMISS = "dismiss", _("Dismiss after review")
    VERIFY = "verify", _("Record the verification")
    CLOSE = "close", _("Close with an outcome")
    REOPEN = "reopen", _("Reopen")


class Outcome(models.TextChoices):
    HOME_MONITORING = "home_monitoring", _("Home health monitoring")
    HOME_ISOLATION = "home_isolation", _("Home isolation")
    CENTRAL_ISOLATION = "central_isolation", _("Centralised isolation")
    TESTED = "tested", _("Tested, no further measure")
    NOT_HERE = "not_here", _("Not in the community")
    TRANSFERRED = "transferred", _("Handed over to another area")
    NO_ACTION = "no_action", _("No measure needed")
    DISMISSED = "dismissed", _("Dismissed after online review")


# Outcomes a closing verification may choose (dismissed comes only from `dismiss`).
CLOSING_OUTCOMES = [o for o in Outcome if o != Outcome.DISMISSED]


class VerificationMethod(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


# action -> (from states, to state)
ALLOWED_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    Action.REVIEW: ((EntryStatus.TO_REVIEW,), EntryStatus.TO_VERIFY),
    Action.DISMISS: ((EntryStatus.TO_REVIEW,), EntryStatus.CLOSED),
    Action.VERIFY: ((EntryStatus.TO_VERIFY,), EntryStatus.VERIFIED),
    Action.CLOSE: ((EntryStatus.VERIFIED,), EntryStatus.CLOSED),
    Action.REOPEN: ((EntryStatus.CLOSED,), EntryStatus.TO_REVIEW),
}


def actions_from(status: str) -> list[str]:
    """The actions that may be taken on an entry in `status`."""
    return [action for action, (sources, _to) in ALLOWED_TRANSITIONS.items() if status in sources]


# How long each open step may take, counted from when the entry arrived with its list:
# the online review within a day, the offline verification within three.
STEP_DEADLINES: dict[str, dt.timedelta] = {
    EntryStatus.TO_REVIEW: dt.timedelta(days=1),
    EntryStatus.TO_VERIFY: dt.timedelta(days=3),
}
