"""Workbench pages of venue codes (场所码, venue.manage): the area's venues, create, edit,
close / reopen / new code, and the printable QR poster. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError
from gongzhi.core.qr import qr_svg
from gongzhi.core.validation import errors_to_form
from gongzhi.health import venue_selectors as selectors
from gongzhi.health import venues as services
from gongzhi.health.models import Venue
from gongzhi.health.venue_forms import VenueForm
from gongzhi.registry.models import Area

PAGE_SIZE = 50
ACTIONS = {
    "close": services.venue_close,
    "reopen": services.venue_reopen,
    "rotate": services.venue_rotate_code,
}


def _areas(user: Any) -> list[Area]:
    """The open communities, grids, compounds and buildings where the user manages venues."""
    return list(
        Area.objects.restrict(user, Perm.VENUE_MANAGE)
        .filter(kind__in=services.VENUE_AREA_KINDS, closed_at=None)
        .order_by("path")[:500]
    )


def _checkin_url(request: SignedInRequest, venue: Venue) -> str:
    return request.build_absolute_uri(reverse("checkin:scan", kwargs={"code": venue.code}))


@requires(Perm.VENUE_MANAGE)
def venue_list(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.venue_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    may_trace = access.can(request.user, Perm.CONTACT_TRACE)
    return render(request, "health/venues/list.html", {"page_obj": page, "may_trace": may_trace})


@requires(Perm.VENUE_MANAGE)
@require_http_methods(["GET", "POST"])
def venue_create(request: SignedInRequest) -> HttpResponseBase:
    areas = _areas(request.user)
    choices = [(a.pk, f"{a.name} ({a.get_kind_display()})") for a in areas]
    form = VenueForm(request.POST if request.method == "POST" else None, areas=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = Area.objects.filter(pk=data["area"]).first()
            venue = services.venue_create(
                actor=request.user,
                area=area,  # type: ignore[arg-type]  # None: refused naming the field
                name=data["name"],
                kind=data["kind"],
                expires_on=data["expires_on"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Venue created. Print its poster and hang it up."))
            return redirect("health_venues:detail", venue_id=venue.pk)
    return render(request, "health/venues/form.html", {"form": form, "venue": None})


@requires(Perm.VENUE_MANAGE)
@require_http_methods(["GET", "POST"])
def venue_edit(request: SignedInRequest, venue_id: int) -> HttpResponseBase:
    venue = selectors.venue_get_for(user=request.user, venue_id=venue_id)
    initial = {"name": venue.name, "kind": venue.kind or "other", "expires_on": venue.expires_on}
    form = VenueForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.venue_update(actor=request.user, venue=venue, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Venue saved."))
            return redirect("health_venues:detail", venue_id=venue.pk)
    return render(request, "health/venues/form.html", {"form": form, "venue": venue})


@requires(Perm.VENUE_MANAGE)
def venue_detail(request: SignedInRequest, venue_id: int) -> HttpResponse:
    venue = selectors.venue_get_for(user=request.user, venue_id=venue_id)
    return render(
        request,
        "health/venues/detail.html",
        {
            "venue": venue,
            "kind_label": services.VENUE_KINDS.get(venue.kind, venue.kind),
            "counts": selectors.venue_counts(venue),
            "checkin_url": _checkin_url(request, venue),
        },
    )


@requires(Perm.VENUE_MANAGE)
@require_POST
def venue_transition(request: SignedInRequest, venue_id: int) -> HttpResponseBase:
    venue = selectors.venue_get_for(user=request.user, venue_id=venue_id)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Choose what to do with the venue."))
    else:
        try:
            action(actor=request.user, venue=venue)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Done."))
    return redirect("health_venues:detail", venue_id=venue.pk)


@requires(Perm.VENUE_MANAGE)
def venue_poster(request: SignedInRequest, venue_id: int) -> HttpResponse:
    """A page to print and hang at the place: the venue's name and its check-in QR."""
    venue = selectors.venue_get_for(user=request.user, venue_id=venue_id)
    url = _checkin_url(request, venue)
    response = render(
        request,
        "health/venues/poster.html",
        {"venue": venue, "qr": qr_svg(url), "checkin_url": url},
    )
    response["Cache-Control"] = "private, no-store"
    return response
