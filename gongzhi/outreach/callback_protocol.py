"""Provider callbacks: the signature, the body's rules, and recording a batch of events.

    POST /outreach/callbacks/<provider>/
    X-Gongzhi-Timestamp: <unix seconds>
    X-Gongzhi-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    {"events": [{"id": "evt-1", "reference": "<attempt reference>",
                 "kind": "delivered" | "failed" | "answered" | "reply", "digit": "1",
                 "at": "2026-12-06T08:00:00+08:00"}]}

"answered" is a keypad answer to a call (its digit required); "reply" an SMS reply
("text": only its first word is kept, as the answer: "TD" or "退订" opts out, "1" answers
like a keypad). Nothing else of a reply is stored.

The secret is GONGZHI_OUTREACH_CALLBACK_SECRET, shared with the provider. A timestamp more
than GONGZHI_OUTREACH_CALLBACK_WINDOW_SECONDS away from our clock is refused, so a
captured request cannot be replayed later; within the window a replay changes nothing,
because every event is recorded once per (provider, id).

`sign` has no Django dependency: the local provider server (provider_server.py) signs
with it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("delivered", "failed", "answered", "reply")
REPLY_MAX = 160  # an SMS
MAX_EVENTS = 1000
ID_MAX = 100
REFERENCE_MAX = 40
_DIGIT = re.compile(r"^[0-9*#]{1,4}$")
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Gongzhi-Signature header's value for this timestamp and body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


class Refused(Exception):
    """The request is not from the provider (401) or not readable (400); `field` names
    what was wrong, `message` the rule. Neither ever holds a value from the body."""

    def __init__(self, status: int, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def as_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


def check_signature(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: float, window: int
) -> None:
    """Refused(401) unless the signature matches and the timestamp is within the window."""
    if not secret:
        raise Refused(401, "not_configured", "Callbacks are not configured on this platform.")
    if not timestamp or not signature:
        raise Refused(401, "unsigned", "X-Gongzhi-Timestamp and X-Gongzhi-Signature required.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Refused(401, "bad_timestamp", "X-Gongzhi-Timestamp must be unix seconds.") from None
    if abs(now - sent) > window:
        raise Refused(401, "stale", f"The timestamp is more than {window} seconds away.")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise Refused(401, "bad_signature", "The signature does not match.")


@dataclass(frozen=True)
class Event:
    id: str
    reference: str
    kind: str
    digit: str
    at: dt.datetime | None


def parse_events(data: Any) -> list[Event]:
    """The body's events, or Refused(400) naming the first field that breaks a rule."""
    if not isinstance(data, Mapping):
        raise Refused(400, "invalid", "The body must be a JSON object.", "body")
    events = data.get("events")
    if not isinstance(events, list):
        raise Refused(400, "invalid", "Must be a list of events.", "events")
    if not 1 <= len(events) <= MAX_EVENTS:
        raise Refused(400, "invalid", f"Between 1 and {MAX_EVENTS} events a request.", "events")
    return [_event(item, f"events[{i}]") for i, item in enumerate(events)]


def _event(item: Any, where: str) -> Event:
    if not isinstance(item, Mapping):
        raise Refused(400, "invalid", "Each event must be an object.", where)
    event_id = _text(item, "id", ID_MAX, where)
    reference = _text(item, "reference", REFERENCE_MAX, where)
    kind = item.get("kind")
    if kind not in KINDS:
        raise Refused(400, "invalid", "Must be one of " + ", ".join(KINDS) + ".", f"{where}.kind")
    digit = item.get("digit") or ""
    if not isinstance(digit, str) or (digit and not _DIGIT.match(digit)):
        raise Refused(400, "invalid", "A keypad digit: 1 to 4 of 0-9 * #.", f"{where}.digit")
    if kind == "answered" and not digit:
        raise Refused(400, "invalid", "An answered event needs its digit.", f"{where}.digit")
    if kind == "reply":
        digit = _text(item, "text", REPLY_MAX, where).split()[0][:4]  # "TD 谢谢" → "TD"
    return Event(event_id, reference, kind, digit, _at(item.get("at"), f"{where}.at"))


def _text(item: Mapping, name: str, limit: int, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, "invalid", "Required, a non-empty string.", f"{where}.{name}")
    if len(value) > limit:
        raise Refused(400, "invalid", f"At most {limit} characters.", f"{where}.{name}")
    return value


def _at(value: Any, where: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Refused(400, "invalid", "An ISO 8601 time with its offset.", where)
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Refused(400, "invalid", "An ISO 8601 time with its offset.", where) from None
    if at.tzinfo is None:
        raise Refused(400, "invalid", "An ISO 8601 time with its offset.", where)
    return at


def events_record(*, provider: str, events: list[Event]) -> dict[str, int]:
    """Record each event once (`callbacks.callback_record`): how many were new, repeats of
    one already recorded, or for a reference no attempt has (counted, not recorded)."""
    from gongzhi.outreach.callbacks import callback_record
    from gongzhi.outreach.models import Attempt

    references = {event.reference for event in events}
    known = set(
        Attempt.objects.filter(reference__in=references).values_list("reference", flat=True)
    )
    counts = {"new": 0, "repeated": 0, "unknown": 0}
    for event in events:
        if event.reference not in known:
            counts["unknown"] += 1
            continue
        new = callback_record(
            provider=provider,
            event_id=event.id,
            reference=event.reference,
            kind=event.kind,
            digit=event.digit,
            occurred_at=event.at,
        )
        counts["new" if new else "repeated"] += 1
    return counts
