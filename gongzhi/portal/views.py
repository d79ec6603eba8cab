"""The resident portal at /m/: phone-first pages that work in WeChat's browser and old
WebViews (no script needed), with elder mode and acting for a family member."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.forms import PasswordResetForm
from gongzhi.accounts.models import User
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.services import normalize_mobile, sign_in_recorded
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.masking import mask_phone
from gongzhi.core.middleware import client_ip
from gongzhi.core.redirects import safe_next
from gongzhi.core.throttling import rate_limited
from gongzhi.emergency.home import resident_banner
from gongzhi.notifications import gateways
from gongzhi.notifications.exports import INBOX, export_response
from gongzhi.notifications.selectors import inbox_for
from gongzhi.portal import selectors, services, state
from gongzhi.portal.forms import CodeForm, PasswordForm, PhoneForm

# Pages that need a signed-in user send everyone else to the portal's own sign-in.
portal_login_required = partial(login_required, login_url="portal:login")
LOGIN_PHONE_KEY = "gongzhi.portal.login_phone"
PAGE_SIZE = 20


def _next_url(request: HttpRequest, default: str = "portal:home") -> str:
    return safe_next(request, default)


def _apply(form: Any, exc: ValidationError) -> None:
    """A service's errors on the form, field by field, keeping their codes."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, problems in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, problems)


# --- sign-in ---------------------------------------------------------------------------------


def _login_page(request: HttpRequest, **forms: Any) -> HttpResponse:
    phone = request.session.get(LOGIN_PHONE_KEY, "")
    method = request.GET.get("with") or request.POST.get("method") or "code"
    context = {
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "method": "password" if method == "password" else "code",
        "phone_masked": mask_phone(phone) if phone else "",
        "phone_form": forms.get("phone_form") or PhoneForm(),
        "code_form": forms.get("code_form") or CodeForm(),
        "password_form": forms.get("password_form") or PasswordForm(request),
        "sms_outbox_hint": gateways.is_local(),
    }
    return render(request, "portal/login.html", context)


def _signed_in(request: HttpRequest, user: User) -> HttpResponse:
    state.carry_elder_choice(request, user)
    request.session.pop(LOGIN_PHONE_KEY, None)
    return redirect(_next_url(request))


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited()
def login(request: HttpRequest) -> HttpResponse:
    """Sign in with phone + SMS code (first), or with user name and password."""
    state.remember_elder_choice(request)
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect(_next_url(request))
        if request.GET.get("phone") == "change":
            request.session.pop(LOGIN_PHONE_KEY, None)
        return _login_page(request)
    if request.POST.get("method") == "password":
        password_form = PasswordForm(request, data=request.POST)
        if not password_form.is_valid():
            if password_form.wait:
                return _wrong_passwords_wait(request, password_form.wait)
            return _login_page(request, password_form=password_form)
        user = password_form.get_user()
        auth_login(request, user)
        sign_in_recorded(user=user)
        return _signed_in(request, user)
    form = CodeForm(request.POST)
    phone = request.session.get(LOGIN_PHONE_KEY) or request.POST.get("phone", "")
    if not phone:
        form.add_error(None, _("Enter your mobile number and ask for a code first."))
        return _login_page(request, code_form=form)
    if not form.is_valid():
        return _login_page(request, code_form=form)
    try:
        user = services.sign_in_by_code(
            phone=phone, code=form.cleaned_data["code"], ip=client_ip(request)
        )
    except ValidationError as exc:
        _apply(form, exc)
        return _login_page(request, code_form=form)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _signed_in(request, user)


@never_cache
@require_POST
@rate_limited()
def login_code(request: HttpRequest) -> HttpResponse:
    """Text a sign-in code. The answer is the same whether or not the number is known."""
    data = request.POST.copy()
    if not data.get("phone") and data.get("resend"):
        data["phone"] = request.session.get(LOGIN_PHONE_KEY, "")
    form = PhoneForm(data)
    if not form.is_valid():
        return _login_page(request, phone_form=form)
    try:
        services.login_code_request(phone=form.cleaned_data["phone"], ip=client_ip(request))
    except ValidationError as exc:
        codes = {e.code for e in getattr(exc, "error_dict", {}).get("phone", [])}
        if "rate_limited" in codes:
            # Keep the number: a code sent a moment ago may still be good.
            _remember_phone(request, form.cleaned_data["phone"])
        _apply(form, exc)
        return _login_page(request, phone_form=form)
    _remember_phone(request, form.cleaned_data["phone"])
    messages.info(
        request,
        _(
            "If this number can sign in, a code is on its way by SMS. "
            "It is good for %(minutes)d minutes and for one sign-in."
        )
        % {"minutes": services.code_minutes()},
    )
    target = resolve_url("portal:login")
    next_url = safe_next(request, None)
    if next_url:
        target += "?" + urlencode({"next": next_url})
    return redirect(target)


def _wrong_passwords_wait(request: HttpRequest, wait: int) -> HttpResponse:
    """429: this address must wait before trying this account name again."""
    minutes = max(1, -(-wait // 60))
    response = render(request, "web/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(wait)
    return response


RESET_PHONE_KEY = "gongzhi.portal.reset_phone"


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited()
def password_reset(request: HttpRequest) -> HttpResponse:
    """A forgotten password: a code by SMS to the account's number, then a new password."""
    phone = request.session.get(RESET_PHONE_KEY, "")
    if request.GET.get("phone") == "change":
        request.session.pop(RESET_PHONE_KEY, None)
        phone = ""
    phone_form, form = PhoneForm(), PasswordResetForm()
    if request.method == "POST" and "phone" in request.POST:
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                services.password_reset_code_request(
                    phone=phone_form.cleaned_data["phone"], ip=client_ip(request)
                )
            except ValidationError as exc:
                _apply(phone_form, exc)
            else:
                with contextlib.suppress(ValidationError):
                    request.session[RESET_PHONE_KEY] = normalize_mobile(
                        phone_form.cleaned_data["phone"]
                    )
                messages.info(
                    request,
                    _("If an account has this number, a code is on its way by SMS."),
                )
                return redirect("portal:password_reset")
    elif request.method == "POST" and phone:
        form = PasswordResetForm(request.POST)
        if form.is_valid():
            try:
                services.password_reset_by_code(
                    phone=phone,
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["new_password1"],
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                if "new_password1" in getattr(exc, "error_dict", {}):
                    exc = ValidationError({"new_password2": exc.error_dict["new_password1"]})
                _apply(form, exc)
            else:
                request.session.pop(RESET_PHONE_KEY, None)
                messages.success(request, _("Your new password is set; sign in with it."))
                return redirect(f"{resolve_url('portal:login')}?with=password")
    context = {
        "phone_masked": mask_phone(phone) if phone else "",
        "phone_form": phone_form,
        "form": form,
        "sms_outbox_hint": gateways.is_local(),
    }
    return render(request, "portal/password_reset.html", context)


def _remember_phone(request: HttpRequest, phone: str) -> None:
    with contextlib.suppress(ValidationError):
        request.session[LOGIN_PHONE_KEY] = normalize_mobile(phone)


# --- pages for signed-in users -----------------------------------------------------------------


@never_cache
@portal_login_required
def home(request: SignedInRequest) -> HttpResponse:
    """The resident's start: their household, asking for help, the inbox, acting for family."""
    state.remember_elder_choice(request)
    person_id = acting.acting_person_id(request)
    context = {
        "household": selectors.household_view(person_id),
        "latest": list(inbox_for(user=request.user)[:3]),
        "choices": selectors.proxy_choices_for(request.user),
        # In emergency mode, the community's banner and services come first.
        "emergency": resident_banner(person_id, request.user),
    }
    return render(request, "portal/home.html", context)


@never_cache
@portal_login_required
def inbox(request: SignedInRequest) -> HttpResponseBase:
    notes = inbox_for(user=request.user)
    if request.GET.get("export"):
        return export_response(request, INBOX, notes)
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page})


@never_cache
@portal_login_required
def account(request: SignedInRequest) -> HttpResponse:
    """The user's settings: elder mode, their number (masked), whom they may act for."""
    state.remember_elder_choice(request)
    context = {"choices": selectors.proxy_choices_for(request.user)}
    return render(request, "portal/account.html", context)


@portal_login_required
@require_POST
def elder(request: SignedInRequest) -> HttpResponse:
    """Elder mode on or off, kept on the account."""
    state.set_elder_mode(request, request.POST.get("elder") in ("1", "on", "true"))
    return redirect(_next_url(request))


@portal_login_required
@require_POST
def acting_switch(request: SignedInRequest) -> HttpResponse:
    """Act for a linked person (`person`), or for oneself again (no `person`)."""
    person_id = request.POST.get("person", "")
    if not person_id:
        acting.stop_acting(request)
        return redirect(_next_url(request))
    link = proxy_link_for(request.user, person_id)
    if link is None:
        raise NotFound()
    acting.start_acting(request, link, area_path=selectors.person_area_path(link.person_id))
    return redirect(_next_url(request))
