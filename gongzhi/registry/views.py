"""Register pages of the workbench: the area tree, households and persons.

Thin by design: objects come from `selectors.*_get_for` (NotFound -> 404 through
`web.middleware`), every write goes through `services.*`, whose ValidationErrors are put
on the form field by field. Visible but not allowed (a police officer opening "edit") is
Forbidden -> 403; invisible is 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock, identity
from gongzhi.core.errors import Conflict, DomainError, DuplicatePerson, Forbidden, NotFound
from gongzhi.registry import exports, policy, selectors, services
from gongzhi.registry.choices import ETHNICITIES
from gongzhi.registry.forms import (
    HouseholdEditForm,
    HouseholdFilterForm,
    HouseholdForm,
    HouseholdMoveForm,
    MoveInForm,
    MoveOutForm,
    PersonEditForm,
    PersonForm,
    RevealForm,
    TagsForm,
    apply_errors,
    field_label,
)
from gongzhi.registry.models import (
    PRESENT_RESIDENCY,
    Area,
    Gender,
    Household,
    HouseholdStatus,
    Person,
    Relation,
    Residency,
    Tag,
)
from gongzhi.registry.transfer_views import transfer_offer

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

PAGE_SIZE = 50
PICK_LIMIT = 20
_ETHNICITY = dict(ETHNICITIES)


# --- helpers -----------------------------------------------------------------------------------


def _allowed(user: Viewer, perm: Perm, path: str) -> None:
    """A visible object, an action the user's role does not allow there: 403."""
    if not access.can(user, perm, path):
        raise Forbidden()


def _tag_label(tag: Tag) -> str:
    return tag.name_en if translation.get_language() == "en" else tag.name


def _tag_choices() -> list[tuple[str, str]]:
    return [(t.code, _tag_label(t)) for t in selectors.tag_list()]


def _building_choices(buildings: Any) -> list[tuple[Any, Any]]:
    """Buildings grouped by grid: `玉岭花园 1栋`."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for building in buildings:
        grid = building.parent.name if building.parent_id else ""
        compound = building.compound.name if building.compound_id else ""
        groups.setdefault(grid, []).append((building.pk, f"{compound} {building.name}".strip()))
    return [(grid, options) for grid, options in groups.items()]


def _save_failed(form: Any, exc: ValidationError, context: dict[str, Any], user: Viewer) -> None:
    """Put a service's errors on the form; a duplicate ID number links to the person found
    when the user may see them (the service's message already says who and where)."""
    apply_errors(form, exc)
    if isinstance(exc, DuplicatePerson):
        existing = exc.existing
        if access.can(user, Perm.REGISTER_VIEW, existing.area_path):
            context["duplicate"] = existing
        elif "household" in context:  # a new person: offer to ask for a transfer instead
            transfer_offer(context, form, context["household"])


_ACTIONS = {
    "household.create": gettext_lazy("Household registered"),
    "household.update": gettext_lazy("Household corrected"),
    "household.move": gettext_lazy("Household moved"),
    "person.create": gettext_lazy("Person registered"),
    "person.update": gettext_lazy("Person corrected"),
    "person.move_out": gettext_lazy("Moved out"),
    "person.deceased": gettext_lazy("Recorded as deceased"),
    "person.move_in": gettext_lazy("Moved in"),
    "person.tags": gettext_lazy("Tags changed"),
}
_VALUE_LABELS: dict[str, Any] = {
    "residency": Residency,
    "relation": Relation,
    "status": HouseholdStatus,
    "gender": Gender,
}


def _shown(field: str, value: Any, tags: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if field == "tags" and isinstance(value, list):
        return "、".join(str(tags.get(code, code)) for code in value) or "—"
    choices = _VALUE_LABELS.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if field == "ethnicity":
        return str(_ETHNICITY.get(value, value))
    return str(value)


def _history_rows(
    changes: list[Any], *, birth_date_shown: bool, with_person: bool = False
) -> list[dict[str, Any]]:
    """Register history prepared for the template: labels instead of codes; a birth date
    only as its year unless the viewer may see birth dates (`registry.policy`). `with_person`
    only where the selector loaded the person (household history)."""
    tags = {code: label for code, label in _tag_choices()}
    rows = []
    for change in changes:
        items = []
        for field, pair in (change.changes or {}).items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            label = field_label(field)
            if field == "birth_date" and not birth_date_shown:
                old, new = (str(v)[:4] if v else v for v in (old, new))
            items.append(
                {"label": label, "old": _shown(field, old, tags), "new": _shown(field, new, tags)}
            )
        rows.append(
            {
                "at": change.at,
                "actor": change.actor,
                "action": _ACTIONS.get(change.action, change.action),
                "code": change.action,
                "items": items,
                "note": change.note,
                "person": change.person if with_person and change.person_id else None,
            }
        )
    return rows


def _person_facts(user: Viewer, person: Person) -> dict[str, Any]:
    shown = policy.birth_shown(user, person)
    return {
        "age": identity.age_on(person.birth_date, clock.today()),
        # Only the year for roles that may not reveal: see registry.policy.
        "birth_year": shown if isinstance(shown, int) else None,
        "ethnicity": _ETHNICITY.get(person.ethnicity, person.ethnicity),
        "present": person.residency in PRESENT_RESIDENCY,
    }


# --- areas ---------------------------------------------------------------------------------------


@requires(Perm.AREA_VIEW)
def area_tree(request: SignedInRequest) -> HttpResponse:
    """The user's area: their top nodes, each opened one level."""
    roots = selectors.area_roots_for(user=request.user)
    nodes = [
        {"area": root, "children": selectors.area_children_for(user=request.user, area=root)}
        for root in roots
    ]
    return render(request, "registry/area_tree.html", {"nodes": nodes, "ancestors": []})


@login_required
def area_children(request: SignedInRequest, area_id: int) -> HttpResponse:
    """One node's children: a fragment for htmx, or the tree opened at this node."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    children = selectors.area_children_for(user=request.user, area=area)
    if request.htmx:
        return render(request, "registry/_area_nodes.html", {"children": children})
    roots = set(access.paths(request.user, Perm.AREA_VIEW))
    ancestors = [
        a
        for a in selectors.area_ancestors(area)
        if access.can(request.user, Perm.AREA_VIEW, a.path)
    ]
    context = {
        "nodes": [{"area": area, "children": children}],
        "ancestors": ancestors if area.path not in roots else [],
        "focus": area,
    }
    return render(request, "registry/area_tree.html", context)


# --- households ----------------------------------------------------------------------------------


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


def _household_export(request: SignedInRequest, households: Any, filters: Any) -> FileResponse:
    """The list as shown (same filters, same scope), every page, as XLSX or CSV; audited."""
    return exports.export_response(request, exports.HOUSEHOLDS, households, filters=filters)


def _person_export(request: SignedInRequest, households: Any, filters: Any) -> FileResponse:
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


# --- persons -------------------------------------------------------------------------------------


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
        "url": url,
        "state": "form",
    }
    form = RevealForm(request.POST or None)
    if request.method == "GET" and request.GET.get("cancel"):
        context["state"] = "masked"
    elif request.method == "POST" and form.is_valid():
        try:
            context["value"] = services.person_reveal(
                actor=user, person=person, field=field, purpose=form.cleaned_data["purpose"]
            )
            context["state"] = "revealed"
        except ValidationError as exc:
            apply_errors(form, exc)
    context["form"] = form
    template = "registry/_reveal.html" if request.htmx else "registry/person_reveal.html"
    return render(request, template, context)
