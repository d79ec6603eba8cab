"""SMS gateways: how a text reaches a phone.

`GONGZHI_SMS_GATEWAY` chooses one: `local` (the default: nothing leaves the machine; the
message is only recorded in the outbox, which a system administrator can read in the
workbench), `http` (a provider over HTTP, the protocol below), or the dotted path of a
class with the same `send` method.

The HTTP protocol (docs/notifications.md has examples):

    POST GONGZHI_SMS_HTTP_URL
    Authorization: Bearer GONGZHI_SMS_HTTP_KEY
    Content-Type: application/json
    Idempotency-Key: gongzhi-sms-<outbox id>
    {"to": "13812345678", "text": "【共治】…", "reference": "<outbox id>"}

    2xx  {"id": "<provider's message id>", "status": "accepted" | "sent" | "delivered"}
    429  Retry-After: <seconds>            rate limited: try again later
    5xx, timeout, connection refused       try again later
    4xx  {"error": {"code": "...", "message": "..."}}   refused: do not retry
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

ERROR_MAX = 300


@dataclass(frozen=True)
class SendResult:
    """What a gateway says about one message."""

    ok: bool
    status: str = "sent"  # when ok: "sent" (accepted by the provider) or "delivered"
    provider_id: str = ""
    error: str = ""
    retryable: bool = False  # when not ok: worth trying again later
    retry_after: float | None = None  # seconds the provider asked us to wait


class SmsGateway(Protocol):
    """`send` may also take `reference` (the outbox id), which the HTTP gateway sends as
    the idempotency key; gateways without it are called with phone and text only."""

    name: str

    def send(self, *, phone: str, text: str) -> SendResult: ...


class LocalGateway:
    """Development: nothing is sent. The outbox row is the message; it counts as delivered."""

    name = "local"

    def send(self, *, phone: str, text: str, reference: str = "") -> SendResult:
        return SendResult(ok=True, status="delivered", provider_id=f"local-{uuid.uuid4().hex[:12]}")


class HttpGateway:
    """A provider that speaks the JSON protocol in this module's docstring."""

    name = "http"

    def __init__(self, url: str, key: str, timeout: float = 5.0):
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("GONGZHI_SMS_HTTP_URL must be an http(s):// URL.")
        self.url = url
        self.key = key
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> HttpGateway:
        url = getattr(settings, "GONGZHI_SMS_HTTP_URL", "")
        if not url:
            raise ImproperlyConfigured("GONGZHI_SMS_GATEWAY=http needs GONGZHI_SMS_HTTP_URL.")
        return cls(
            url=url,
            key=getattr(settings, "GONGZHI_SMS_HTTP_KEY", ""),
            timeout=float(getattr(settings, "GONGZHI_SMS_HTTP_TIMEOUT", 5)),
        )

    def send(self, *, phone: str, text: str, reference: str = "") -> SendResult:
        body = json.dumps({"to": phone, "text": text, "reference": reference}).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.key}",
            "User-Agent": "gongzhi-sms/1",
        }
        if reference:
            headers["Idempotency-Key"] = f"gongzhi-sms-{reference}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return _accepted(response.read())
        except urllib.error.HTTPError as exc:
            return _refused(exc.code, exc.headers.get("Retry-After"), exc.read())
        except TimeoutError:
            return SendResult(ok=False, error="timeout", retryable=True)
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                return SendResult(ok=False, error="timeout", retryable=True)
            return SendResult(ok=False, error=_clip(f"connection: {reason}"), retryable=True)
        except OSError as exc:  # reset connections and the like
            return SendResult(ok=False, error=_clip(f"connection: {exc}"), retryable=True)


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _clip(text: str) -> str:
    return text[:ERROR_MAX]


def _accepted(raw: bytes) -> SendResult:
    data = _json(raw)
    status = "delivered" if data.get("status") == "delivered" else "sent"
    return SendResult(ok=True, status=status, provider_id=str(data.get("id", ""))[:100])


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _refused(status: int, retry_after: str | None, raw: bytes) -> SendResult:
    error = _json(raw).get("error")
    if isinstance(error, dict):
        detail = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    else:
        detail = str(error or "")
    message = _clip(f"HTTP {status}" + (f" {detail}" if detail else ""))
    if status == 429:
        return SendResult(
            ok=False, error=message, retryable=True, retry_after=_retry_after(retry_after)
        )
    return SendResult(ok=False, error=message, retryable=status >= 500 or status == 408)


_BUILTIN: dict[str, Callable[[], SmsGateway]] = {
    "local": LocalGateway,
    "http": HttpGateway.from_settings,
}


def gateway_name() -> str:
    return getattr(settings, "GONGZHI_SMS_GATEWAY", "local") or "local"


def get_gateway() -> SmsGateway:
    """The configured gateway (`GONGZHI_SMS_GATEWAY`)."""
    name = gateway_name()
    factory = _BUILTIN.get(name)
    if factory is None:
        try:
            factory = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"GONGZHI_SMS_GATEWAY must be local, http or a class path, not {name!r}."
            ) from exc
    return factory()


def is_local() -> bool:
    return gateway_name() == "local"
