"""Deliveries on the workbench at /emergency/deliveries/ (emergency.delivery: the keepers,
volunteers, party members): the open lists of an area merged by building and item, taking
buildings into a run, the run's shopping sheet, delivering building by building or list by
list. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Conflict, Forbidden
from gongzhi.emergency import shopping, shopping_selectors
from gongzhi.emergency.modes import mode_of


@requires(Perm.DELIVERY_RUN)
@require_GET
def index(request: SignedInRequest) -> HttpResponse:
    user = request.user
    areas = shopping_selectors.delivery_areas_for(user=user)
    chosen = request.GET.get("area")
    area = (
        shopping_selectors.delivery_area_get_for(user=user, area_id=chosen)
        if chosen
        else (areas[0] if areas else None)
    )
    rows = shopping_selectors.merged_for(user, area) if area is not None else []
    runs = list(shopping_selectors.runs_for(user=user, area=area)[: shopping_selectors.RUNS_SHOWN])
    context = {
        "areas": areas,
        "area": area,
        "mode": mode_of(area.path) if area is not None else None,
        "rows": rows,
        "runs": runs,
    }
    return render(request, "emergency/shopping/index.html", context)


@requires(Perm.DELIVERY_RUN)
@require_POST
def run_create(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    if not request.POST.get("area"):
        messages.error(request, _("Choose an area, then the buildings of the run."))
        return redirect("emergency_deliveries:index")
    area = shopping_selectors.delivery_area_get_for(user=user, area_id=request.POST.get("area"))
    try:
        run = shopping.run_create(
            actor=user, area=area, building_ids=request.POST.getlist("building_ids")
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect(f"{reverse('emergency_deliveries:index')}?area={area.pk}")
    messages.success(request, _("Run started: buy what the sheet lists, then deliver."))
    return redirect("emergency_deliveries:run", run_id=run.pk)


@requires(Perm.DELIVERY_RUN)
@require_GET
def run_detail(request: SignedInRequest, run_id: int) -> HttpResponse:
    run = shopping_selectors.run_get_for(user=request.user, run_id=run_id)
    context = {
        "run": run,
        "sheet": shopping_selectors.run_sheet(run),
        "buildings": shopping_selectors.run_buildings(request.user, run),
        "mine": run.created_by_id == request.user.pk,
    }
    return render(request, "emergency/shopping/run.html", context)


def _step(
    request: SignedInRequest, run_id: int, call: Callable[[], object], done: str
) -> HttpResponse:
    try:
        call()
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except Forbidden:
        raise
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect("emergency_deliveries:run", run_id=run_id)


@requires(Perm.DELIVERY_RUN)
@require_POST
def deliver_building(request: SignedInRequest, run_id: int) -> HttpResponse:
    """Every list of the run in the building posted (`building_id`) handed over."""
    run = shopping_selectors.run_get_for(user=request.user, run_id=run_id)
    call = partial(
        shopping.run_deliver_building,
        actor=request.user,
        run=run,
        building_id=request.POST.get("building_id"),
    )
    return _step(request, run.pk, call, _("Delivered: the residents are told."))


@requires(Perm.DELIVERY_RUN)
@require_POST
def deliver_list(request: SignedInRequest, list_id: int) -> HttpResponse:
    """One list handed over at its door."""
    shopping_list = shopping_selectors.run_list_get_for(user=request.user, list_id=list_id)
    run_id = shopping_list.run_id
    assert run_id is not None  # the selector finds only lists in a run
    call = partial(
        shopping.run_deliver_list,
        actor=request.user,
        run=run_id,
        shopping_list=shopping_list,
        note=request.POST.get("note", "")[:200],
    )
    return _step(request, run_id, call, _("Delivered: the resident is told."))
