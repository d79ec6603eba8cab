"""The area tree: the user's nodes with counts, one node's page (its children, compounds,
map and history), and for those who manage areas: add, rename, move, close, reopen, map
shapes and the structure import. Writes go through `registry.areas`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.registry import geo, selectors, services
from gongzhi.registry.area_forms import (
    AREA_FIELD_LABELS,
    AreaCloseForm,
    AreaCreateForm,
    AreaEditForm,
    AreaMoveForm,
    GeometryUploadForm,
    PointForm,
    StructureImportForm,
    apply_area_errors,
)
from gongzhi.registry.areas import CLOSABLE, MOVABLE
from gongzhi.registry.codes import ALLOWED_PARENTS
from gongzhi.registry.models import Area, AreaChange, AreaKind
from gongzhi.registry.structure_import import StructureImportError, structure_import
from gongzhi.registry.views.common import _allowed

MAP_WIDTH = 600
MAP_LABELS_MAX = 30
# How the history names what happened (`AreaChange.action`).
HISTORY_ACTIONS = {
    "area.create": pgettext_lazy("area history", "Added"),
    "area.rename": pgettext_lazy("area history", "Renamed"),
    "area.move": pgettext_lazy("area history", "Moved"),
    "area.close": pgettext_lazy("area history", "Closed"),
    "area.reopen": pgettext_lazy("area history", "Reopened"),
    "area.details": pgettext_lazy("area history", "Units, floors or dwellings changed"),
    "area.geometry": pgettext_lazy("area history", "Map shape changed"),
}


def _manages(request: SignedInRequest, area: Area) -> bool:
    return access.can(request.user, Perm.AREA_MANAGE, area.path)


def _addable(area: Area) -> list[tuple[str, str]]:
    """The kinds of node that may go under `area` (grids, compounds, buildings only)."""
    if area.is_closed:
        return []
    kinds = (AreaKind.GRID, AreaKind.COMPOUND, AreaKind.BUILDING)
    out = [(k.value, str(k.label)) for k in kinds if area.kind in ALLOWED_PARENTS[k]]
    if area.kind == AreaKind.GRID and (area.grid_level or 0) >= 3:
        out = [(k, label) for k, label in out if k != AreaKind.GRID]
    return out


def _map(user: Any, area: Area) -> dict[str, Any] | None:
    """The shapes around the node, projected for an SVG drawn without tiles: a building
    is shown in its grid, with its neighbours."""
    around = area
    parent = area.parent
    if (
        area.kind == AreaKind.BUILDING
        and parent is not None
        and access.can(user, Perm.AREA_VIEW, parent.path)
    ):
        around = parent
    shapes = selectors.area_shapes_for(user=user, area=around)
    if not shapes and area.kind != AreaKind.BUILDING:
        return None
    projection = geo.Projection([s.geometry for s in shapes if s.geometry], width=MAP_WIDTH)
    outlines: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for shape in shapes:
        geometry = shape.geometry
        if not geometry:
            continue
        item: dict[str, Any] = {"area": shape, "focus": shape.pk == area.pk}
        if geometry["type"] == geo.POINT:
            item["x"], item["y"] = projection.xy(*geometry["coordinates"][:2])
            points.append(item)
        else:
            item["d"] = projection.path(geometry)
            item["cx"], item["cy"] = projection.xy(*geo.centre(geometry))
            outlines.append(item)
    outlines.sort(key=lambda i: (i["area"].kind != AreaKind.COMMUNITY, i["area"].depth))
    # Name the lowest grids drawn (their parents' names would sit on top of them), or, when
    # they are too many to read (Yuling's 86 party groups), the highest ones.
    grids = [i for i in outlines if i["area"].kind == AreaKind.GRID]
    paths = [i["area"].path for i in grids]
    named = [
        i
        for i in grids
        if not any(p != i["area"].path and p.startswith(i["area"].path) for p in paths)
    ]
    if len(named) > MAP_LABELS_MAX:
        top = min(i["area"].depth for i in grids)
        named = [i for i in grids if i["area"].depth == top]
    for item in named:
        item["label"] = True
    return {
        "outlines": outlines,
        "points": points,
        "width": projection.width,
        "height": projection.height,
        "empty": projection.empty,
        # What the page's script needs to turn a click into longitude and latitude.
        "west": projection.west,
        "north": projection.north,
        "factor": projection.factor,
        "scale_x": projection.scale_x,
        "pad": projection.pad,
        "left": projection.left,
    }


def _history(changes: list[AreaChange]) -> list[dict[str, Any]]:
    """The node's history in words: what happened, and each field's old and new value
    (a map shape only as changed)."""
    rows = []
    for change in changes:
        fields = [
            {
                "label": AREA_FIELD_LABELS.get(field, field),
                "values": field not in ("geometry", "closed_at"),
                "old": pair[0] if isinstance(pair, list) and pair else None,
                "new": pair[1] if isinstance(pair, list) and len(pair) > 1 else None,
            }
            for field, pair in change.changes.items()
            if change.action not in ("area.close", "area.reopen")
        ]
        rows.append(
            {
                "at": change.at,
                "actor": change.actor,
                "action": HISTORY_ACTIONS.get(change.action, change.action),
                "fields": fields,
                "note": change.note,
            }
        )
    return rows


@requires(Perm.AREA_VIEW)
def area_tree(request: SignedInRequest) -> HttpResponse:
    """The user's area: their top nodes, each opened one level, with counts."""
    roots = selectors.area_roots_for(user=request.user)
    nodes = [
        {
            "area": root,
            "children": selectors.area_children_for(user=request.user, area=root),
            "manage": _manages(request, root),
        }
        for root in roots
    ]
    can_import = bool(selectors.area_list_for(user=request.user, kind=AreaKind.COMMUNITY)) and (
        access.can(request.user, Perm.AREA_MANAGE)
    )
    context = {"nodes": nodes, "ancestors": [], "can_import": can_import}
    return render(request, "registry/area_tree.html", context)


@login_required
def area_children(request: SignedInRequest, area_id: int) -> HttpResponse:
    """One node's children: a fragment for htmx, or the node's page."""
    user = request.user
    area = selectors.area_get_for(user=user, area_id=area_id)
    children = selectors.area_children_for(user=user, area=area)
    manage = _manages(request, area)
    if request.htmx:
        return render(
            request, "registry/_area_nodes.html", {"children": children, "manage": manage}
        )
    roots = set(access.paths(user, Perm.AREA_VIEW))
    ancestors = [
        a for a in selectors.area_ancestors(area) if access.can(user, Perm.AREA_VIEW, a.path)
    ]
    context = {
        "nodes": [{"area": area, "children": children, "manage": manage}],
        "ancestors": ancestors if area.path not in roots else [],
        "focus": area,
        "manage": manage,
        "addable": _addable(area) if manage else [],
        "movable": manage and area.kind in MOVABLE and not area.is_closed,
        "closable": manage and area.kind in CLOSABLE,
        "compounds": (
            selectors.area_compounds_for(user=user, area=area)
            if area.kind == AreaKind.COMMUNITY
            else []
        ),
        "history": _history(selectors.area_history_for(user=user, area=area, limit=20)),
        "map": _map(user, area),
    }
    return render(request, "registry/area_tree.html", context)


def _managed(request: SignedInRequest, area_id: int) -> Area:
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    _allowed(request.user, Perm.AREA_MANAGE, area.path)
    return area


@requires(Perm.AREA_VIEW)
def area_create(request: SignedInRequest, area_id: int) -> HttpResponse:
    """Add a grid, compound or building under the node (`?kind=`)."""
    parent = _managed(request, area_id)
    addable = _addable(parent)
    kinds = [k for k, _label in addable]
    kind = request.POST.get("kind") or request.GET.get("kind") or (kinds[0] if kinds else "")
    if kind not in kinds:
        kind = kinds[0] if kinds else ""
    community = services.community_of(parent)
    compounds = (
        [(c.pk, c.name) for c in selectors.area_compounds_for(user=request.user, area=community)]
        if community is not None and kind == AreaKind.BUILDING
        else []
    )
    form = AreaCreateForm(request.POST or None, kind=kind, compounds=compounds)
    if request.method == "POST" and kind and form.is_valid():
        data = form.cleaned_data
        try:
            compound = None
            if data.get("compound"):
                compound = selectors.area_get_for(user=request.user, area_id=data["compound"])
            area = services.area_create(
                actor=request.user,
                parent=parent,
                kind=kind,
                name=data["name"],
                code=data["code"],
                compound=compound,
                units=data.get("units"),
                floors=data.get("floors"),
                rooms_per_floor=data.get("rooms_per_floor"),
            )
        except NotFound:
            form.add_error("compound", _("No such record in your area."))
        except ValidationError as exc:
            apply_area_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": area.name})
            return redirect("registry:area_children", area_id=parent.pk)
    context = {"form": form, "parent": parent, "kind": kind, "addable": addable}
    return render(request, "registry/area_create.html", context)


@requires(Perm.AREA_VIEW)
def area_edit(request: SignedInRequest, area_id: int) -> HttpResponse:
    """Rename; a building's units, floors and dwellings per floor."""
    area = _managed(request, area_id)
    building = area.kind == AreaKind.BUILDING
    initial = {
        "name": area.name,
        "units": area.units,
        "floors": area.floors,
        "rooms_per_floor": area.rooms_per_floor,
    }
    form = AreaEditForm(request.POST or None, initial=initial, building=building)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.area_rename(actor=request.user, area=area, name=data["name"])
            if building:
                services.area_details_set(
                    actor=request.user,
                    area=area,
                    units=data["units"],
                    floors=data["floors"],
                    rooms_per_floor=data["rooms_per_floor"],
                )
        except ValidationError as exc:
            apply_area_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:area_children", area_id=area.pk)
    return render(request, "registry/area_edit.html", {"form": form, "area": area})


def _target_label(target: Area) -> str:
    if target.kind == AreaKind.COMMUNITY:
        return f"{target.name} ({target.get_kind_display()})"
    return "— " * ((target.grid_level or 1) - 1) + target.name


@requires(Perm.AREA_VIEW)
def area_move(request: SignedInRequest, area_id: int) -> HttpResponse:
    area = _managed(request, area_id)
    targets = selectors.area_move_targets_for(user=request.user, area=area)
    by_id = {t.pk: t for t in targets}
    choices = [(t.pk, _target_label(t)) for t in targets if t.pk != area.parent_id]
    form = AreaMoveForm(request.POST or None, targets=choices)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.area_move(
                actor=request.user,
                area=area,
                parent=by_id[form.cleaned_data["parent"]],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_area_errors(form, exc)
        else:
            messages.success(
                request,
                _("Moved, with %(nodes)d areas and %(households)d households.")
                % {"nodes": result.nodes, "households": result.households},
            )
            return redirect("registry:area_children", area_id=area.pk)
    return render(request, "registry/area_move.html", {"form": form, "area": area})


@requires(Perm.AREA_VIEW)
def area_close(request: SignedInRequest, area_id: int) -> HttpResponse:
    area = _managed(request, area_id)
    form = AreaCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_close(actor=request.user, area=area, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_area_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is closed.") % {"name": area.name})
            return redirect("registry:area_children", area_id=area.pk)
    return render(request, "registry/area_close.html", {"form": form, "area": area})


@require_POST
@requires(Perm.AREA_VIEW)
def area_reopen(request: SignedInRequest, area_id: int) -> HttpResponse:
    area = _managed(request, area_id)
    try:
        services.area_reopen(actor=request.user, area=area)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s is open again.") % {"name": area.name})
    return redirect("registry:area_children", area_id=area.pk)


@requires(Perm.AREA_VIEW)
def area_shapes(request: SignedInRequest, area_id: int) -> HttpResponse:
    """Map shapes: a GeoJSON file for the node's subtree, or a building placed on the map."""
    area = _managed(request, area_id)
    building = area.kind == AreaKind.BUILDING
    which = request.POST.get("form") if request.method == "POST" else ""
    upload = (
        GeometryUploadForm(request.POST, request.FILES) if which == "file" else GeometryUploadForm()
    )
    placed = area.geometry if building and area.geometry else None
    initial = {"lon": placed["coordinates"][0], "lat": placed["coordinates"][1]} if placed else {}
    point = PointForm(request.POST) if which == "point" else PointForm(initial=initial)
    if which == "point" and point.is_valid():
        geometry = {
            "type": "Point",
            "coordinates": [point.cleaned_data["lon"], point.cleaned_data["lat"]],
        }
        try:
            services.area_geometry_set(actor=request.user, area=area, geometry=geometry)
        except ValidationError as exc:
            apply_area_errors(point, exc)
        else:
            messages.success(request, _("The building is placed on the map."))
            return redirect("registry:area_children", area_id=area.pk)
    elif which == "file" and upload.is_valid():
        try:
            result = services.area_geometry_import(
                actor=request.user, area=area, data=upload.cleaned_data["file"].read()
            )
        except ValidationError as exc:
            apply_area_errors(upload, exc)
        else:
            messages.success(
                request, _("Map shapes of %(n)d areas saved.") % {"n": len(result.updated)}
            )
            return redirect("registry:area_children", area_id=area.pk)
    context = {
        "area": area,
        "upload": upload,
        "point": point,
        "building": building,
        "map": _map(request.user, area) if building else None,
    }
    return render(request, "registry/area_shapes.html", context)


@requires(Perm.AREA_MANAGE)
def area_import(request: SignedInRequest) -> HttpResponse:
    """A community's grids, compounds and buildings from a spreadsheet: first what would be
    created, then (ticked) written."""
    communities = [
        c
        for c in selectors.area_list_for(user=request.user, kind=AreaKind.COMMUNITY)
        if _manages(request, c)
    ]
    form = StructureImportForm(
        request.POST or None,
        request.FILES or None,
        communities=[(c.pk, c.name) for c in communities],
        initial={"community": request.GET.get("community")},
    )
    result = None
    if request.method == "POST" and form.is_valid():
        community = next(c for c in communities if c.pk == form.cleaned_data["community"])
        upload = form.cleaned_data["file"]
        try:
            result = structure_import(
                actor=request.user,
                community=community,
                source=upload.read(),
                filename=upload.name,
                commit=form.cleaned_data["commit"],
            )
        except StructureImportError as exc:
            for problem in exc.problems:
                form.add_error("file", str(problem))
        except ValidationError as exc:
            apply_area_errors(form, exc)
        else:
            if result.committed:
                messages.success(
                    request,
                    _(
                        "%(grids)d grids, %(compounds)d compounds and %(buildings)d buildings created."
                    )
                    % {
                        "grids": len(result.grids),
                        "compounds": len(result.compounds),
                        "buildings": len(result.buildings),
                    },
                )
                return redirect("registry:area_children", area_id=community.pk)
    return render(request, "registry/area_import.html", {"form": form, "result": result})
