from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_otp import user_has_device

from gongzhi.accounts.services import requires_second_factor

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
