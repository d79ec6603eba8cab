"""Sign-in, sign-out and the second factor (TOTP)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.forms import SignInForm, TokenForm
from gongzhi.accounts.services import (
    requires_second_factor,
    sign_in_recorded,
    sign_out_recorded,
    user_set_password,
)
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.qr import qr_svg
from gongzhi.core.redirects import safe_next
from gongzhi.core.throttling import rate_limited


class SignInView(LoginView):
    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        # `request`: the signature django-stubs declares; Django 5.2 itself passes none.
        return safe_next(request or self.request, None)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if isinstance(form, SignInForm) and form.wait:
            return wrong_passwords_wait(self.request, form.wait)
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        sign_in_recorded(user=user)
        # Whoever must or chose to use a second factor passes it before anything else.
        if requires_second_factor(user) or user_has_device(user):
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('accounts:second_factor')}?{query}")
        return response


def wrong_passwords_wait(request: HttpRequest, wait: int) -> HttpResponse:
    """429: this address must wait before trying this account name again."""
    minutes = max(1, -(-wait // 60))
    response = render(request, "web/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(wait)
    return response


class PasswordChange(PasswordChangeView):
    """The signed-in user's new password, with the old one as proof."""

    template_name = "accounts/password_change.html"
    request: SignedInRequest  # PasswordChangeView's dispatch is behind login_required

    def get_success_url(self) -> str:
        return safe_next(self.request, settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = self.request.user
        try:
            user_set_password(
                user=user,
                password=form.cleaned_data["new_password1"],
                actor=user,
                action="auth.password_change",
            )
        except ValidationError as exc:
            form.add_error("new_password2", exc.error_dict["new_password1"])
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        messages.success(
            self.request, _("Your password was changed; your other devices were signed out.")
        )
        return redirect(self.get_success_url())


class SignOutView(LogoutView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            sign_out_recorded(user=request.user)
        return super().post(request, *args, **kwargs)


def _next_url(request: HttpRequest) -> str:
    return safe_next(request, settings.LOGIN_REDIRECT_URL)


def _pending_device(user) -> TOTPDevice:
    """The device being enrolled: kept until confirmed, so reloading shows the same key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="workbench", confirmed=False)
    return device


def _qr_svg(device: TOTPDevice) -> str:
    return qr_svg(device.config_url, scale=4, border=2)


def _check(user, token: str, *, confirmed: bool) -> tuple[TOTPDevice | None, bool]:
    """(the device that accepted the token, whether verification was throttled)."""
    throttled = False
    with transaction.atomic():
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
        for device in devices.select_for_update():
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                return device, False
    return None, throttled


@never_cache
@login_required
def second_factor(request: SignedInRequest) -> HttpResponse:
    """Verify a TOTP code, or enroll an authenticator app first if the user has none."""
    user = request.user
    next_url = _next_url(request)
    required = requires_second_factor(user)
    if user.is_verified():
        return render(
            request,
            "accounts/second_factor.html",
            {"mode": "done", "next": next_url, "required": required},
        )
    enrolling = not user_has_device(user)
    device = _pending_device(user) if enrolling else None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        matched, throttled = _check(user, form.cleaned_data["token"], confirmed=not enrolling)
        if matched is not None:
            if enrolling:
                matched.confirmed = True
                matched.save(update_fields=["confirmed"])
            otp_login(request, matched)
            sign_in_recorded(user=user, second_factor=True)
            return redirect(next_url)
        if throttled:
            form.add_error(
                "token", _("Too many wrong codes in a row; wait a minute, then try again.")
            )
        else:
            form.add_error(
                "token", _("This code is wrong or has expired; enter the code showing now.")
            )
    context = {
        "mode": "enroll" if enrolling else "verify",
        "form": form,
        "next": next_url,
        "required": required,
    }
    if device is not None:
        context["qr_svg"] = _qr_svg(device)
        secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(request, "accounts/second_factor.html", context)


sign_in = rate_limited()(method_decorator(never_cache, name="dispatch")(SignInView).as_view())
sign_out = SignOutView.as_view()
password_change = method_decorator(never_cache, name="dispatch")(PasswordChange).as_view()
