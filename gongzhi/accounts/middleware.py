from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_otp import user_has_device

from gongzhi.accounts.services import requires_second_factor
from gongzhi.core import clock

SIGNED_IN_AT = "gongzhi.signed_in_at"


def stamp_sign_in(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """`user_logged_in`: remember when this session signed in (SessionLifetimeMiddleware)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = clock.now().timestamp()


class SessionLifetimeMiddleware:
    """A session ends GONGZHI_SESSION_MAX_AGE_SECONDS after its sign-in, however busy it
    is (the idle timeout, SESSION_COOKIE_AGE, ends it sooner when unused). The request
    then goes on signed out: pages send to the sign-in, the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            age = clock.now().timestamp() - started if started is not None else None
            if age is None or age > settings.GONGZHI_SESSION_MAX_AGE_SECONDS:
                logout(request)
        return self.get_response(request)


# Reachable before the second factor is passed.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/login", "/logout", "/account/2fa")


class SecondFactorMiddleware:
    """Auditors and system administrators, and anyone who enrolled a device, pass TOTP
    before anything else is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and not user.is_verified()
            and (requires_second_factor(user) or user_has_device(user))
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "message": _("Pass the second factor (TOTP) in the workbench first."),
                        "fields": {},
                    },
                    status=403,
                )
            return redirect("accounts:second_factor")
        return self.get_response(request)
