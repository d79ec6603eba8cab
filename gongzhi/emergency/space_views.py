"""Workbench pages of reserved spaces (弹性空间), at /emergency/spaces/: the spaces by kind
with their free places, creating and editing one, taking and freeing places.
`emergency.view` reads, `emergency.supply` writes. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import errors_to_form
from gongzhi.emergency import spaces as services
from gongzhi.emergency import supply_selectors as selectors
from gongzhi.emergency.models import Space, SpaceKind, SpaceStatus

SECTION = "emergency"


class SpaceForm(forms.Form):
    """Parse only: the service checks the rules (capacity not below the places taken …)."""

    area = forms.TypedChoiceField(label=gettext_lazy("Area"), coerce=int)
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=300)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SpaceKind.choices)
    capacity = forms.IntegerField(label=gettext_lazy("Capacity"))
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=SpaceStatus.choices, initial=SpaceStatus.READY
    )
    location = forms.CharField(label=gettext_lazy("Location"), required=False, max_length=400)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=400)

    def __init__(self, *args: Any, areas: list[Any], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.TypedChoiceField)
        area.choices = [(a.pk, a.name) for a in areas]
        if editing:  # a space stays in its area
            del self.fields["area"]


def _managed(request: SignedInRequest, space_id: int) -> Space:
    space = selectors.space_get_for(user=request.user, space_id=space_id)
    if not selectors.may_manage(request.user, space):
        raise Forbidden()
    return space


@requires(Perm.EMERGENCY_VIEW)
def index(request: SignedInRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in SpaceKind.values:
        kind = ""
    spaces = list(selectors.space_list_for(user=request.user, kind=kind))
    for space in spaces:
        space.may_manage = selectors.may_manage(request.user, space)  # type: ignore[attr-defined]
    return render(
        request,
        "emergency/spaces/index.html",
        {
            "groups": selectors.spaces_by_kind(spaces),
            "kind": kind,
            "kinds": SpaceKind.choices,
            "may_create": bool(selectors.store_choices_for(user=request.user)),
            "section": SECTION,
        },
    )


@requires(Perm.SUPPLY_MANAGE)
@require_http_methods(["GET", "POST"])
def space_create(request: SignedInRequest) -> HttpResponseBase:
    areas = selectors.store_choices_for(user=request.user)
    posted = request.method == "POST"
    form = SpaceForm(request.POST if posted else None, areas=areas)
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        data["area"] = next(a for a in areas if a.pk == data["area"])
        try:
            services.space_create(actor=request.user, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Space added."))
            return redirect("emergency_spaces:index")
    return render(
        request, "emergency/spaces/form.html", {"form": form, "space": None, "section": SECTION}
    )


@requires(Perm.EMERGENCY_VIEW)
@require_http_methods(["GET", "POST"])
def space_edit(request: SignedInRequest, space_id: int) -> HttpResponseBase:
    space = _managed(request, space_id)
    posted = request.method == "POST"
    fields = ("name", "kind", "capacity", "status", "location", "note")
    initial = {f: getattr(space, f) for f in fields}
    form = SpaceForm(request.POST if posted else None, areas=[], editing=True, initial=initial)
    if posted and form.is_valid():
        try:
            services.space_update(actor=request.user, space=space, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Space saved."))
            return redirect("emergency_spaces:index")
    return render(
        request, "emergency/spaces/form.html", {"form": form, "space": space, "section": SECTION}
    )


@requires(Perm.EMERGENCY_VIEW)
@require_POST
def space_occupy(request: SignedInRequest, space_id: int) -> HttpResponseBase:
    """From the list: take (a positive number) or free (a negative one) places."""
    space = _managed(request, space_id)
    try:
        delta = int(request.POST.get("delta", ""))
    except ValueError:
        delta = 0
    try:
        services.space_occupy(actor=request.user, space=space, delta=delta)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Places updated."))
    return redirect("emergency_spaces:index")
