"""Pages for recording tests: the list of samples, one person's sample, and the scanning page
of a sampling point (a testing session's, or a free-standing one). Thin: parse, call
`health.samples` / `health.sample_selectors`, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import field_errors
from gongzhi.core.validation import errors_to_form
from gongzhi.health import sample_selectors as selectors
from gongzhi.health import samples
from gongzhi.health.models import SampleKind, SampleResult, TestingSession

PAGE_SIZE = 50
RESULT_CHOICES = [("", pgettext_lazy("test result", "Not read yet"))] + [
    (r.value, r.label) for r in samples.DIRECT_RESULTS
]


class SampleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of test"), choices=SampleKind.choices)
    tube_code = forms.CharField(
        label=gettext_lazy("Tube code"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Scan or type the code on the tube's label (PCR)."),
    )
    sampled_at = forms.DateTimeField(
        label=gettext_lazy("Sampled at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    result = forms.ChoiceField(
        label=gettext_lazy("Result (antigen tests only)"), choices=RESULT_CHOICES, required=False
    )


@requires(Perm.HEALTH_RECORD)
def index(request: SignedInRequest) -> HttpResponse:
    result = request.GET.get("result", "")
    rows = selectors.sample_list_for(user=request.user, result=result)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [{"sample": s, "person": selectors.person_label(s.person)} for s in page.object_list]
    context = {
        "page_obj": page,
        "rows": shown,
        "result": result,
        "results": SampleResult.choices,
        "sessions": selectors.sessions_open_for(user=request.user),
    }
    return render(request, "health/samples/index.html", context)


@requires(Perm.HEALTH_RECORD)
@require_http_methods(["GET", "POST"])
def record(request: SignedInRequest) -> HttpResponse:
    """Find the person with the register's search (masked), then record their sample."""
    user = request.user
    q = request.GET.get("q", "").strip()[:100]
    person_id = request.POST.get("person") or request.GET.get("person")
    person = (
        selectors.person_get_for_sampling(user=user, person_id=person_id) if person_id else None
    )
    now = timezone.localtime(clock.now()).replace(second=0, microsecond=0)
    form = SampleForm(
        request.POST if request.method == "POST" else None,
        initial={"kind": SampleKind.PCR, "sampled_at": now},
    )
    if request.method == "POST" and form.is_valid():
        if person is None:
            form.add_error(None, _("Find the person first."))
        else:
            data = form.cleaned_data
            try:
                sample = samples.sample_record(
                    actor=user,
                    person=person,
                    kind=data["kind"],
                    tube_code=data["tube_code"],
                    sampled_at=data["sampled_at"],
                    result=data["result"],
                )
            except ValidationError as exc:
                errors_to_form(form, exc, label=_field_label)
            else:
                messages.success(request, _("Sample #%(number)s recorded.") % {"number": sample.pk})
                return redirect("health_samples:index")
    context = {
        "form": form,
        "q": q,
        "found": selectors.person_search(user=user, q=q) if q and person is None else [],
        "person": selectors.person_label(person) if person is not None else None,
    }
    return render(request, "health/samples/record.html", context)


def _field_label(name: str) -> str:
    return {
        "person": _("Person"),
        "session": _("Session"),
        "code": _("Resident's code"),
    }.get(name, name)


# --- the scanning page -------------------------------------------------------------------------


@requires(Perm.HEALTH_RECORD)
@require_http_methods(["GET", "POST"])
def scan(request: SignedInRequest, session_id: int | None = None) -> HttpResponse:
    """A sampling point: scan a resident's code, then the tube's; each pair is one sample.

    The first scan is checked on its own (a stale code, a person outside the area, someone
    sampled minutes ago are refused before the swab); the tube's scan records the sample.
    """
    user = request.user
    session = (
        selectors.session_get_for_sampling(user=user, session_id=session_id)
        if session_id is not None
        else None
    )
    state: dict[str, Any] = {
        "kind": request.POST.get("kind") or SampleKind.PCR,
        "result": request.POST.get("result", ""),
        "code": "",
        "errors": [],
    }
    if state["kind"] not in SampleKind.values:
        state["kind"] = SampleKind.PCR
    if request.method == "POST":
        _scan_step(request, session, state)
    context = {
        "session": session,
        "state": state,
        "count": selectors.point_count(user=user, session=session),
        "recent": selectors.recent_scans(user=user, session=session),
        "kinds": SampleKind.choices,
        "results": RESULT_CHOICES,
        "post_url": request.path,
    }
    if request.htmx:
        return render(request, "health/samples/_scan_panel.html", context)
    return render(request, "health/samples/scan.html", context)


def _scan_step(request: SignedInRequest, session: TestingSession | None, state: dict) -> None:
    code = (request.POST.get("code") or "").strip()[:300]
    tube = (request.POST.get("tube") or "").strip()[:60]
    if not code:
        state["errors"] = [_("Scan the resident's personal code.")]
        return
    label = None
    try:
        person = samples.person_from_code(actor=request.user, code=code)
        previous = samples.recent_duplicate(person, state["kind"], clock.now())
        if previous is not None:
            raise ValidationError(
                {"person": [ValidationError(samples.duplicate_message(previous, clock.now()))]}
            )
        label = selectors.person_label(person)
        if state["kind"] == SampleKind.PCR and not tube:
            state.update(code=code, person=label, waiting_for_tube=True)
            return
        sample = samples.sample_record(
            actor=request.user,
            person=person,
            kind=state["kind"],
            tube_code=tube,
            result=state["result"] if state["kind"] == SampleKind.ANTIGEN else "",
            session=session,
        )
    except ValidationError as exc:
        found = field_errors(exc)
        state["errors"] = [m for ms in found.values() for m in ms]
        # A bad tube keeps the checked resident: scan another tube.
        if label is not None and set(found) <= {"tube_code"}:
            state.update(code=code, person=label, waiting_for_tube=True)
        return
    state["recorded"] = {"sample": sample, "person": label}
