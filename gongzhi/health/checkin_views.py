"""The page a venue's QR opens, /m/v/<code>/: the lean check-in path.

A signed-in user, or a visitor whose phone was confirmed earlier today (a signed cookie
holding the number's blind index, never the number), is checked in by the scan itself:
ONE insert that takes the venue by its code while it is open (`venues.checkin_by_code`;
the first scan of a venue in a worker process also reads the venue's name), and a small
confirmation page (no portal frame: it would count unread messages). Anyone else confirms
a mobile number once with an SMS code. A navigation from another site does not check anyone in by itself:
it shows a button (a page elsewhere cannot make a visitor "be" at a venue).
Unknown codes answer 404, closed and expired venues 410, in the visitor's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.core import clock
from gongzhi.core.masking import mask_phone
from gongzhi.core.middleware import client_ip
from gongzhi.core.throttling import rate_limited
from gongzhi.health import venues
from gongzhi.health.models import Venue
from gongzhi.health.venue_forms import CodeForm, PhoneForm

CHECKIN_COOKIE = "gz_checkin"  # the day's confirmed phone (a blind index), signed
CHECKIN_SALT = "gongzhi.health.checkin-day"
PHONE_KEY = "gongzhi.checkin.phone"


# --- the day's pass: a confirmed phone, remembered until midnight ---------------------------------


def _today() -> dt.date:
    return clock.today()


def read_pass(request: HttpRequest) -> venues.Visitor | None:
    """The visitor a valid pass of today names, or None (missing, forged, stale)."""
    raw = request.COOKIES.get(CHECKIN_COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=CHECKIN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("d") != _today().isoformat():
        return None
    index, person = data.get("i"), data.get("p")
    if not isinstance(index, str) or not index or not (person is None or isinstance(person, int)):
        return None
    return venues.Visitor(phone_idx=index, person_id=person)


def _set_pass(response: HttpResponse, visitor: venues.Visitor) -> None:
    now = timezone.localtime(clock.now())
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    value = signing.dumps(
        {"i": visitor.phone_idx, "p": visitor.person_id, "d": now.date().isoformat()},
        salt=CHECKIN_SALT,
        compress=True,
    )
    response.set_cookie(
        CHECKIN_COOKIE,
        value,
        max_age=max(60, int((midnight - now).total_seconds())),
        path="/m/v/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- pages ---------------------------------------------------------------------------------------


def _refused(request: HttpRequest, exc: venues.VenueUnavailable) -> HttpResponse:
    return render(
        request,
        "health/venues/checkin_refused.html",
        {"message": exc.message, "gone": exc.status == 410},
        status=exc.status,
    )


def _elder(request: HttpRequest) -> bool:
    wanted = request.GET.get("elder")
    if wanted in ("1", "0"):
        return wanted == "1"
    user = request.user
    return bool(getattr(user, "elder_mode", False))


def _done(request: HttpRequest, venue_name: str, at: dt.datetime) -> HttpResponse:
    """The confirmation: a big green tick, the venue and the time. Nothing else is read."""
    return render(
        request,
        "health/venues/checkin_done.html",
        {"venue_name": venue_name, "at": timezone.localtime(at), "elder": _elder(request)},
    )


def _ask_phone(request: HttpRequest, venue: Venue, **forms: Any) -> HttpResponse:
    phone = request.session.get(PHONE_KEY, "")
    return render(
        request,
        "health/venues/checkin_phone.html",
        {
            "venue": venue,
            "phone_masked": mask_phone(phone) if phone else "",
            "phone_form": forms.get("phone_form") or PhoneForm(),
            "code_form": forms.get("code_form") or CodeForm(),
        },
    )


def _apply(form: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, problems in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, problems)


@never_cache
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, code: str) -> HttpResponseBase:
    user = request.user
    signed_in = user.is_authenticated
    visitor = None if signed_in else read_pass(request)
    cross_site = request.headers.get("Sec-Fetch-Site") == "cross-site"
    if (signed_in or visitor is not None) and not (request.method == "GET" and cross_site):
        who: dict[str, Any]
        if signed_in:
            who = {
                "user_id": user.pk,
                "person_id": getattr(user, "person_id", None),
                "phone_idx": venues.account_phone_index(user),
            }
        else:
            assert visitor is not None
            who = {"person_id": visitor.person_id, "phone_idx": visitor.phone_idx}
        try:
            name, at = venues.checkin_by_code(code=code, **who)
        except venues.VenueUnavailable as exc:
            return _refused(request, exc)
        return _done(request, name, at)
    try:
        venue = venues.venue_for_code(code)
    except venues.VenueUnavailable as exc:
        return _refused(request, exc)
    if signed_in or visitor is not None:  # from another site: ask first
        return render(request, "health/venues/checkin_confirm.html", {"venue": venue})
    if request.method == "GET":
        if request.GET.get("phone") == "change":
            request.session.pop(PHONE_KEY, None)
        return _ask_phone(request, venue)
    return _confirm_phone(request, venue)


@rate_limited()
def _confirm_phone(request: HttpRequest, venue: Venue) -> HttpResponse:
    """POST of the code: spend it, remember the phone for the day, check in."""
    form = CodeForm(request.POST)
    phone = request.session.get(PHONE_KEY, "")
    if not phone:
        form.add_error(None, _("Enter your mobile number and ask for a code first."))
        return _ask_phone(request, venue, code_form=form)
    if not form.is_valid():
        return _ask_phone(request, venue, code_form=form)
    try:
        visitor = venues.checkin_phone_confirm(
            phone=phone, code=form.cleaned_data["code"], ip=client_ip(request)
        )
    except ValidationError as exc:
        _apply(form, exc)
        return _ask_phone(request, venue, code_form=form)
    # The number is remembered in the day's cookie; the session (which held it until the
    # code came back) ends, so later scans read no session at all.
    request.session.flush()
    checkin = venues.checkin_record(
        venue=venue, person_id=visitor.person_id, phone_idx=visitor.phone_idx
    )
    response = _done(request, venue.name, checkin.at)
    _set_pass(response, visitor)
    return response


@never_cache
@require_POST
@rate_limited()
def code(request: HttpRequest, code: str) -> HttpResponseBase:
    """Text a check-in code to the number given (rate limited per number and address)."""
    try:
        venue = venues.venue_for_code(code)
    except venues.VenueUnavailable as exc:
        return _refused(request, exc)
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _ask_phone(request, venue, phone_form=form)
    try:
        normalized = venues.checkin_code_request(
            venue=venue, phone=form.cleaned_data["phone"], ip=client_ip(request)
        )
    except ValidationError as exc:
        _apply(form, exc)
        return _ask_phone(request, venue, phone_form=form)
    request.session[PHONE_KEY] = normalized
    return redirect("checkin:scan", code=venue.code)
