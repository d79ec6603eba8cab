"""Outreach campaigns (智能外呼): an audience, a script, channels in order, a pace.

A **campaign** picks its audience once, when it starts: one `Recipient` per person. The
worker dispatches at the campaign's pace outside its quiet hours, one `Attempt` per
message or call, through the outreach gateways (`gateways.py`). Providers call back with
deliveries and keypad answers (idempotent: `CallbackEvent`). A recipient who does not
answer on one channel moves to the next (SMS → voice → app notice → home visit); the last
channel is a `visits.VisitTask` for their grid worker. Answers are health data: they carry
`retain_until` like every record the health services make.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.access import RestrictedManager
from gongzhi.core.models import BaseModel


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Robot call")
    NOTICE = "notice", _("App notice")
    VISIT = "visit", _("Home visit")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(BaseModel):
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    # {"kind": "watch_list" | "tag" | "grid" | "upstream_list" | "non_responders", ...ids}
    audience = models.JSONField(_("audience"), default=dict)
    sms_text = models.TextField(_("SMS text"), max_length=500, blank=True)
    voice_script = models.TextField(_("robot-call script"), max_length=1000, blank=True)
    choices = models.JSONField(_("keypad choices"), default=dict, blank=True)  # {"1": "已报到"}
    channels = models.JSONField(_("channels"), default=list)  # Channel values, in order
    pace_per_minute = models.PositiveIntegerField(_("pace (per minute)"))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(_("retries per channel"), default=1)
    retry_minutes = models.PositiveIntegerField(_("minutes between tries"), default=30)
    answer_minutes = models.PositiveIntegerField(_("minutes to wait for an answer"), default=60)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class RecipientState(models.TextChoices):
    PENDING = "pending", _("Waiting to be contacted")
    WAITING = "waiting", _("Contacted, waiting for an answer")
    ANSWERED = "answered", _("Answered")
    ESCALATED = "escalated", _("Home visit asked")
    FAILED = "failed", _("Could not be reached")
    OPTED_OUT = "opted_out", _("Opted out")


class Recipient(models.Model):
    retention = "campaign"
    retention_recorded_at = "campaign__created_at"  # health.sunset: when it was made

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255)
    state = models.CharField(max_length=10, choices=RecipientState.choices, default="pending")
    channel_index = models.PositiveSmallIntegerField(default=0)  # into campaign.channels
    tries = models.PositiveSmallIntegerField(default=0)  # on the current channel
    next_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=4, blank=True)  # the keypad choice
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=8, blank=True)
    visit_task = models.ForeignKey(
        "visits.VisitTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    scope_field = "area_path"
    objects = RestrictedManager()

    class Meta:
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="outreach_one_per_person")
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "next_at"], name="outreach_recipient_due")
        ]

    def __str__(self) -> str:
        return f"recipient #{self.pk}"


class AttemptStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    ANSWERED = "answered", _("Answered")
    FAILED = "failed", _("Failed")


class Attempt(models.Model):
    """One message or call to one recipient; `reference` is what the provider echoes."""

    retention = "campaign"
    retention_path = "recipient__area_path"  # health.sunset: where it lies

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="attempts")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    reference = models.CharField(max_length=40, unique=True)
    gateway = models.CharField(max_length=40, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default="queued")
    error = models.CharField(max_length=300, blank=True)
    digit = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "status"], name="outreach_attempt_status")]

    def __str__(self) -> str:
        return f"attempt {self.reference}"


class CallbackEvent(models.Model):
    """A provider's callback, once: a repeat of the same event id changes nothing."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    reference = models.CharField(max_length=40)
    kind = models.CharField(max_length=16)  # delivered | failed | answered
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="outreach_callback_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class OptOut(models.Model):
    """A number that asked not to be contacted by campaigns (on a channel, or all)."""

    phone_index = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, blank=True)  # blank: every channel
    created_at = models.DateTimeField()
    source = models.CharField(max_length=40)  # "sms_reply", "keypad", "staff"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_index", "channel"], name="outreach_optout_once")
        ]

    def __str__(self) -> str:
        return f"opt-out #{self.pk}"
