"""Households: the list (search, filters, exports), a household, registering, correcting, moving."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock, identity
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.registry import exports, panels, policy, selectors, services
from gongzhi.registry.forms import (
    HouseholdEditForm,
    HouseholdFilterForm,
    HouseholdForm,
    HouseholdMoveForm,
    apply_errors,
)
from gongzhi.registry.models import (
    PRESENT_RESIDENCY,
    Area,
    Household,
)

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

from gongzhi.registry.views.common import (
    PAGE_SIZE,
    _allowed,
    _building_choices,
    _history_rows,
    _tag_choices,
)


@requires(Perm.REGISTER_VIEW)
def household_list(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    grids = selectors.grid_options_for(user=user)
    area: Area | None = None
    raw_area = request.GET.get("area", "")
    if raw_area:
        # The tree links here with any node (community, building …); out of scope is 404.
        area = selectors.area_get_for(user=user, area_id=raw_area, perm=Perm.REGISTER_VIEW)
        known = {value for value, _label in _flatten(grids)}
        if area.pk not in known:
            grids = [*grids, (area.pk, area.name)]
    form = HouseholdFilterForm(request.GET or None, grids=grids, tags=_tag_choices())
    filters = selectors.HouseholdFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.HouseholdFilters(
            q=data["q"] or "",
            area_id=data["area"],
            tag=data["tag"] or "",
            status=data["status"] or "",
        )
    exact_search = access.can(user, Perm.REGISTER_REVEAL)  # may search by a full ID / phone
    if not exact_search:
        form.fields["q"].widget.attrs["placeholder"] = _("Name, pinyin or address")
    search_error = ""
    try:
        households = selectors.household_list_for(user=user, filters=filters)
    except DomainError as exc:  # an exact search this role may not run, or one too many
        search_error = str(exc.message)
        households = Household.objects.none()
    if request.GET.get("export"):
        if request.GET.get("rows") == "persons":
            return _person_export(request, households, filters)
        return _household_export(request, households, filters)
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_member_counts(page.object_list)
    if filters.q and not search_error:
        _mark_matches(user, page.object_list, filters.q)
    context = {
        "form": form,
        "page_obj": page,
        "filtered": any([filters.q, filters.area_id, filters.tag, filters.status]),
        "area": area,
        "exact_search": exact_search,
        "search_error": search_error,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "registry/_household_results.html", context)
    return render(request, "registry/household_list.html", context)


def _mark_matches(user: Viewer, households: list[Household], q: str) -> None:
    """Say on each household which members the search matched (匹配：张*明（拼音 zm）)."""
    matches = selectors.household_matches_for(user=user, households=households, q=q)
    for household in households:
        found = []
        for match in matches.get(household.pk, []):
            name = policy.name_shown(user, match.person)
            if match.how == "pinyin":
                found.append(_("%(name)s (pinyin %(key)s)") % {"name": name, "key": match.key})
            else:
                found.append(name)
        household.matched = (
            _("Matched: %(members)s") % {"members": pgettext("list separator", ", ").join(found)}
            if found
            else ""
        )


def _household_export(request: SignedInRequest, households: Any, filters: Any) -> HttpResponseBase:
    """The list as shown (same filters, same scope), every page, as XLSX or CSV; audited."""
    return exports.export_response(request, exports.HOUSEHOLDS, households, filters=filters)


def _person_export(request: SignedInRequest, households: Any, filters: Any) -> HttpResponseBase:
    """The persons of the listed households (same filters, same scope), one row each, with
    ID numbers and phones masked as on the household page; audited."""
    people = (
        selectors.person_list_for(user=request.user)
        .filter(household_id__in=households.order_by().values("pk"))
        .select_related("household__building__parent")
        .order_by("area_path", "household__unit", "household__room", "household_id", "pk")
    )
    return exports.export_response(request, exports.PERSONS, people, filters=filters)


def _flatten(choices: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    flat: list[tuple[Any, Any]] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            flat.extend(label)
        else:
            flat.append((value, label))
    return flat


@login_required
def household_detail(request: SignedInRequest, household_id: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get_for(user=user, household_id=household_id)
    members = selectors.household_members(household, include_past=True)
    present = [m for m in members if m.residency in PRESENT_RESIDENCY]
    past = [m for m in members if m.residency not in PRESENT_RESIDENCY]
    today = clock.today()
    for member in members:
        member.age = identity.age_on(member.birth_date, today)
    context = {
        "household": household,
        "grid": household.building.parent,
        "present": present,
        "past": past,
        "history": _history_rows(
            selectors.household_history(household),
            birth_date_shown=policy.sees_birth_date(user, household.area_path),
            with_person=True,
        ),
        "can_edit": access.can(user, Perm.REGISTER_EDIT, household.area_path),
        "can_reveal": access.can(user, Perm.REGISTER_REVEAL, household.area_path),
        "panels": panels.panels_for("household", user=user, obj=household),
    }
    return render(request, "registry/household_detail.html", context)


@requires(Perm.REGISTER_EDIT)
@require_http_methods(["GET", "POST"])
def household_create(request: SignedInRequest) -> HttpResponse:
    user = request.user
    buildings = _building_choices(selectors.building_choices_for(user=user))
    initial = {}
    if request.GET.get("building"):
        initial["building"] = request.GET["building"]
    form = HouseholdForm(request.POST or None, buildings=buildings, initial=initial)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            building = _building_for_edit(user, data["building"], form)
            if building is not None:
                household = services.household_create(
                    actor=user,
                    building=building,
                    unit=data["unit"],
                    room=data["room"],
                    notes=data["notes"],
                    status=data["status"],
                )
                messages.success(request, _("Household registered: %s") % household.address)
                return redirect("registry:household_detail", household_id=household.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "registry/household_form.html", context)


def _building_for_edit(user: Viewer, building_id: int | None, form: Any) -> Area | None:
    if building_id is None:
        form.add_error("building", _("Choose a building."))
        return None
    try:
        return selectors.area_get_for(user=user, area_id=building_id, perm=Perm.REGISTER_EDIT)
    except NotFound:
        form.add_error("building", _("Choose a building in your area."))
        return None


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: SignedInRequest, household_id: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get_for(user=user, household_id=household_id)
    _allowed(user, Perm.REGISTER_EDIT, household.area_path)
    members = selectors.household_members(household)
    initial = {
        "unit": household.unit,
        "room": household.room,
        "status": household.status,
        "head": household.head_id,
        "notes": household.notes,
    }
    form = HouseholdEditForm(
        request.POST or None, members=[(m.pk, m.name) for m in members], initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        by_id = {m.pk: m for m in members}
        data["head"] = by_id.get(data["head"]) if data["head"] else None
        try:
            services.household_update(actor=user, household=household, data=data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("registry:household_detail", household_id=household.pk)
    return render(request, "registry/household_edit.html", {"form": form, "household": household})


@login_required
@require_http_methods(["GET", "POST"])
def household_move(request: SignedInRequest, household_id: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get_for(user=user, household_id=household_id)
    _allowed(user, Perm.REGISTER_EDIT, household.area_path)
    buildings = selectors.building_choices_for(user=user, community=household.community)
    form = HouseholdMoveForm(request.POST or None, buildings=_building_choices(buildings))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            building = _building_for_edit(user, data["building"], form)
            if building is not None:
                services.household_move(
                    actor=user,
                    household=household,
                    building=building,
                    unit=data["unit"],
                    room=data["room"],
                )
                messages.success(request, _("Household moved to %s.") % household.address)
                return redirect("registry:household_detail", household_id=household.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "registry/household_move.html", {"form": form, "household": household})
