"""A spreadsheet import of the register: the uploaded file, its column mapping, the check
(a dry run listing every row's problems) and the commit, with each row's outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: check the columns")
    CHECKING = "checking", _("Checking rows")
    CHECKED = "checked", _("Checked: ready to import")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


class ImportPhase(models.TextChoices):
    CHECK = "check", _("Check")
    COMMIT = "commit", _("Import")


class ImportBatch(BaseModel):
    """One uploaded file and what became of it. Counts are those of the latest phase."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    # Who may see the batch: users holding register.import on this node (the uploader's
    # area within the community).
    area_path = models.CharField(max_length=255, db_index=True)
    # Where rows may land: the requester's register.import paths when the phase was asked
    # for (an API key's one membership, not all of its user's).
    scope_paths = models.JSONField(default=list)
    filename = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=100, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    format = models.CharField(max_length=8)
    encoding = models.CharField(max_length=16, blank=True)
    sheet = models.CharField(max_length=100, blank=True)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # field -> column index in `header`
    sample = models.JSONField(default=list)  # the first rows, masked, for the preview
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    phase = models.CharField(max_length=8, choices=ImportPhase.choices, blank=True)
    attempt = models.PositiveIntegerField(default=0)  # bumped by each check or commit asked
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    rows_warned = models.PositiveIntegerField(default=0)  # imported with a value left out
    households_created = models.PositiveIntegerField(default=0)
    # Buildings the rows name that are not in the importer's area (from the check):
    # {"new": [{compound, building, new_compound, rows}], "questions": [{compound,
    # building, where, rows}], "grids": [[id, name]] where new ones may go, "created":
    # [[compound, building, area id]] by the commit}. Names of places, no personal value.
    places = models.JSONField(default=dict)
    # The importer's answer in the preview: make the proposed buildings, under this grid.
    create_buildings = models.BooleanField(default=False)
    building_grid = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_rows = models.PositiveIntegerField(default=0)  # rows_total of the last check
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"


class ImportOutcome(models.TextChoices):
    CREATED = "created", _("New")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged")
    ERROR = "error", _("Problem")


class ImportChunk(models.Model):
    """The outcome of a run of consecutive rows, kept compactly: one row per few thousand
    spreadsheet rows instead of one per row (a million-row import stays cheap).

    `rows` is a list of `[row number, outcome, person id | null, details]`, where details
    is a list of `[field, code, message]` problems, or of changed field names.
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="chunks")
    phase = models.CharField(max_length=8, choices=ImportPhase.choices)
    seq = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)  # imported rows listed for correction
    rows = models.JSONField(default=list)

    class Meta:
        ordering = ["batch", "phase", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "phase", "seq"], name="imports_chunk_one_per_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.phase}/{self.seq}"
