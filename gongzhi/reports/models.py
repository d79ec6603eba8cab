"""One data, many reports: a department's template, mapped once, filled many times.

A **report template** is a department's own XLSX (its title, header, styles and footer
kept), uploaded once for an area, with its columns mapped to fields of a data set of the
register and filters; it may be filled on a schedule. A **report** is one filling: the
XLSX as produced, kept (encrypted at rest) with what produced it, for its history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel
from gongzhi.reports.catalogue import DATASET_CHOICES


class Schedule(models.TextChoices):
    NONE = "", _("On demand only")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    FILLING = "filling", _("Filling")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("On demand")
    SCHEDULE = "schedule", _("Scheduled")


class ReportTemplate(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    builtin = models.CharField(max_length=40, blank=True)  # a ready-made template's code
    dataset = models.CharField(_("data"), max_length=32, choices=DATASET_CHOICES)
    # The department's workbook, under DATA_DIR/uploads (no personal data in it).
    filename = models.CharField(_("file"), max_length=200)
    file_path = models.CharField(max_length=300)
    file_size = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    sheet = models.CharField(max_length=31)
    header_row = models.PositiveIntegerField()  # the (lowest) header row, 1-based
    headers = models.JSONField(default=list)  # [{"column": 1, "letter": "A", "header": "姓名"}]
    columns = models.JSONField(default=list)  # [{"column", "field", "transform", "arg"}]
    filters = models.JSONField(default=dict, blank=True)
    schedule = models.CharField(
        _("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NONE, blank=True
    )
    schedule_hour = models.PositiveSmallIntegerField(default=8)
    schedule_weekday = models.PositiveSmallIntegerField(default=0)  # 0 = Monday
    schedule_day = models.PositiveSmallIntegerField(default=1)  # 1–28
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Scheduled fillings act with this user's rights (who set the schedule).
    schedule_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["area_path", "name", "pk"]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule_hour__lte=23)
                & models.Q(schedule_weekday__lte=6)
                & models.Q(schedule_day__gte=1, schedule_day__lte=28),
                name="reports_template_schedule_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Report(BaseModel):
    """One filling of a template, kept with its history."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.PROTECT, related_name="reports")
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    template_version = models.PositiveIntegerField(default=1)
    # The file, encrypted with the keyring (it may hold personal data).
    file_path = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    full_values = models.BooleanField(default=False)  # holds unmasked ID numbers / phones
    notes = models.JSONField(default=list, blank=True)  # warnings while filling
    errors = models.JSONField(default=dict, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.template.name} · {self.as_of:%Y-%m-%d}"
