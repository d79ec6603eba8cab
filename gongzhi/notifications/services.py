"""Writes for notifications: the inbox, and SMS through the configured gateway.

`notify` is what other apps call. The inbox rows are written in the caller's transaction;
SMS are recorded in the outbox in the same transaction and sent after it commits, by a
background task, so a slow or failing provider never holds up a request and a rolled-back
change sends nothing.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from gongzhi.core import clock
from gongzhi.core.fields import reveal
from gongzhi.core.masking import mask_phone
from gongzhi.notifications import gateways
from gongzhi.notifications.models import Notification, SmsMessage, SmsStatus

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)
TITLE_MAX = 200
BODY_MAX = 2000
SMS_MAX = 300  # a few concatenated SMS at most; providers cut longer texts
DEFAULT_SIGNATURE = "【共治】"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _recipients(recipients: Any) -> list[Any]:
    """Users (or user ids), each once, active ones only, in the order given."""
    user_model = get_user_model()
    if recipients is None:
        return []
    if isinstance(recipients, user_model | int):
        recipients = [recipients]
    users: list[Any] = []
    ids: list[int] = []
    for item in recipients:
        if isinstance(item, user_model):
            users.append(item)
        elif item is not None:
            ids.append(int(item))
    if ids:
        users.extend(user_model.objects.filter(pk__in=ids))
    seen: set[int] = set()
    unique = []
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        unique.append(user)
    return unique


def sms_text(title: str, body: str = "") -> str:
    """`【共治】title: body`, cut to SMS_MAX characters."""
    signature = _setting("GONGZHI_SMS_SIGNATURE", DEFAULT_SIGNATURE)
    text = f"{signature}{title}" + (f"：{body}" if body else "")
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"


@transaction.atomic
def notify(
    *,
    recipients: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    sms: bool = False,
    sms_body: str | None = None,
    actor: Actor = None,
    obj: Any = None,
) -> list[Notification]:
    """Put a notification in each recipient's inbox; with `sms`, also text each recipient
    who has a mobile number (sent after commit by a background task). `sms_body` replaces
    `body` in the SMS ("" for the title alone): the inbox is the recipient's own, an SMS
    passes the outbox and the provider."""
    users = _recipients(recipients)
    title, body, url = str(title), str(body or ""), str(url or "")  # lazy texts welcome
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind[:64],
            title=title[:TITLE_MAX],
            body=body[:BODY_MAX],
            url=url[:500],
            actor=actor if getattr(actor, "pk", None) else None,
            object_type=object_type,
            object_id=object_id,
        )
        for user in users
    )
    if sms:
        text = sms_text(title, body if sms_body is None else str(sms_body))
        for user, note in zip(users, notes, strict=True):
            if user.phone:
                sms_send(
                    phone=user.phone.reveal(), text=text, kind=kind, recipient=user,
                    notification=note,
                )  # fmt: skip
    return notes


@transaction.atomic
def sms_send(
    *,
    phone: str,
    text: str,
    kind: str,
    recipient: Any = None,
    notification: Notification | None = None,
    sensitive: bool = False,
) -> SmsMessage:
    """Record an SMS in the outbox and send it after commit. `phone` is a normalised
    mainland number; `sensitive` texts (sign-in codes) are shown only by the local gateway."""
    message = SmsMessage.objects.create(
        recipient=recipient if getattr(recipient, "pk", None) else None,
        notification=notification,
        to=phone,
        to_masked=mask_phone(phone),
        text=text[:SMS_MAX],
        kind=kind[:64],
        sensitive=sensitive,
        gateway=gateways.gateway_name()[:40],
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    from gongzhi.notifications.tasks import send_sms

    if run_after is not None:
        if not send_sms.get_backend().supports_defer:
            # A backend that cannot wait (the immediate one) would retry in a tight loop;
            # the message stays queued with its next_attempt_at for a later send.
            logger.warning("SMS %s not retried: the task backend cannot defer", message_id)
            return
        send_sms.using(run_after=run_after).enqueue(message_id)
        return
    send_sms.enqueue(message_id)


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try: the provider's Retry-After, else exponential backoff
    (base · 2^(attempts−1)), capped at an hour."""
    if retry_after is not None:
        return min(retry_after, 3600.0)
    base = float(_setting("GONGZHI_SMS_RETRY_SECONDS", 30))
    return min(base * (2 ** max(0, attempts - 1)), 3600.0)


_CODE_DIGITS = re.compile(r"\d{4,8}")
# The token of a password link (accounts.staff.link_url), in its query string.
_LINK_TOKEN = re.compile(r"(/account/link/\?t=)[A-Za-z0-9_-]{16,}")


def redacted(text: str) -> str:
    """A sign-in code's text with the code blanked out, a password link's with its token."""
    text = _LINK_TOKEN.sub(lambda m: m.group(1) + "•" * 8, text)
    return _CODE_DIGITS.sub(lambda m: "•" * len(m.group()), text)


def _send(gateway: Any, *, phone: str, text: str, reference: int) -> gateways.SendResult:
    """`send(phone=, text=)`, plus `reference=` (the outbox id, for idempotency) when the
    gateway takes it: a gateway written to the bare protocol works too."""
    if "reference" in inspect.signature(gateway.send).parameters:
        return gateway.send(phone=phone, text=text, reference=str(reference))
    return gateway.send(phone=phone, text=text)


def sms_deliver(
    message_id: int, *, gateway: gateways.SmsGateway | None = None
) -> SmsMessage | None:
    """Send one queued SMS now and record the outcome; on a temporary failure, schedule
    another try. Safe to run twice: only a queued message is claimed (one worker wins)."""
    now = clock.now()
    claimed = SmsMessage.objects.filter(pk=message_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.SENDING, updated_at=now
    )
    if not claimed:
        return None
    message = SmsMessage.objects.get(pk=message_id)
    gateway = gateway or gateways.get_gateway()
    # The network call happens outside any transaction: no row is locked while we wait.
    try:
        result = _send(gateway, phone=reveal(message.to), text=message.text, reference=message.pk)
    except Exception as exc:  # a gateway bug must not leave the message "sending"
        result = gateways.SendResult(ok=False, error=f"gateway error: {exc!r}"[:300])
    message.attempts += 1
    message.gateway = getattr(gateway, "name", message.gateway)[:40]
    fields = ["status", "attempts", "gateway", "error", "updated_at"]
    max_attempts = int(_setting("GONGZHI_SMS_MAX_ATTEMPTS", 5))
    retry_at = None
    if result.ok:
        message.status = SmsStatus.DELIVERED if result.status == "delivered" else SmsStatus.SENT
        message.provider_id = result.provider_id
        message.error = ""
        message.sent_at = clock.now()
        message.next_attempt_at = None
        fields += ["provider_id", "sent_at", "next_attempt_at"]
    elif result.retryable and message.attempts < max_attempts:
        message.status = SmsStatus.QUEUED
        message.error = result.error
        retry_at = clock.now() + dt.timedelta(
            seconds=retry_delay(message.attempts, result.retry_after)
        )
        message.next_attempt_at = retry_at
        fields.append("next_attempt_at")
    else:
        message.status = SmsStatus.FAILED
        message.error = result.error
        message.next_attempt_at = None
        fields.append("next_attempt_at")
    if message.sensitive and message.gateway != "local" and message.status != SmsStatus.QUEUED:
        # Sent (or given up): a sign-in code has no business staying readable.
        message.text = redacted(message.text)
        fields.append("text")
    with transaction.atomic():
        message.save(update_fields=fields)
        if retry_at is not None:
            transaction.on_commit(lambda: _enqueue(message.pk, run_after=retry_at))
    return message


# --- the inbox -------------------------------------------------------------------------------


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those in `ids`, or all when `ids` is None.
    Others' notifications are silently left alone. Returns how many changed."""
    unread: QuerySet[Notification] = Notification.objects.filter(
        recipient=user, read_at__isnull=True
    )
    if ids is not None:
        unread = unread.filter(pk__in=[int(i) for i in ids])
    return unread.update(read_at=clock.now(), updated_at=clock.now())


def notifications_mark_read_about(*, user: Any, obj: Any) -> int:
    """Handled means read: the user's unread notifications about `obj` (an order they
    opened or made a step on) are marked read. Returns how many changed."""
    if obj is None or not getattr(user, "pk", None):
        return 0
    unread = Notification.objects.filter(
        recipient_id=user.pk,
        read_at__isnull=True,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
    )
    return unread.update(read_at=clock.now(), updated_at=clock.now())
