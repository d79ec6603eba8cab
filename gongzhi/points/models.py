"""The points square (能量广场): activities and their proofs, the points ledger, rewards
(能量仓) and their vouchers, and signed certificates of service hours (电子证照).

Points are held by **accounts** (`User`): every volunteer and party member has one, and a
resident signs in by phone. A proxy who signs up a parent without an account gives the
parent a resident account (no password) so that the points are the parent's own.

The **ledger** is append-only: every movement is one `LedgerEntry` tied to its cause by a
unique `source` key ("proof:12", "order-rated:345", "redemption:9" …), so a replayed
event never credits twice. `PointsAccount.balance` is the sum of the holder's entries,
kept in the same transaction as each entry with a database check that it never goes
below zero; tests hold it to the sum.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.models import BaseModel

TITLE_MAX = 120
TEXT_MAX = 4000
REASON_MAX = 500
SIGNING_KEY_PURPOSE = "points.signing_key"


# --- Activities (能量广场) ----------------------------------------------------------------


class ActivityKind(models.TextChoices):
    TOPIC = "topic", pgettext_lazy("activity kind", "Volunteer topic")  # ongoing, e.g. 垃圾分类
    EVENT = "event", pgettext_lazy("activity kind", "Event")  # one date and place


class ProofKind(models.TextChoices):
    PHOTO = "photo", pgettext_lazy("proof kind", "Photo")
    VIDEO = "video", pgettext_lazy("proof kind", "Video")
    TEXT = "text", pgettext_lazy("proof kind", "Written account")
    CHECKIN = "checkin", pgettext_lazy("proof kind", "Check-in by QR at the place")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("activity status", "Draft")
    PUBLISHED = "published", pgettext_lazy("activity status", "Open")
    CLOSED = "closed", pgettext_lazy("activity status", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("activity status", "Cancelled")


class Activity(BaseModel):
    """A volunteer topic or event published for a community or a grid."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)  # the area's path: who sees and manages it
    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    # Where the check-in QR hangs, as WGS-84 degrees, and how far from it a phone that
    # shares its position may check in (optional: the QR at the place is the main proof).
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(default=200)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)  # None: open
    proof_kind = models.CharField(_("proof required"), max_length=8, choices=ProofKind.choices)
    points = models.PositiveIntegerField(_("points per approved participation"))
    hours = models.DecimalField(_("service hours credited"), max_digits=5, decimal_places=1)
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    status = models.CharField(
        max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    # The secret in the activity's check-in QR (rotated by staff if a photo of it leaks).
    checkin_token = models.CharField(max_length=43, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["area_path", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="activity_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", pgettext_lazy("signup status", "Signed up")
    CANCELLED = "cancelled", pgettext_lazy("signup status", "Cancelled")


class Signup(BaseModel):
    """One participant's place in an activity. `participant` holds the points; `signed_up_by`
    is who pressed the button (the participant, or their proxy)."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    area_path = models.CharField(max_length=255)  # the activity's

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "participant"],
                condition=Q(status="signed_up"),
                name="signup_once_per_activity",
            )
        ]


class ProofStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("proof status", "Waiting for review")
    MORE = "more", pgettext_lazy("proof status", "More asked for")
    APPROVED = "approved", pgettext_lazy("proof status", "Approved")
    REJECTED = "rejected", pgettext_lazy("proof status", "Rejected")


class Proof(BaseModel):
    """What a participant submits to show they took part. A photo is stored with its
    perceptual hash and capture time; `flags` lists why a reviewer should look twice
    (a repeated photo, a capture time outside the activity): flagged, never auto-accepted."""

    signup = models.ForeignKey(Signup, on_delete=models.PROTECT, related_name="proofs")
    kind = models.CharField(max_length=8, choices=ProofKind.choices)
    text = models.TextField(max_length=TEXT_MAX, blank=True)
    file = models.CharField(max_length=255, blank=True)  # path under the data directory
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    phash = models.CharField(max_length=16, blank=True, db_index=True)  # imagehash, hex
    taken_at = models.DateTimeField(null=True, blank=True)  # EXIF DateTimeOriginal
    flags = models.JSONField(default=list, blank=True)  # [{"code": ..., "detail": {...}}]
    status = models.CharField(
        max_length=10, choices=ProofStatus.choices, default=ProofStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=REASON_MAX, blank=True)
    area_path = models.CharField(max_length=255)  # the activity's

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances (review_views.queue): the flags in words; not a column.
    shown_flags: list[dict[str, Any]]

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["area_path", "status"])]


# --- The ledger ------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    AWARD = "award", pgettext_lazy("ledger entry", "Award")
    REDEMPTION = "redemption", pgettext_lazy("ledger entry", "Redemption")
    REVERSAL = "reversal", pgettext_lazy("ledger entry", "Reversal")
    EXPIRY = "expiry", pgettext_lazy("ledger entry", "Expiry")
    ADJUSTMENT = "adjustment", pgettext_lazy("ledger entry", "Adjustment")


class HolderKind(models.TextChoices):
    """Who earned it, for rankings kept apart (volunteers, party members, residents)."""

    RESIDENT = "resident", pgettext_lazy("points holder", "Resident")
    VOLUNTEER = "volunteer", pgettext_lazy("points holder", "Volunteer")
    PARTY_MEMBER = "party_member", pgettext_lazy("points holder", "Party member")


class PointsAccount(models.Model):
    """One holder's balance: the sum of their entries, never below zero (a database check),
    updated in the transaction that appends each entry."""

    holder = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"account {self.holder_id}: {self.balance}"


class LedgerEntry(models.Model):
    """One points movement. Never updated or deleted: a correction is a new entry."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    points = models.IntegerField()  # signed: awards positive, redemptions negative
    hours = models.DecimalField(max_digits=6, decimal_places=1, default=0)  # service hours
    # The cause, unique: "proof:<id>", "order-rated:<timeline id>", "order-resolved:<id>",
    # "redemption:<id>", "reversal:<entry id>", "expiry:<holder>:<yyyy>", "adjustment:<id>".
    source = models.CharField(max_length=80, unique=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(max_length=REASON_MAX, blank=True)  # no personal values
    # Where and as whom it was earned (copied when written; rankings group by these).
    area_path = models.CharField(max_length=255)
    holder_kind = models.CharField(max_length=12, choices=HolderKind.choices)
    at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["holder", "at"]),
            # Rankings: a community's (or grid's) month or year, by holder kind. Covering:
            # the ranking's grouped query reads the index alone (benchmarks/points_rankings.py:
            # a community's year 4x faster on SQLite than through `at` and the table).
            models.Index(
                fields=[
                    "area_path",
                    "at",
                    "holder_kind",
                    "holder_id",
                    "kind",
                    "reverses_id",
                    "points",
                    "hours",
                ],
                name="points_ledger_ranking",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(points=0) | ~Q(hours=0), name="ledger_entry_moves_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} ({self.source})"


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("adjustment status", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("adjustment status", "Approved")
    REFUSED = "refused", pgettext_lazy("adjustment status", "Refused")


class Adjustment(BaseModel):
    """A manual correction: proposed with a reason, approved by someone else, then posted."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField()
    hours = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    reason = models.CharField(max_length=REASON_MAX)
    status = models.CharField(
        max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255)

    scope_field = "area_path"
    objects = RestrictedManager()


# --- Rewards (能量仓) -------------------------------------------------------------------


class Reward(BaseModel):
    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)  # the community's
    name = models.CharField(_("name"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    price = models.PositiveIntegerField(_("points"))
    stock = models.IntegerField(_("in stock"), default=0)
    active = models.BooleanField(default=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="reward_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("voucher status", "Voucher issued")
    HANDED_OVER = "handed_over", pgettext_lazy("voucher status", "Handed over")
    CANCELLED = "cancelled", pgettext_lazy("voucher status", "Cancelled")


class Redemption(BaseModel):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    redeemed_by = models.ForeignKey(  # the holder, or their proxy
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    points = models.PositiveIntegerField()
    # What the voucher's QR carries and staff type at the exchange point (no personal data).
    voucher = models.CharField(max_length=16, unique=True)
    status = models.CharField(
        max_length=12, choices=RedemptionStatus.choices, default=RedemptionStatus.ISSUED
    )
    # The ledger entry that paid for it: its source names the redemption ("redemption:<id>"),
    # so it is posted just after the row is inserted, in the same transaction (never empty
    # once committed: `rewards.redeem` is the one writer).
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    area_path = models.CharField(max_length=255)  # the reward's community

    scope_field = "area_path"
    objects = RestrictedManager()


# --- Certificates (电子证照) ----------------------------------------------------------------


class SigningAlgorithm(models.TextChoices):
    ED25519 = "ed25519", "Ed25519"
    SM2 = "sm2", "SM2 (SM3)"


class SigningKey(BaseModel):
    """A community's certificate key. The public half is published; the private half is
    sealed. A rotation retires the key (it signs no more) and keeps it for verification."""

    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255)
    key_id = models.CharField(max_length=32, unique=True)  # short fingerprint of the public key
    algorithm = models.CharField(max_length=8, choices=SigningAlgorithm.choices)
    public_key = models.TextField()  # hex (raw Ed25519, or SM2's uncompressed point)
    private_key = EncryptedTextField(purpose=SIGNING_KEY_PURPOSE, mask="text")
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(retired_at=None),
                name="one_signing_key_per_community",
            )
        ]


class Certificate(BaseModel):
    """A signed statement of someone's service hours. `payload` is the exact signed text
    (canonical JSON); the QR carries payload and signature, so it verifies offline."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="certificates")
    serial = models.CharField(max_length=32, unique=True)
    payload = models.TextField()
    signature = models.CharField(max_length=256)
    hours = models.DecimalField(max_digits=7, decimal_places=1)
    period_start = models.DateField()
    period_end = models.DateField()
    area_path = models.CharField(max_length=255)

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances (certificate_views): the masked name it states; not a column.
    holder_label: str


# --- Catching up on other modules' events --------------------------------------------------


class EventCursor(models.Model):
    """How far a consumer has read another module's events (`name`: which stream). The
    catch-up job moves it forward after applying each event; the ledger's unique sources
    make a replay from behind the cursor harmless."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"
