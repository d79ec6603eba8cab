"""Residents' shopping lists at /m/shopping/ (inside the portal's frame: 390 px, elder
mode, the "acting for" banner). A resident posts a list for their household — or, acting
for a parent, the parent's — sees each list's status, cancels one still waiting, and
confirms receipt of a delivered one (with stars: the work order's rating). Open only while
the community is in emergency mode; otherwise the page says so."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Conflict
from gongzhi.emergency import shopping, shopping_selectors
from gongzhi.emergency.modes import mode_of
from gongzhi.registry.models import Person

resident_login_required = partial(login_required, login_url="portal:login")
ROWS = 6  # empty lines the form shows (more: a button adds them)


def _acting_person(request: SignedInRequest) -> Person | None:
    person_id = acting.acting_person_id(request)
    if person_id is None:
        return None
    return Person.objects.select_related("household__building").filter(pk=person_id).first()


def _posted_items(request: SignedInRequest) -> list[shopping.ItemIn]:
    names = request.POST.getlist("name")
    quantities = request.POST.getlist("quantity")
    units = request.POST.getlist("unit")
    rows = []
    for index, name in enumerate(names[: shopping.MAX_ITEMS * 2]):
        quantity = quantities[index] if index < len(quantities) else ""
        unit = units[index] if index < len(units) else ""
        if not name.strip() and not str(quantity).strip():
            continue  # an empty line of the form
        rows.append(shopping.ItemIn(name, quantity, unit))
    return rows


@resident_login_required
@require_http_methods(["GET", "POST"])
def shopping_page(request: SignedInRequest) -> HttpResponseBase:
    person = _acting_person(request)
    building = person.household.building if person is not None else None
    is_open = building is not None and mode_of(building.path).emergency
    errors: list[str] = []
    rows: list[shopping.ItemIn] = []
    note = ""
    if request.method == "POST":
        rows = _posted_items(request)
        note = request.POST.get("note", "")
        if person is None or not is_open:
            errors.append(str(shopping.CLOSED_MESSAGE))
        else:
            try:
                shopping.shopping_list_post(
                    actor=request.user, person=person, items=rows, note=note
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request, _("Your list is sent. Volunteers will buy and deliver it.")
                )
                return redirect("emergency_m:shopping")
    lists = list(
        shopping_selectors.my_lists_for(user=request.user)[: shopping_selectors.LISTS_SHOWN]
    )
    shown = [*rows, *[shopping.ItemIn("", "", "") for _i in range(max(ROWS - len(rows), 1))]]
    context = {
        "person": person,
        "link": acting.acting_for(request),
        "is_open": is_open,
        "closed_message": shopping.CLOSED_MESSAGE,
        "lists": lists,
        "rows": shown,
        "note": note,
        "errors": errors,
        "common_items": shopping.COMMON_ITEMS,
        "max_items": shopping.MAX_ITEMS,
        "name_max": shopping.NAME_MAX,
        "quantity_max": shopping.QUANTITY_MAX,
        "stars": [1, 2, 3, 4, 5],
    }
    return render(request, "emergency/shopping/m_lists.html", context)


def _done(request: SignedInRequest, call: Callable[[], object], success: str) -> HttpResponse:
    try:
        call()
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, success)
    return redirect("emergency_m:shopping")


@resident_login_required
@require_POST
def shopping_cancel(request: SignedInRequest, list_id: int) -> HttpResponse:
    own = shopping_selectors.my_list_get_for(user=request.user, list_id=list_id)
    call = partial(shopping.shopping_list_cancel, actor=request.user, shopping_list=own)
    return _done(request, call, _("The list was cancelled."))


@resident_login_required
@require_POST
def shopping_receive(request: SignedInRequest, list_id: int) -> HttpResponse:
    own = shopping_selectors.my_list_get_for(user=request.user, list_id=list_id)
    raw = request.POST.get("rating", "")
    rating = int(raw) if raw.isdigit() and 1 <= int(raw) <= 5 else None
    call = partial(
        shopping.shopping_list_receive,
        actor=request.user,
        shopping_list=own,
        rating=rating,
        comment=request.POST.get("comment", "")[:500],
    )
    return _done(request, call, _("Thank you: receipt confirmed."))
