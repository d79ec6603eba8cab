from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One append-only, hash-chained record of a change or of a read of personal data.

    `hash` covers every other column and the previous entry's hash, so changing, removing
    or reordering any entry breaks the chain from that entry on. Database triggers refuse
    UPDATE and DELETE on this table (see the migration); the chain catches whoever drops
    them. Personal values never appear here: only the names of the fields that changed.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    fields = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    via = models.CharField(max_length=8, blank=True)
    prev_hash = models.CharField(max_length=80)
    hash = models.CharField(max_length=80, unique=True)

    # Scoped through `accounts.access.restrict` (the audit layer sits below accounts, so no
    # RestrictedManager here); entries with no area are for whole-tree auditors only.
    scope_field = "area_path"

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The end of the chain: one row, locked by each append so appends line up."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=80, default="")

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditVerification(models.Model):
    """The result of a run of `audit verify` (by the command or the periodic job)."""

    at = models.DateTimeField()
    ok = models.BooleanField()
    entries = models.BigIntegerField()
    first_broken_seq = models.BigIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"verification {self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'BROKEN'}"
