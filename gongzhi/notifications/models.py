"""Notifications: the in-app inbox of every user, and the record of every SMS sent.

The inbox (`Notification`) is for everyone, staff and residents. SMS go through the
configured gateway (`gateways.py`) from a background task; each one is an `SmsMessage`
row — the outbox — whatever the gateway, so what was sent, to whom (masked), how and
with what result can always be looked up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.models import BaseModel


class Notification(BaseModel):
    """One message in one user's inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)  # "workorder.dispatched", "system" …
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, max_length=2000)
    url = models.CharField(max_length=500, blank=True)  # a path inside the platform
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_latest"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notif_recipient_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Accepted by the provider")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class SmsMessage(BaseModel):
    """One SMS: the outbox row, written before sending and updated with the outcome."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms"
    )
    to = EncryptedTextField(_("to"), purpose="sms.to", mask="phone")
    to_masked = models.CharField(_("to"), max_length=20)  # listed without decrypting
    text = models.TextField(_("text"))
    kind = models.CharField(max_length=64)
    # A one-time sign-in code: its text is shown in the outbox only for the local gateway
    # and blanked out once another gateway has sent it.
    sensitive = models.BooleanField(default=False)
    gateway = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS outbox")
        indexes = [models.Index(fields=["status", "-created_at"], name="notif_sms_status")]

    def __str__(self) -> str:
        return f"SMS {self.pk} to {self.to_masked} ({self.status})"
