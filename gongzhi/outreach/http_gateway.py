"""The HTTP outreach gateway: batch SMS and robot calls through a provider's JSON API.

The protocol (docs/outreach-gateways.md has examples):

    POST GONGZHI_OUTREACH_HTTP_URL/sms/batch
    Authorization: Bearer GONGZHI_OUTREACH_HTTP_KEY
    Idempotency-Key: gongzhi-sms-<hash of the batch's references>
    {"messages": [{"reference": "...", "to": "138...", "text": "..."}, ...]}

    POST GONGZHI_OUTREACH_HTTP_URL/calls
    Idempotency-Key: gongzhi-call-<hash of the batch's references>
    {"calls": [{"reference": "...", "to": "138...", "script": "...",
                "choices": {"1": "已报到"}}, ...]}

    200  {"results": [{"reference": "...", "id": "<provider's id>", "status": "accepted"},
                      {"reference": "...", "error": {"code": "...", "message": "...",
                                                    "retryable": false}}]}
    429  Retry-After: <seconds>     the whole batch: try again later
    5xx, 408, timeout, no answer    the whole batch: try again later
    other 4xx                       the whole batch refused (per-item errors in "results"
                                    are used where given): not retried

A batch goes over one keep-alive connection per thread, reused for the next batch (a
campaign of 100,000 is 200 requests, not 100,000 handshakes). A kept connection the
provider has closed meanwhile is reopened and the batch sent once more; the idempotency
key makes that safe. Error texts keep the provider's code and message with digit runs
masked, so a number echoed back never reaches an attempt's error or a log line.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import socket
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongzhi.notifications.gateways import SendResult
from gongzhi.outreach.gateways import Call, Message

logger = logging.getLogger(__name__)

ERROR_MAX = 300
RESPONSE_MAX = 16 * 1024 * 1024  # a batch's answer is a few hundred bytes an item
_DIGITS = re.compile(r"\+?\d[\d \-]{5,}\d")
# A kept connection the provider closed between two batches: reopen, send once more.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class HttpOutreachGateway:
    """A provider that speaks the JSON protocol in this module's docstring."""

    name = "http"

    def __init__(self, url: str, key: str, timeout: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured("GONGZHI_OUTREACH_HTTP_URL must be an http(s):// URL.")
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._local = threading.local()

    @classmethod
    def from_settings(cls) -> HttpOutreachGateway:
        url = getattr(settings, "GONGZHI_OUTREACH_HTTP_URL", "")
        if not url:
            raise ImproperlyConfigured(
                "GONGZHI_OUTREACH_GATEWAY=http needs GONGZHI_OUTREACH_HTTP_URL."
            )
        return cls(
            url=url,
            key=getattr(settings, "GONGZHI_OUTREACH_HTTP_KEY", ""),
            timeout=float(getattr(settings, "GONGZHI_OUTREACH_HTTP_TIMEOUT", 10)),
        )

    # --- the two operations ---------------------------------------------------------------

    def send_sms_batch(self, messages: Sequence[Message]) -> list[SendResult]:
        items = [{"reference": m.reference, "to": m.phone, "text": m.text} for m in messages]
        return self._batch("/sms/batch", "messages", "sms", items)

    def place_calls(self, calls: Sequence[Call]) -> list[SendResult]:
        items = [
            {"reference": c.reference, "to": c.phone, "script": c.script, "choices": c.choices}
            for c in calls
        ]
        return self._batch("/calls", "calls", "call", items)

    def close(self) -> None:
        """Close this thread's kept connection (the next batch opens a new one)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- one batch --------------------------------------------------------------------------

    def _batch(self, path: str, field: str, kind: str, items: list[dict]) -> list[SendResult]:
        if not items:
            return []
        references = [item["reference"] for item in items]
        body = json.dumps({field: items}, ensure_ascii=False, separators=(",", ":"))
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.key}",
            "User-Agent": "gongzhi-outreach/1",
            "Idempotency-Key": idempotency_key(kind, references),
        }
        try:
            status, retry_after, raw = self._post(self._base + path, body.encode(), headers)
        except TimeoutError:
            self.close()
            logger.warning("outreach provider timed out on a %s batch of %d", kind, len(items))
            return _all(items, SendResult(ok=False, error="timeout", retryable=True))
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            error = _clip(f"connection: {type(exc).__name__}")
            logger.warning("outreach provider unreachable (%s) for a %s batch", error, kind)
            return _all(items, SendResult(ok=False, error=error, retryable=True))
        return _results(status, retry_after, raw, references)

    def _post(self, path: str, body: bytes, headers: dict) -> tuple[int, str | None, bytes]:
        """POST over this thread's kept connection; reopened once if the provider closed it."""
        for fresh in (False, True):
            connection, reused = self._connection(fresh)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                raw = response.read(RESPONSE_MAX + 1)
            except _STALE:
                self.close()
                if reused and not fresh:
                    continue
                raise
            if response.will_close:
                self.close()
            return response.status, response.getheader("Retry-After"), raw
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        connection = getattr(self._local, "connection", None)
        if connection is not None and not fresh:
            return connection, True
        self.close()
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        connection = cls(self._host, self._port, timeout=self.timeout)
        connection.connect()
        # Small batches should not wait for Nagle's algorithm.
        if connection.sock is not None:
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._local.connection = connection
        return connection, False


def idempotency_key(kind: str, references: Sequence[str]) -> str:
    """The same batch (the same references, in order) always gets the same key."""
    digest = hashlib.sha256("\n".join(references).encode()).hexdigest()[:40]
    return f"gongzhi-{kind}-{digest}"


# --- reading the answer -------------------------------------------------------------------


def _all(items: list, result: SendResult) -> list[SendResult]:
    return [result] * len(items)


def _json(raw: bytes) -> dict:
    if len(raw) > RESPONSE_MAX:
        return {}
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _clip(text: str) -> str:
    """At most ERROR_MAX characters, with any run of digits that could be a number masked."""
    return _DIGITS.sub("…", text)[:ERROR_MAX]


def _detail(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    return str(error or "")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the dispatcher's own backoff


def _results(
    status: int, retry_after: str | None, raw: bytes, references: list[str]
) -> list[SendResult]:
    data = _json(raw)
    if status == 429:
        wait = _retry_after(retry_after)
        message = _clip(f"HTTP 429 {_detail(data.get('error'))}".strip())
        return _all(references, SendResult(False, error=message, retryable=True, retry_after=wait))
    if status >= 500 or status == 408:
        message = _clip(f"HTTP {status} {_detail(data.get('error'))}".strip())
        return _all(references, SendResult(False, error=message, retryable=True))
    per_item = _per_item(data.get("results"))
    if 200 <= status < 300:
        missing = SendResult(False, error="no result for this item", retryable=True)
        return [_item(per_item.get(ref), missing) for ref in references]
    # Any other answer refuses the batch; an item's own error, where given, says more.
    refused = SendResult(
        False, error=_clip(f"HTTP {status} {_detail(data.get('error'))}".strip()), retryable=False
    )
    return [
        _item(per_item[ref], refused, ok_allowed=False) if ref in per_item else refused
        for ref in references
    ]


def _per_item(results: Any) -> dict[str, dict]:
    if not isinstance(results, list):
        return {}
    return {
        str(item["reference"]): item
        for item in results
        if isinstance(item, dict) and "reference" in item
    }


def _item(item: dict | None, otherwise: SendResult, ok_allowed: bool = True) -> SendResult:
    if item is None:
        return otherwise
    error = item.get("error")
    if error is None and ok_allowed:
        status = "delivered" if item.get("status") == "delivered" else "sent"
        return SendResult(ok=True, status=status, provider_id=str(item.get("id", ""))[:100])
    if error is None:
        return otherwise
    retryable = isinstance(error, dict) and error.get("retryable") is True
    return SendResult(ok=False, error=_clip(_detail(error)) or "refused", retryable=retryable)
