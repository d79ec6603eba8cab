"""The two ways into the API: an integration's key, or the workbench's session.

Both are accepted on every operation; the key is tried first. A request made with a key
acts only as the key's membership (one role on one node), never as everything its user
holds. A session request must carry Django's CSRF token on unsafe methods.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, APIKeyHeader
from ninja.utils import check_csrf

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership
from gongzhi.accounts.services import api_key_authenticate
from gongzhi.api.throttling import KEY_ATTRIBUTE
from gongzhi.core.errors import DomainError

API_KEY_HEADER = "X-API-Key"


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403
    default_message = _("The CSRF token is missing or wrong; reload the page and try again.")


class InvalidApiKey(AuthenticationError):
    """A key was presented and is unknown, revoked or expired: no fallback to the session."""


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: gz_<prefix>_<secret>`; the request then acts as the key's membership."""

    param_name = API_KEY_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        if not key:
            return None
        # A key is ASCII; the service would fail hashing anything else (a 500, not a 401).
        membership = api_key_authenticate(key) if key.isascii() else None
        if membership is None:
            raise InvalidApiKey()
        # The key's public prefix (gz_<prefix>_…): its own rate limit (api.throttling).
        setattr(request, KEY_ATTRIBUTE, key.split("_", 2)[1])
        request.user = membership.user
        access.bind_api_membership(request.user, membership)
        return membership


class SessionAuth(APIKeyCookie):
    """The workbench's signed-in session, with Django's CSRF check on unsafe methods.

    Unlike ninja's own SessionAuth, an anonymous request is refused as unauthenticated
    (401) before the CSRF check, so a client without a session learns it must sign in.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user


api_key_auth = ApiKeyAuth()
session_auth = SessionAuth()
