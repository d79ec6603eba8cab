"""Who is asking and from where, for the audit log, without threading it through calls."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    request_id: str = ""
    via: str = ""  # "web", "api", "cli", "task"


_OUTSIDE_REQUESTS = RequestContext(via="cli")
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "gongzhi_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _OUTSIDE_REQUESTS


def activate(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def deactivate(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
