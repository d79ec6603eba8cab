"""Request rates, counted with django-ninja's throttles (`ninja.throttling`) in the
default cache: the API's per-user, per-key and per-address limits (`api.throttling`) and
the sign-in pages' per-address limit (`rate_limited`).

Rates come from settings at each request ("60/min", "30/10min"; "" turns a limit off), so
a deployment and a test can change them without re-importing the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from ninja.throttling import SimpleRateThrottle

from gongzhi.core.middleware import client_ip
from gongzhi.core.refusals import refusal


class SettingsRateThrottle(SimpleRateThrottle):
    """A ninja throttle whose rate is the setting named `setting`, read per request."""

    setting = ""

    def __init__(self) -> None:
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting, "") or None
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_ident(self, request: HttpRequest) -> str:
        # The same client address the audit log records (GONGZHI_TRUST_X_FORWARDED_FOR).
        return client_ip(request)


class AddressThrottle(SettingsRateThrottle):
    """Requests from one client address."""

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInThrottle(AddressThrottle):
    scope = "sign_in"
    setting = "GONGZHI_RATE_SIGN_IN"


def too_many(request: HttpRequest, wait: float | None) -> HttpResponse:
    return refusal(
        request,
        status=429,
        code="throttled",
        title=_("Too many attempts"),
        message=_("Too many attempts from this address; wait a few minutes, then try again."),
        retry_after=wait or 60,
    )


def rate_limited(
    throttle_class: type[SettingsRateThrottle] = SignInThrottle,
    methods: tuple[str, ...] = ("POST",),
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Answer 429 (with Retry-After) once the client passes the throttle's rate; only
    `methods` count, so showing a form is never limited."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                throttle = throttle_class()
                if not throttle.allow_request(request):
                    return too_many(request, throttle.wait())
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
