"""Workbench pages of testing and vaccination sessions (health.record), at /health/sessions/:
the sessions the user sees, create and edit, close, and one session with its bookings
(names masked), attendance and the doses recorded there. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.validation import errors_to_form
from gongzhi.health import session_selectors as selectors
from gongzhi.health import sessions as services
from gongzhi.health.models import SessionKind

PAGE_SIZE = 50
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
WHEN = ("upcoming", "past")


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class SessionForm(forms.Form):
    """Parse only: the service checks the rules (end after start, capacity, vaccine)."""

    area = forms.TypedChoiceField(label=gettext_lazy("Run by"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SessionKind.choices)
    place = forms.CharField(label=pgettext_lazy("session", "Place"), required=False, max_length=200)
    starts_at = _when(gettext_lazy("Starts"))
    ends_at = _when(gettext_lazy("Ends"))
    capacity = forms.IntegerField(label=gettext_lazy("Places"))
    vaccine = forms.CharField(
        label=gettext_lazy("Vaccine"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Vaccination sessions only."),
    )

    def __init__(self, *args: Any, areas: list[Any], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.TypedChoiceField)
        area.choices = [(a.pk, a.name) for a in areas]
        if editing:  # a session keeps its area and kind
            del self.fields["area"]
            del self.fields["kind"]


def _managed(request: SignedInRequest, session_id: int) -> Any:
    """A session the user sees (404 else) and may edit or close (403 else: a grid
    worker sees the community's sessions, its staff run them)."""
    session = selectors.session_get_for(user=request.user, session_id=session_id)
    if not selectors.may_manage(request.user, session):
        raise Forbidden()
    return session


@requires(Perm.HEALTH_RECORD)
def session_list(request: SignedInRequest) -> HttpResponse:
    when = request.GET.get("when", "upcoming")
    if when not in WHEN:
        when = ""
    rows = selectors.session_list_for(user=request.user, when=when)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "health/sessions/list.html",
        {"page_obj": page, "when": when, "section": "health"},
    )


@requires(Perm.HEALTH_RECORD)
@require_http_methods(["GET", "POST"])
def session_create(request: SignedInRequest) -> HttpResponseBase:
    areas = selectors.area_choices_for(user=request.user)
    posted = request.method == "POST"
    form = SessionForm(
        request.POST if posted else None, areas=areas, initial={"kind": "vaccination"}
    )
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data["area"] = next(a for a in areas if a.pk == data["area"])
        try:
            session = services.session_create(actor=request.user, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Session created; residents can book it now."))
            return redirect("health_sessions:detail", session_id=session.pk)
    return render(
        request, "health/sessions/form.html", {"form": form, "session": None, "section": "health"}
    )


@requires(Perm.HEALTH_RECORD)
@require_http_methods(["GET", "POST"])
def session_edit(request: SignedInRequest, session_id: int) -> HttpResponseBase:
    session = _managed(request, session_id)
    posted = request.method == "POST"
    initial = {f: getattr(session, f) for f in ("place", "starts_at", "ends_at", "capacity")}
    initial["vaccine"] = session.vaccine
    form = SessionForm(request.POST if posted else None, areas=[], editing=True, initial=initial)
    if posted and form.is_valid():
        try:
            services.session_update(actor=request.user, session=session, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Session saved."))
            return redirect("health_sessions:detail", session_id=session.pk)
    return render(
        request,
        "health/sessions/form.html",
        {"form": form, "session": session, "section": "health"},
    )


@requires(Perm.HEALTH_RECORD)
def session_detail(request: SignedInRequest, session_id: int) -> HttpResponse:
    session = selectors.session_get_for(user=request.user, session_id=session_id)
    return render(
        request,
        "health/sessions/detail.html",
        {
            "session": session,
            "bookings": selectors.session_bookings_for(user=request.user, session=session),
            "may_manage": selectors.may_manage(request.user, session),
            "section": "health",
        },
    )


@requires(Perm.HEALTH_RECORD)
@require_POST
def session_close(request: SignedInRequest, session_id: int) -> HttpResponseBase:
    session = _managed(request, session_id)
    try:
        services.session_close(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Session closed."))
    return redirect("health_sessions:detail", session_id=session.pk)


def _say(request: SignedInRequest, exc: ValidationError) -> None:
    for problem in exc.messages:
        messages.error(request, problem)


@requires(Perm.HEALTH_RECORD)
@require_POST
def session_record(request: SignedInRequest, session_id: int) -> HttpResponseBase:
    """From the bookings list: a dose given (vaccination) or attendance (testing)."""
    session = selectors.session_get_for(user=request.user, session_id=session_id)
    person_id = request.POST.get("person", "")
    try:
        if session.kind == SessionKind.VACCINATION:
            services.session_dose_record(actor=request.user, session=session, person_id=person_id)
            done = _("Dose recorded.")
        else:
            services.booking_attend(actor=request.user, session=session, person_id=person_id)
            done = _("Marked as attended.")
    except ValidationError as exc:
        _say(request, exc)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("health_sessions:detail", session_id=session.pk)
