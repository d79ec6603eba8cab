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

    # A declaration's entry has no list (and no row): see `Declaration.entry`.
    upstream_list = models.ForeignKey(
        UpstreamList, null=True, blank=True, on_delete=models.CASCADE, related_name="entries"
    )
    row_number = models.PositiveIntegerField(null=True, blank=True)
    # A row about a person who already has an open entry joins it instead of doubling it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
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


# --- health services (疫情防控服务专区) --------------------------------------------------------
#
# Every record made for health carries `retain_until`, set by `health.sunset.retain_until`
# from the policy when it is written; the worker deletes or anonymises what is due
# (`health.sunset`). `retention` names the policy's kind; the purge finds every model that
# declares one (outreach's answers included), so a new health record is purged by declaring
# it. Normal-mode register data (households, persons, vaccinations) has no `retention`.


class TravelMode(models.TextChoices):
    TRAIN = "train", _("Train")
    PLANE = "plane", _("Plane")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    OTHER = "other", _("Other")


class DeclarationStatus(models.TextChoices):
    PENDING_PERSON = "pending_person", _("Waiting for the grid worker to confirm the person")
    MATCHED = "matched", _("Matched to the register")
    REJECTED = "rejected", _("Not a person of this community")


class Declaration(BaseModel):
    """返乡/外来人员登记: an arrival declared by the person (or a proxy) through the
    community's QR link. Matched to the register on blind indexes, or kept as a pending
    person for the grid worker to confirm; it becomes (or joins) a watch-list entry."""

    retention = "declaration"

    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)  # building, grid or community
    building = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = EncryptedTextField(
        pgettext_lazy("person", "name"), purpose="declaration.name", mask="name"
    )
    id_number = EncryptedTextField(
        _("resident ID number"),
        purpose=register_rows.ID_NUMBER_PURPOSE,
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
    phone_index = models.CharField(max_length=32, blank=True, db_index=True)
    origin = models.CharField(_("coming from"), max_length=100)
    arrived_on = models.DateField(_("arrived on"))
    travel_mode = models.CharField(_("travel mode"), max_length=10, choices=TravelMode.choices)
    address = EncryptedTextField(_("address here"), purpose="declaration.address", mask="all")
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)  # codes
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=DeclarationStatus.choices)
    entry = models.ForeignKey(
        WatchEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="declarations"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("arrival declaration")
        verbose_name_plural = _("arrival declarations")

    def __str__(self) -> str:
        return f"declaration #{self.pk}"

    @property
    def audit_label(self) -> str:
        return f"#{self.pk}"


class SessionKind(models.TextChoices):
    TEST = "test", _("Testing (核酸)")
    VACCINATION = "vaccination", _("Vaccination")


class TestingSession(BaseModel):
    """A sampling or vaccination session at a place, with a capacity residents book into."""

    __test__ = False  # not a pytest test class

    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=SessionKind.choices)
    place = models.CharField(_("place"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    vaccine = models.CharField(_("vaccine"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.place} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")


class Booking(BaseModel):
    """A resident's pre-registration (预约) for a session: one per person and session."""

    retention = "booking"

    session = models.ForeignKey(TestingSession, on_delete=models.CASCADE, related_name="bookings")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["session_id", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="health_booking_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"booking #{self.pk}"


class SampleKind(models.TextChoices):
    PCR = "pcr", _("Nucleic-acid test (核酸)")
    ANTIGEN = "antigen", _("Antigen test")


class SampleResult(models.TextChoices):
    PENDING = "pending", _("Waiting for the result")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INVALID = "invalid", _("Invalid")


class LabBatch(BaseModel):
    """A lab's results file (XLSX/CSV), matched to samples on blind indexes."""

    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    filename = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=16, default="uploaded")
    counts = models.JSONField(default=dict, blank=True)  # rows, matched, unknown, problems
    problems = models.JSONField(default=list, blank=True)  # [{row, field, code}]: no values
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lab results file")
        verbose_name_plural = _("lab results files")

    def __str__(self) -> str:
        return self.filename


class Sample(BaseModel):
    """One test taken from a person (at a sampling point, or alone) and its result."""

    retention = "test"

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    session = models.ForeignKey(
        TestingSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SampleKind.choices)
    tube_code = models.CharField(_("tube code"), max_length=40, blank=True, db_index=True)
    sampled_at = models.DateTimeField(_("sampled at"))
    result = models.CharField(
        _("result"), max_length=10, choices=SampleResult.choices, default=SampleResult.PENDING
    )
    result_at = models.DateTimeField(_("result at"), null=True, blank=True)
    lab_batch = models.ForeignKey(
        LabBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-sampled_at", "-id"]
        verbose_name = _("test")
        verbose_name_plural = _("tests")
        indexes = [models.Index(fields=["person", "-sampled_at"], name="health_sample_person")]

    def __str__(self) -> str:
        return f"sample #{self.pk}"


class Venue(BaseModel):
    """场所码: a place residents check in at by scanning its QR (`code` is the random key
    in the link; it names nothing)."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    code = models.CharField(max_length=32, unique=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """One scan of a venue's code: the lean path writes exactly this row."""

    retention = "checkin"
    retention_recorded_at = "at"  # health.sunset: when it was made

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255)  # the venue's
    at = models.DateTimeField()
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_index = models.CharField(max_length=32, blank=True)  # checked in by phone code
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["venue", "at"], name="health_checkin_venue_at"),
            models.Index(fields=["person", "at"], name="health_checkin_person_at"),
            models.Index(fields=["phone_index", "at"], name="health_checkin_phone_at"),
        ]

    def __str__(self) -> str:
        return f"check-in #{self.pk}"


class StatusColor(models.TextChoices):
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")


class StatusRuleSet(BaseModel):
    """健康码 rules as data: one version per change, with who changed it and why. The
    community's latest version applies; the root's is the default."""

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    version = models.PositiveIntegerField()
    rules = models.JSONField(default=list)
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_id", "-version"]
        verbose_name = _("status rules")
        verbose_name_plural = _("status rules")
        constraints = [
            models.UniqueConstraint(fields=["area", "version"], name="health_rules_one_per_version")
        ]

    def __str__(self) -> str:
        return f"rules v{self.version}"


class HealthStatus(BaseModel):
    """A person's current health status (one row per person) and why."""

    retention = "status"

    person = models.OneToOneField("registry.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    color = models.CharField(_("status"), max_length=8, choices=StatusColor.choices)
    reasons = models.JSONField(default=list, blank=True)  # [{"rule": id, "text": ...}]
    rule_set = models.ForeignKey(
        StatusRuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField()
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        verbose_name = _("health status")
        verbose_name_plural = _("health statuses")
        indexes = [models.Index(fields=["area_path", "color"], name="health_status_path_color")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.color}"


class Purge(models.Model):
    """One run of the data sunset: what it removed, per kind (counts only)."""

    at = models.DateTimeField()
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"purge @ {self.at:%Y-%m-%d %H:%M}"
