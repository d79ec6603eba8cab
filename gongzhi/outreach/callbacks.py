"""Provider callbacks: deliveries, failures and answers for a campaign's attempts.

`callback_record` is the one way an attempt moves after it was sent, whoever reports it:
the HTTP provider's signed callback endpoint, the local gateway's "simulate" buttons on
the campaign page (provider "local") and a resident's tap on an app notice (provider
"notice"). It is idempotent (one `CallbackEvent` per provider and event id) and safe for
events out of order: an attempt only moves forward (sent < delivered < answered; a
"failed" counts only before a delivery).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from gongzhi.core import clock
from gongzhi.health.sunset import retain_until
from gongzhi.outreach import dispatch
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    CallbackEvent,
    Campaign,
    OptOut,
    Recipient,
    RecipientState,
)

# Kinds a callback may report ("reply" is an SMS reply, said like a keypad answer).
KINDS = ("sent", "delivered", "failed", "answered", "reply")
# What a recipient says to be left alone: the keypad's 9, or "TD" (退订) in an SMS reply.
OPT_OUT_ANSWERS = frozenset({"9", "TD", "退订"})
OPT_OUT_DIGIT = "9"

# How far an attempt has come; it never moves back.
RANK: dict[str, int] = {
    AttemptStatus.QUEUED: 0,
    AttemptStatus.SENT: 1,
    AttemptStatus.FAILED: 1,
    AttemptStatus.DELIVERED: 2,
    AttemptStatus.ANSWERED: 3,
}
# States in which a recipient still takes an answer (a late answer after escalation to a
# visit still counts: the grid worker sees it on the campaign).
ANSWERABLE = (
    RecipientState.PENDING,
    RecipientState.WAITING,
    RecipientState.ESCALATED,
    RecipientState.FAILED,
)


def _normalise(digit: str) -> str:
    return str(digit or "").strip().upper()[:4]


def callback_record(
    *,
    provider: str,
    event_id: str,
    reference: str,
    kind: str,
    digit: str = "",
    occurred_at: dt.datetime | None = None,
) -> bool:
    """Record one callback. True when it was new and about a known attempt; False for a
    repeat (nothing changes), an unknown reference or an unknown kind (recorded, ignored)."""
    now = clock.now()
    at = occurred_at or now
    provider, event_id, reference = str(provider)[:40], str(event_id)[:100], str(reference)[:40]
    kind = str(kind).strip().lower()[:16]
    with transaction.atomic():
        try:
            with transaction.atomic():
                CallbackEvent.objects.create(
                    provider=provider,
                    event_id=event_id,
                    reference=reference,
                    kind=kind,
                    occurred_at=occurred_at,
                    received_at=now,
                )
        except IntegrityError:
            return False  # a repeat
        if kind not in KINDS:
            return False
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("recipient", "campaign")
            .filter(reference=reference)
            .first()
        )
        if attempt is None:
            return False
        if kind in ("answered", "reply"):
            _answer(attempt, _normalise(digit), at, now)
        elif kind == "delivered":
            _advance(attempt, AttemptStatus.DELIVERED, at)
        elif kind == "sent":
            _advance(attempt, AttemptStatus.SENT, at)
        else:
            _fail(attempt, at, now)
        return True


def _advance(attempt: Attempt, status: str, at: dt.datetime) -> bool:
    """Move `attempt` to `status` when that is forward; fill the step's time either way."""
    fields: list[str] = []
    if status == AttemptStatus.DELIVERED and attempt.delivered_at is None:
        attempt.delivered_at, fields = at, [*fields, "delivered_at"]
    if status == AttemptStatus.ANSWERED and attempt.answered_at is None:
        attempt.answered_at, fields = at, [*fields, "answered_at"]
    if status == AttemptStatus.SENT and attempt.sent_at is None:
        attempt.sent_at, fields = at, [*fields, "sent_at"]
    moved = RANK[status] > RANK[attempt.status]
    if moved:
        attempt.status, fields = status, [*fields, "status"]
    if fields:
        attempt.save(update_fields=fields)
    return moved


def _fail(attempt: Attempt, at: dt.datetime, now: dt.datetime) -> None:
    """A provider's late failure: counts only while the attempt was not delivered, and
    moves its recipient on (retry or next channel) when it was waiting on this attempt."""
    if attempt.status not in (AttemptStatus.QUEUED, AttemptStatus.SENT):
        return
    attempt.status, attempt.error = AttemptStatus.FAILED, "provider reported a failure"
    attempt.save(update_fields=["status", "error"])
    recipient = Recipient.objects.select_for_update().get(pk=attempt.recipient_id)
    if recipient.state != RecipientState.WAITING or not _is_latest(attempt):
        return
    campaign: Campaign = attempt.campaign
    dispatch.step_after_failure(recipient, campaign, now, retryable=True)
    recipient.save(update_fields=["state", "channel_index", "tries", "next_at"])


def _is_latest(attempt: Attempt) -> bool:
    latest = (
        Attempt.objects.filter(recipient_id=attempt.recipient_id).order_by("-id").values("id")[:1]
    )
    return latest[0]["id"] == attempt.pk if latest else False


def _answer(attempt: Attempt, digit: str, at: dt.datetime, now: dt.datetime) -> None:
    _advance(attempt, AttemptStatus.ANSWERED, at)
    if not attempt.digit and digit:
        attempt.digit = digit
        attempt.save(update_fields=["digit"])
    recipient = (
        Recipient.objects.select_for_update().select_related("person").get(pk=attempt.recipient_id)
    )
    campaign: Campaign = attempt.campaign
    if digit in OPT_OUT_ANSWERS:
        index = recipient.person.phone_index
        if index:
            OptOut.objects.get_or_create(
                phone_index=index,
                channel="",
                defaults={"created_at": now, "source": _opt_out_source(attempt.channel)},
            )
        if recipient.state != RecipientState.OPTED_OUT:
            recipient.state, recipient.next_at = RecipientState.OPTED_OUT, None
            recipient.retain_until = retain_until("campaign", now)
            recipient.save(update_fields=["state", "next_at", "retain_until"])
        return
    if digit not in (campaign.choices or {}) or recipient.state not in ANSWERABLE:
        return  # a key that means nothing here, or the first answer already counted
    recipient.state, recipient.answer, recipient.answered_at = RecipientState.ANSWERED, digit, at
    recipient.answered_via, recipient.next_at = attempt.channel, None
    recipient.retain_until = retain_until("campaign", now)
    recipient.save(
        update_fields=["state", "answer", "answered_at", "answered_via", "next_at", "retain_until"]
    )


def _opt_out_source(channel: str) -> str:
    return {"sms": "sms_reply", "voice": "keypad", "notice": "notice"}.get(channel, "keypad")
