"""Contact tracing pages (health.trace): who was at a venue in a window; everyone who
shared a place and hour with a person chosen through the register's search. Opening a
trace asks for a purpose and is audited (`venues.trace_open`); lists are masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.masking import mask_name
from gongzhi.core.validation import errors_to_form
from gongzhi.health import venue_selectors as selectors
from gongzhi.health import venues as services
from gongzhi.health.venue_forms import TraceForm
from gongzhi.registry import selectors as register

SEARCH_SHOWN = 20


def _form(request: SignedInRequest) -> TraceForm:
    if request.method == "POST":
        return TraceForm(request.POST)
    now = timezone.localtime(clock.now()).replace(second=0, microsecond=0)
    start = now - dt.timedelta(days=services.TRACE_MAX_DAYS)
    return TraceForm(
        initial={"start": start.strftime("%Y-%m-%dT%H:%M"), "end": now.strftime("%Y-%m-%dT%H:%M")}
    )


@requires(Perm.CONTACT_TRACE)
def index(request: SignedInRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:50]
    persons: list[Any] = []
    if q:
        found = register.person_search_for(user=request.user, q=q, perm=Perm.CONTACT_TRACE)
        persons = [
            {"pk": p.pk, "name": mask_name(p.name), "born": p.birth_date.year}
            for p in found.order_by("pk")[:SEARCH_SHOWN]
        ]
    venues = selectors.venue_list_for(user=request.user, perm=Perm.CONTACT_TRACE)[:200]
    return render(
        request,
        "health/venues/trace_index.html",
        {
            "q": q,
            "persons": persons,
            "venues": venues,
            "may_manage": access.can(request.user, Perm.VENUE_MANAGE),
        },
    )


def _trace(request: SignedInRequest, subject: Any, run: Any) -> tuple[TraceForm, Any]:
    form = _form(request)
    rows = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            window = services.trace_open(
                actor=request.user,
                subject=subject,
                start=data["start"],
                end=data["end"],
                purpose=data["purpose"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            rows = run(window)
    return form, rows


@requires(Perm.CONTACT_TRACE)
@require_http_methods(["GET", "POST"])
def venue(request: SignedInRequest, venue_id: int) -> HttpResponse:
    found = selectors.venue_get_for(user=request.user, venue_id=venue_id, perm=Perm.CONTACT_TRACE)
    form, rows = _trace(
        request,
        found,
        lambda window: selectors.venue_visits(user=request.user, venue=found, window=window),
    )
    return render(
        request,
        "health/venues/trace_venue.html",
        {"venue": found, "form": form, "rows": rows},
    )


@requires(Perm.CONTACT_TRACE)
@require_http_methods(["GET", "POST"])
def person(request: SignedInRequest, person_id: int) -> HttpResponse:
    found = register.person_get_for(user=request.user, person_id=person_id, perm=Perm.CONTACT_TRACE)
    form, rows = _trace(
        request,
        found,
        lambda window: selectors.contacts_of(user=request.user, person=found, window=window),
    )
    return render(
        request,
        "health/venues/trace_person.html",
        {"person_name": mask_name(found.name), "person": found, "form": form, "rows": rows},
    )
