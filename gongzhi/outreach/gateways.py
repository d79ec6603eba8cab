"""Outreach gateways: how a campaign's messages and robot calls leave the platform.

`GONGZHI_OUTREACH_GATEWAY` chooses one: `local` (the default: nothing leaves the machine;
the attempts are the outbox, shown on the campaign's page, where answers can be
simulated), `http` (a provider over HTTP: batch SMS and calls with keypad (DTMF)
callbacks; the protocol is documented in docs/outreach.md), or the dotted path of a class
with the same methods.

Both methods take a batch and return one `SendResult` per item, in order. A result that is
not ok and `retryable` is tried again later by the dispatcher; one that is not retryable
fails the attempt. Deliveries and answers come later, as callbacks
(`services.callback_record`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gongzhi.notifications.gateways import SendResult

__all__ = ["Call", "LocalGateway", "Message", "OutreachGateway", "SendResult", "get_gateway"]


@dataclass(frozen=True)
class Message:
    reference: str  # the attempt's reference: echoed in callbacks, the idempotency key
    phone: str
    text: str


@dataclass(frozen=True)
class Call:
    reference: str
    phone: str
    script: str
    choices: dict[str, str] = field(default_factory=dict)  # keypad digit -> meaning


class OutreachGateway(Protocol):
    name: str

    def send_sms_batch(self, messages: Sequence[Message]) -> list[SendResult]: ...

    def place_calls(self, calls: Sequence[Call]) -> list[SendResult]: ...


class LocalGateway:
    """Development: nothing is sent; every item is accepted. Answers are simulated from
    the campaign's page (they go through the same callback service a provider's do)."""

    name = "local"

    def send_sms_batch(self, messages: Sequence[Message]) -> list[SendResult]:
        return [_accepted() for _message in messages]

    def place_calls(self, calls: Sequence[Call]) -> list[SendResult]:
        return [_accepted() for _call in calls]


def _accepted() -> SendResult:
    return SendResult(ok=True, status="sent", provider_id=f"local-{uuid.uuid4().hex[:12]}")


def _builtin() -> dict[str, Callable[[], OutreachGateway]]:
    builtin: dict[str, Callable[[], OutreachGateway]] = {"local": LocalGateway}
    try:
        from gongzhi.outreach.http_gateway import HttpOutreachGateway
    except ImportError:  # pragma: no cover - the adapter ships with the app
        return builtin
    builtin["http"] = HttpOutreachGateway.from_settings
    return builtin


def gateway_name() -> str:
    return getattr(settings, "GONGZHI_OUTREACH_GATEWAY", "local") or "local"


def get_gateway() -> OutreachGateway:
    name = gateway_name()
    factory = _builtin().get(name)
    if factory is None:
        try:
            factory = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"GONGZHI_OUTREACH_GATEWAY must be local, http or a class path, not {name!r}."
            ) from exc
    return factory()


def is_local() -> bool:
    return gateway_name() == "local"
