"""Notices (通知公告): news, policy and urgent messages for a community, grids or buildings,
with attachments, read receipts and the SMS reminders of urgent ones.

A notice targets one or more areas (`NoticeTarget`, each keeping a copy of its area's path);
a resident sees it when their household lies within one of them. `Notice.area_path` is the
lowest common ancestor of the targets: where the notice "lives" for the audit log and for
checking that whoever edits it may publish there. Staff lists are scoped through the
targets (`NoticeTarget.objects.restrict`), so a grid worker sees the community's notices
that reach their grid, but not one that only targets another grid.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel

TITLE_MAX = 120
BODY_MAX = 5000
# Urgent notices: minutes after publishing before an unread elder gets an SMS.
SMS_DELAY_DEFAULT = 120
SMS_DELAY_MIN = 15
SMS_DELAY_MAX = 24 * 60


class NoticeKind(models.TextChoices):
    NEWS = "news", pgettext_lazy("notice kind", "News")
    POLICY = "policy", pgettext_lazy("notice kind", "Policy")
    URGENT = "urgent", pgettext_lazy("notice kind", "Urgent")


class Notice(BaseModel):
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    kind = models.CharField(
        _("kind"), max_length=12, choices=NoticeKind.choices, default=NoticeKind.NEWS
    )
    # The lowest common ancestor of the targets (see the module's docstring).
    area_path = models.CharField(max_length=255, db_index=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    published_at = models.DateTimeField(_("publish at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    sms_delay_minutes = models.PositiveSmallIntegerField(
        _("SMS after (minutes)"),
        default=SMS_DELAY_DEFAULT,
        validators=[MinValueValidator(SMS_DELAY_MIN), MaxValueValidator(SMS_DELAY_MAX)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "area_path"
    objects = RestrictedManager()
    # Set on a page's instances (views.notice_list, selectors.notice_state); not a column.
    state: str

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("published_at")),
                name="notices_notice_expires_after_publish",
            ),
            models.CheckConstraint(
                condition=models.Q(sms_delay_minutes__gte=SMS_DELAY_MIN)
                & models.Q(sms_delay_minutes__lte=SMS_DELAY_MAX),
                name="notices_notice_sms_delay_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        return f"#{self.pk}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_urgent(self) -> bool:
        return self.kind == NoticeKind.URGENT


class NoticeTarget(models.Model):
    """One area a notice is for; `path` is the area's path when the notice was published."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="targets")
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255, db_index=True)

    scope_field = "path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "area"], name="notices_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}→{self.path}"


class NoticeAttachment(models.Model):
    """A PDF or an image, checked by its content and stored privately under the data
    directory (`uploads.py`)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=120)
    path = models.CharField(max_length=300)  # relative to the uploads directory
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class NoticeReceipt(models.Model):
    """A person has read a notice: one per (notice, person), whoever opened it for them."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["-read_at"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "person"], name="notices_receipt_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.person_id}"


class NoticeReminder(models.Model):
    """An urgent notice's SMS to an unread elder: at most one per (notice, person)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reminders")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    sms = models.ForeignKey(
        "notifications.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "person"], name="notices_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.person_id}"
