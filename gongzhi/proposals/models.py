"""Proposals (居民议事) and polls.

A **proposal** is written by a resident on /m/ (it waits for staff as "submitted") or
published by staff from a resident's suggestion work order. Neighbours **support** it:
one support per **person in the register** (not per account) — a database constraint. Staff
give the official answer and follow it to the end with dated progress updates.

A **poll** asks a question of the persons whose household lies in its area: one vote per
person (a database constraint), a proxy's vote labelled as such. A vote keeps no address or
device in clear: only keyed digests (HMAC with the keyring) and the account's creation time,
so that `anomalies.py` can flag many votes from one device or address, or from new accounts,
without keeping personal values. Flags never change a result.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel
from gongzhi.proposals.states import Action, FlagKind, Status, Visibility

TITLE_MAX = 120
BODY_MAX = 4000
NOTE_MAX = 2000
OPTION_MAX = 100
OPTIONS_MIN, OPTIONS_MAX = 2, 10


class Origin(models.TextChoices):
    RESIDENT = "resident", _("Written by a resident")
    SUGGESTION = "suggestion", _("From a resident's suggestion")


class Proposal(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)  # the area's: who sees, supports, manages it
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("proposal"), max_length=BODY_MAX)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.RESIDENT)
    # Who proposed it: the person in the register, and the account that wrote it (the
    # person's own, or their proxy's: then `by_proxy`).
    author_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    workorder = models.ForeignKey(
        "workorders.WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=NOTE_MAX, blank=True)
    answer = models.TextField(_("official answer"), max_length=NOTE_MAX, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.TextField(_("result"), max_length=NOTE_MAX, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["area_path", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        """By number: a title a resident typed may quote a name or a phone."""
        return f"proposal {self.pk}"


class Update(models.Model):
    """One dated step of a proposal's follow-up (published, answered, progress, result)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField()
    action = models.CharField(max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} of proposal {self.proposal_id}"


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="supports")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_proxy = models.BooleanField(default=False)
    at = models.DateTimeField()
    area_path = models.CharField(max_length=255)  # the proposal's

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "person"], name="proposals_one_support_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"support {self.pk} of proposal {self.proposal_id}"


class Poll(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)
    question = models.CharField(_("question"), max_length=200)
    proposal = models.OneToOneField(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="poll"
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    results_visibility = models.CharField(
        _("results shown"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.AFTER_CLOSE,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-opens_at", "-pk"]
        indexes = [models.Index(fields=["area_path", "closes_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="proposals_poll_closes_after"
            )
        ]

    def __str__(self) -> str:
        return self.question

    @property
    def audit_label(self) -> str:
        return f"poll {self.pk}"

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class Option(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=OPTION_MAX)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="proposals_option_position")
        ]

    def __str__(self) -> str:
        return self.label


class Vote(models.Model):
    """One person's vote. `user` pressed the button (the person's own account or a proxy's)."""

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="votes")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="votes")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_proxy = models.BooleanField(default=False)
    at = models.DateTimeField()
    # Keyed digests (HMAC, the keyring's index key) of the client address and the device
    # cookie — never the values — and when the voting account was made: the anomaly check's
    # evidence.
    address_digest = models.CharField(max_length=32, blank=True)
    device_digest = models.CharField(max_length=32, blank=True)
    account_created_at = models.DateTimeField()
    area_path = models.CharField(max_length=255)  # the poll's

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["poll", "device_digest", "at"]),
            models.Index(fields=["poll", "address_digest", "at"]),
            models.Index(fields=["poll", "at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["poll", "person"], name="proposals_one_vote_per_person")
        ]

    def __str__(self) -> str:
        return f"vote {self.pk} in poll {self.poll_id}"


class Flag(models.Model):
    """An anomaly among a poll's votes, for staff to look at: its evidence is counts, the
    window and vote ids — no personal value. Reviewing it changes no vote."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    # What the votes share: the first characters of the digest, or "" for new accounts.
    subject = models.CharField(max_length=32, blank=True)
    count = models.PositiveIntegerField()
    window_seconds = models.PositiveIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    vote_ids = models.JSONField(default=list)
    flagged_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    area_path = models.CharField(max_length=255)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-flagged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "kind", "subject"], name="proposals_one_flag_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} flag of poll {self.poll_id}"
