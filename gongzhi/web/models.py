"""A long export made by the worker (`web.exports`): who asked, how far it is, the file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """One list download too long to write while the page waits.

    Only the user who asked may see or download it. The rows to write are the page's own
    scoped, filtered queryset, kept encrypted (`query`, it may hold a search term) until
    the worker has read it; the file is kept encrypted under the data directory until
    `expires_at`, then removed. The audit entry is the export's one entry, recorded when
    the file is written, as for a download made on the spot.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    export = models.CharField(max_length=100)  # the declaration's name
    fmt = models.CharField(max_length=8)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)  # rows counted when asked
    done = models.PositiveIntegerField(default=0)  # rows written so far
    query = models.TextField(blank=True)  # sealed; emptied once read
    filters = models.JSONField(default=list, blank=True)  # kinds only, as the audit entry
    object_id = models.CharField(max_length=64, blank=True)
    filename = models.CharField(max_length=200)  # stem, without the extension
    header = models.JSONField(default=list, blank=True)  # for exports without columns
    host = models.CharField(max_length=255, blank=True)
    secure = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    file_path = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["expires_at"], name="web_exportjob_expires")]

    def __str__(self) -> str:
        return f"export job #{self.pk} {self.export} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0
