"""The API's rate limits: per user (session or key), per API key, and per address for
callers who are not signed in. 429 in the error shape, with Retry-After (ninja sets it)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from gongzhi.core.throttling import AddressThrottle, SettingsRateThrottle

KEY_ATTRIBUTE = "gongzhi_api_key_prefix"


class UserThrottle(SettingsRateThrottle):
    """Every call a user makes, with the session or with any of their keys."""

    scope = "api_user"
    setting = "GONGZHI_RATE_API_USER"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if getattr(request, "auth", None) is None or user is None or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class ApiKeyThrottle(SettingsRateThrottle):
    """Calls made with one API key (its public prefix names it)."""

    scope = "api_key"
    setting = "GONGZHI_RATE_API_KEY"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        prefix = getattr(request, KEY_ATTRIBUTE, "")
        if not prefix or getattr(request, "auth", None) is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": prefix}


class AnonymousThrottle(AddressThrottle):
    """Calls without valid credentials, by client address (including refused ones)."""

    scope = "api_anon"
    setting = "GONGZHI_RATE_API_ANON"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return super().get_cache_key(request)


def throttles() -> list[BaseThrottle]:
    return [AnonymousThrottle(), UserThrottle(), ApiKeyThrottle()]
