"""Upstream lists, the watch list built from them, and vaccinations.

An **upstream list** (the provincial big-data centre's arrivals, a fever clinic's list) is
uploaded for an area; the worker matches its rows against that area's register. Every
row becomes a **watch entry**: the matched person (or none: "not in the register"), the
grid it is routed to, the responsible grid worker, and the follow-up (online review →
offline verification → outcome). The uploaded ID numbers and phones are stored encrypted,
with blind indexes of the register's purposes, so the match never decrypts the register.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.models import BaseModel
from gongzhi.health.states import (
    EntryStatus,
    ListKind,
    ListStatus,
    Outcome,
    Tier,
    VerificationMethod,
)
from gongzhi.registry import rows as register_rows


class UpstreamList(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ListKind.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # The upload, under DATA_DIR/uploads until it is matched (then removed: its rows are
    # kept encrypted in the entries).
    filename = models.CharField(_("file"), max_length=200)
    file_path = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8, blank=True)
    columns = models.JSONField(default=dict, blank=True)  # header -> field
    status = models.CharField(
        _("status"), max_length=16, choices=ListStatus.choices, default=ListStatus.UPLOADED
    )
    counts = models.JSONField(default=dict, blank=True)  # rows, per tier, with problems
    errors = models.JSONField(default=dict, blank=True)  # field -> messages, when failed
    attempts = models.PositiveSmallIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    match_started_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("upstream list")
        verbose_name_plural = _("upstream lists")

    def __str__(self) -> str:
        return self.name


class WatchEntry(BaseModel):
    """One row of an upstream list, matched (or not) and followed up."""

    upstream_list = models.ForeignKey(
        UpstreamList, on_delete=models.CASCADE, related_name="entries"
    )
    row_number = models.PositiveIntegerField()
    # The row as the list gives it (normalised).
    name = models.CharField(pgettext_lazy("person", "name"), max_length=40, blank=True)
    id_number = EncryptedTextField(
        _("resident ID number"),
        purpose=register_rows.ID_NUMBER_PURPOSE,  # the register's: the blind indexes compare
        mask=register_rows.ID_NUMBER_MASK,
        blind_index_field="id_number_index",
    )
    id_number_index = models.CharField(max_length=32, blank=True, db_index=True)
    phone = EncryptedTextField(
        _("phone"),
        purpose=register_rows.PHONE_PURPOSE,
        mask=register_rows.PHONE_MASK,
        blind_index_field="phone_index",
    )
    phone_index = models.CharField(max_length=32, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    address = models.CharField(_("stated address"), max_length=200, blank=True)
    problems = models.JSONField(default=dict, blank=True)  # field -> messages
    # The match.
    tier = models.CharField(_("match"), max_length=16, choices=Tier.choices)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidates = models.JSONField(default=list, blank=True)  # person ids, when ambiguous
    id_conflict = models.BooleanField(default=False)  # matched by name, the ID differs
    # Where it is followed up: the person's building, or the routed building / grid, or
    # the list's own area when the address could not be routed.
    area_path = models.CharField(max_length=255, db_index=True)
    grid = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The follow-up.
    status = models.CharField(
        _("status"), max_length=16, choices=EntryStatus.choices, default=EntryStatus.TO_REVIEW
    )
    review_note = models.CharField(_("review"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(
        _("verification method"), max_length=16, choices=VerificationMethod.choices, blank=True
    )
    found = models.BooleanField(_("found"), null=True, blank=True)
    verification_note = models.CharField(_("verification"), max_length=500, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["upstream_list_id", "row_number"]
        verbose_name = _("watch-list entry")
        verbose_name_plural = _("watch-list entries")
        indexes = [
            models.Index(fields=["status", "area_path"], name="health_entry_status_path"),
            models.Index(fields=["assignee", "status"], name="health_entry_assignee"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream_list", "row_number"], name="health_entry_one_per_row"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.row_number}"

    @property
    def audit_label(self) -> str:
        """How the audit log names an entry: by number, never by the listed name."""
        return f"#{self.pk}"


class WatchEvent(models.Model):
    """The timeline of an entry: each transition and assignment, with its note."""

    entry = models.ForeignKey(WatchEntry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


class Vaccination(BaseModel):
    """One dose given to a person of the register (接种记录)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="vaccinations"
    )
    dose = models.PositiveSmallIntegerField(_("dose"))
    vaccine = models.CharField(_("vaccine"), max_length=60)
    vaccinated_on = models.DateField(_("vaccinated on"))
    site = models.CharField(_("site"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["person_id", "dose"]
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "dose"], name="health_vaccination_one_per_dose"
            ),
            models.CheckConstraint(
                condition=models.Q(dose__gte=1, dose__lte=5), name="health_vaccination_dose_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} #{self.dose}"
