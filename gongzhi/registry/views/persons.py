"""Persons: registering, a person, correcting, moving out and in, tags, the audited reveal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import Conflict, NotFound
from gongzhi.registry import panels, policy, proxies, selectors, services
from gongzhi.registry.forms import (
    MoveInForm,
    MoveOutForm,
    PersonEditForm,
    PersonForm,
    TagsForm,
    apply_errors,
    field_label,
    reveal_exchange,
)
from gongzhi.registry.models import (
    PRESENT_RESIDENCY,
    Household,
    HouseholdStatus,
    Relation,
)
from gongzhi.registry.proxy_forms import ProxyLinkForm
from gongzhi.registry.views.common import (
    PICK_LIMIT,
    _allowed,
    _history_rows,
    _person_facts,
    _save_failed,
    _tag_choices,
    _tag_label,
)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: SignedInRequest, household_id: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get_for(user=user, household_id=household_id)
    _allowed(user, Perm.REGISTER_EDIT, household.area_path)
    initial: dict[str, Any] = {"moved_in_on": clock.today()}
    if household.head_id is None:
        initial["relation"] = Relation.HEAD
    form = PersonForm(request.POST or None, tags=_tag_choices(), initial=initial)
    context: dict[str, Any] = {"form": form, "household": household}
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(
                actor=user,
                household=household,
                data=form.service_data(),
                tags=form.cleaned_data["tags"],
            )
        except ValidationError as exc:
            _save_failed(form, exc, context, user)
        else:
            messages.success(request, _("%s is registered.") % person.name)
            return redirect("registry:household_detail", household_id=household.pk)
    return render(request, "registry/person_form.html", context)


@login_required
def person_detail(request: SignedInRequest, person_id: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    can_edit = access.can(user, Perm.REGISTER_EDIT, person.area_path)
    context = {
        "person": person,
        "household": person.household,
        "facts": _person_facts(request.user, person),
        "tags": [_tag_label(t) for t in person.tags.all()],
        "history": _history_rows(
            selectors.person_history(person),
            birth_date_shown=policy.sees_birth_date(user, person.area_path),
        ),
        "can_edit": can_edit,
        "can_reveal": access.can(user, Perm.REGISTER_REVEAL, person.area_path),
        "panels": panels.panels_for("person", user=user, obj=person),
        "proxies": proxies.proxy_links_of_person(person),
        "can_confirm_proxy": access.can(user, Perm.PROXY_CONFIRM, person.area_path),
        "proxy_form": ProxyLinkForm(),
    }
    return render(request, "registry/person_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: SignedInRequest, person_id: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    _allowed(user, Perm.REGISTER_EDIT, person.area_path)
    form = PersonEditForm(request.POST or None, person=person)
    context: dict[str, Any] = {"form": form, "person": person}
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=user,
                person=person,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            _save_failed(form, exc, context, user)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:person_detail", person_id=person.pk)
    return render(request, "registry/person_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_move_out(request: SignedInRequest, person_id: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    _allowed(user, Perm.REGISTER_EDIT, person.area_path)
    form = MoveOutForm(request.POST or None, initial={"on_date": clock.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_move_out(
                actor=user,
                person=person,
                on_date=data["on_date"],
                reason=data["reason"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%s is recorded as no longer living here.") % person.name)
            return redirect("registry:household_detail", household_id=person.household_id)
    return render(request, "registry/person_move_out.html", {"form": form, "person": person})


@login_required
@require_http_methods(["GET", "POST"])
def person_move_in(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Into a household of the user's area: back home, or a new home (picked by search)."""
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    _allowed(user, Perm.REGISTER_EDIT, person.area_path)
    q = request.GET.get("q", "").strip()
    candidates: list[Household] = []
    if q:
        found = selectors.household_list_for(
            user=user, filters=selectors.HouseholdFilters(q=q, status=HouseholdStatus.ACTIVE)
        )
        candidates = [
            h for h in found[:PICK_LIMIT] if access.can(user, Perm.REGISTER_EDIT, h.area_path)
        ]
    current = person.household
    if all(c.pk != current.pk for c in candidates):
        candidates.insert(0, current)
    form = MoveInForm(
        request.POST or None,
        initial={
            # Coming back: preselect the last household; changing household: pick one.
            "household": None if person.residency in PRESENT_RESIDENCY else current.pk,
            "relation": person.relation,
            "on_date": clock.today(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = None
        if data["household"] is None:
            form.add_error("household", _("Choose the household the person moves into."))
        else:
            try:
                household = selectors.household_get_for(
                    user=user, household_id=data["household"], perm=Perm.REGISTER_EDIT
                )
            except NotFound:
                form.add_error("household", _("Choose a household in your area."))
        if household is not None:
            try:
                services.person_move_in(
                    actor=user,
                    person=person,
                    household=household,
                    relation=data["relation"],
                    residency=data["residency"],
                    on_date=data["on_date"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s moved in to %(address)s.")
                    % {"name": person.name, "address": household.address},
                )
                return redirect("registry:person_detail", person_id=person.pk)
    selected = form["household"].value()
    context = {
        "form": form,
        "person": person,
        "candidates": candidates,
        "selected": str(selected) if selected is not None else "",
        "q": q,
    }
    if request.htmx and request.htmx.target == "pick-results":
        return render(request, "registry/_household_pick.html", context)
    return render(request, "registry/person_move_in.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_tags(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Edit a person's tags: inline on the person page with htmx, or as its own page."""
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    _allowed(user, Perm.REGISTER_EDIT, person.area_path)
    current = [t.code for t in person.tags.all()]
    if request.method == "GET" and request.GET.get("cancel") and request.htmx:
        context = {
            "person": person,
            "tags": [_tag_label(t) for t in person.tags.all()],
            "can_edit": True,
        }
        return render(request, "registry/_person_tags.html", context)
    form = TagsForm(request.POST or None, tags=_tag_choices(), initial={"tags": current})
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_tag_set(
                actor=user, person=person, tag_codes=form.cleaned_data["tags"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if request.htmx:
                person = selectors.person_get_for(user=user, person_id=person.pk)
                context = {
                    "person": person,
                    "tags": [_tag_label(t) for t in person.tags.all()],
                    "can_edit": True,
                    "saved": True,
                    "history": _history_rows(
                        selectors.person_history(person),
                        birth_date_shown=policy.sees_birth_date(user, person.area_path),
                    ),
                }
                return render(request, "registry/_person_tags.html", context)
            messages.success(request, _("Tags saved."))
            return redirect("registry:person_detail", person_id=person.pk)
    context = {"form": form, "person": person}
    template = "registry/_person_tags_form.html" if request.htmx else "registry/person_tags.html"
    return render(request, template, context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_reveal(request: SignedInRequest, person_id: int, field: str) -> HttpResponse:
    """Show a full ID number or phone after the user states why (audited by the service)."""
    if field not in services.SENSITIVE:
        raise Http404()
    user = request.user
    person = selectors.person_get_for(user=user, person_id=person_id)
    _allowed(user, Perm.REGISTER_REVEAL, person.area_path)
    url = reverse("registry:person_reveal", args=[person.pk, field])
    context: dict[str, Any] = {
        "person": person,
        "field": field,
        "field_label": field_label(field),
        "masked": getattr(person, field),
        "slot": f"reveal-{person.pk}-{field}",
        "owner": person.pk,
        "url": url,
        "back_url": reverse("registry:person_detail", args=[person.pk]),
    }
    reveal_exchange(
        request,
        context,
        lambda purpose: services.person_reveal(
            actor=user, person=person, field=field, purpose=purpose
        ),
    )
    template = "registry/_reveal.html" if request.htmx else "registry/person_reveal.html"
    return render(request, template, context)
