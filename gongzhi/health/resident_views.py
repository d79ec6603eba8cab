"""Residents' health pages at /m/health/, inside the portal's frame (phone first, elder
mode, the "acting for" banner): the hub, my code (the QR a sampling point scans), my
record (doses, tests with results, bookings) and booking a session.

Acting for a parent (`accounts.acting`), the pages are the parent's and a booking is
labelled by_proxy. An account not linked to a person of the register is told so.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import DomainError
from gongzhi.core.qr import qr_svg
from gongzhi.health import codes
from gongzhi.health import session_selectors as selectors
from gongzhi.health import sessions as services
from gongzhi.health.portal_hub import hub_tiles
from gongzhi.registry.models import Person

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 50


def _person(request: SignedInRequest) -> Person | None:
    return selectors.acting_person(acting.acting_person_id(request))


def _unlinked(request: SignedInRequest) -> HttpResponse:
    return render(request, "health/resident/unlinked.html", {})


@resident_login_required
@require_GET
def hub(request: SignedInRequest) -> HttpResponse:
    return render(
        request, "health/resident/hub.html", {"tiles": hub_tiles(), "person": _person(request)}
    )


@resident_login_required
@require_GET
@never_cache
def my_code(request: SignedInRequest) -> HttpResponse:
    """The personal code, made afresh at each opening (it is valid for a day)."""
    person = _person(request)
    if person is None:
        return _unlinked(request)
    return render(
        request,
        "health/resident/code.html",
        {
            "qr": qr_svg(codes.person_code(person.pk), border=2),
            "person": person,
            "made_at": clock.now(),
        },
    )


@resident_login_required
@require_GET
@never_cache
def my_record(request: SignedInRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        return _unlinked(request)
    record = selectors.health_record_for(person_id=person.pk)
    return render(request, "health/resident/record.html", {"record": record, "person": person})


@resident_login_required
@require_GET
def session_list(request: SignedInRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        return _unlinked(request)
    record = selectors.health_record_for(person_id=person.pk)
    rows = list(selectors.open_sessions_for(person=person)[:LIST_LIMIT])
    return render(
        request,
        "health/resident/sessions.html",
        {
            "sessions": rows,
            "booked": record.booked_session_ids,
            "upcoming": selectors.upcoming_bookings(record),
            "person": person,
        },
    )


def _say(request: SignedInRequest, exc: ValidationError) -> None:
    for problem in exc.messages:
        messages.error(request, problem)


@resident_login_required
@require_POST
def book(request: SignedInRequest, session_id: int) -> HttpResponseBase:
    person = _person(request)
    if person is None:
        messages.error(
            request,
            _("Your account is not linked to a person of the register yet; ask your grid worker."),
        )
        return redirect("health_m:hub")
    session = selectors.session_for_person(person=person, session_id=session_id)
    try:
        services.booking_create(actor=request.user, session=session, person=person)
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Booked. Bring your code to the session."))
    return redirect("health_m:sessions")


@resident_login_required
@require_POST
def cancel(request: SignedInRequest, booking_id: int) -> HttpResponseBase:
    booking = selectors.booking_get_for_resident(user=request.user, booking_id=booking_id)
    try:
        services.booking_cancel(actor=request.user, booking=booking)
    except ValidationError as exc:
        _say(request, exc)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Booking cancelled; the place is free for someone else."))
    return redirect("health_m:sessions")
