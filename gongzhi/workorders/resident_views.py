"""Residents' work-order pages at /m/orders/, inside the portal's frame (`portal/base.html`:
phone first, elder mode, the "acting for" banner).

A resident asks for help (for themselves, or — acting through a confirmed proxy link — for
an elderly family member: recorded as done by them for that person), follows the
timeline, rates the result or reopens it. These pages show only orders the user asked
for or that are for someone they may act for; staff use the workbench.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access, acting
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import user_set_elder_mode
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Conflict, NotFound
from gongzhi.notifications.services import notifications_mark_read_about
from gongzhi.registry.models import Area, Person
from gongzhi.workorders import exports, filing, policy, selectors, services, uploads, views
from gongzhi.workorders.forms import (
    NoteForm,
    NotePhotosForm,
    RateForm,
    ResidentRequestForm,
    apply_errors,
)
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.rules import category_label
from gongzhi.workorders.states import Action, Status

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 50


def _keep_elder_choice(request: SignedInRequest) -> None:
    """`?elder=1|0` (a link a grid worker sends) becomes the account's preference, as on
    the portal's own pages, so the next page keeps it."""
    wanted = request.GET.get("elder")
    if wanted in ("1", "0") and request.user.is_authenticated:
        user_set_elder_mode(user=request.user, on=wanted == "1")


def _own_order(request: SignedInRequest, order_id: int) -> WorkOrder:
    """An order the user asked for, or that is for someone they may act for."""
    order = selectors.workorder_get_for(user=request.user, order_id=order_id)
    if not policy.is_requester(request.user, order):
        raise NotFound()
    return order


def _acting_person(request: SignedInRequest) -> Person | None:
    person_id = acting.acting_person_id(request)
    if person_id is None:
        return None
    return Person.objects.select_related("household").filter(pk=person_id).first()


def _fallback_place(user: Viewer) -> Area | None:
    """A resident not linked to the register asks about their community (where they hold
    the right to ask)."""
    paths = access.paths(user, Perm.WORKORDER_REQUEST)
    return Area.objects.filter(path__in=paths).order_by("path").first() if paths else None


def _categories() -> list[tuple[str, str]]:
    out = []
    for category in selectors.category_list():
        label = category_label(category)
        out.append((category.code, label))
    return out


@resident_login_required
@require_GET
def order_list(request: SignedInRequest) -> HttpResponseBase:
    _keep_elder_choice(request)
    mine = selectors.my_orders_for(user=request.user)
    if request.GET.get("export"):
        return _export(request, mine)
    orders = list(mine[:LIST_LIMIT])
    return render(request, "workorders/resident/list.html", {"orders": orders})


def _export(request: SignedInRequest, orders: Any) -> HttpResponseBase:
    """A resident's own requests (and those for whom they act), all of them, as XLSX or CSV."""
    return exports.export_response(request, exports.MY_REQUESTS, orders)


@uploads.photos_upload_limit
@resident_login_required
@require_http_methods(["GET", "POST"])
def order_new(request: SignedInRequest) -> HttpResponse:
    user = request.user
    _keep_elder_choice(request)
    person = _acting_person(request)
    place = None if person is not None else _fallback_place(user)
    posted = request.method == "POST"  # an empty POST is still a form sent empty
    form = ResidentRequestForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        categories=_categories(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        elsewhere = data["where"] == "elsewhere"
        try:
            category = selectors.category_get(data["category"])
            order = filing.workorder_create(
                actor=user,
                category=category,
                description=data["description"],
                person=person,
                place=place,
                # The box shows only for categories that can be anonymous: a tick left
                # from another category the resident looked at first does not count.
                anonymous=data["anonymous"] and category.allows_anonymous,
                preferred_at=data["preferred_at"],
                photos=data["photos"],
                address=data["address"] if elsewhere else "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except NotFound:
            form.add_error("category", _("Choose what kind of help you need."))
        else:
            messages.success(
                request,
                _("Sent. Your request number is %(number)s; we will tell you each step.")
                % {"number": order.number},
            )
            return redirect("workorders_resident:detail", workorder_id=order.pk)
    categories = selectors.category_list()
    context = {
        "form": form,
        "person": person,
        "place": place,
        "link": acting.acting_for(request),
        "anonymous_categories": [c for c in categories if c.allows_anonymous],
        "anonymous_codes": [c.code for c in categories if c.allows_anonymous],
        "max_photos": uploads.MAX_PER_UPLOAD,
    }
    return render(request, "workorders/resident/new.html", context)


@resident_login_required
@require_GET
def order_detail(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    order = _own_order(request, workorder_id)
    _keep_elder_choice(request)
    notifications_mark_read_about(user=request.user, obj=order)  # handled means read
    order.shows_requester = True
    context = {
        "order": order,
        "steps": selectors.resident_timeline_for(user=request.user, order=order),
        "rate_form": RateForm(),
        "stars": [
            (1, _("Very poor")),
            (2, _("Poor")),
            (3, _("All right")),
            (4, _("Good")),
            (5, _("Very good")),
        ],
        # Rating and reopening are the served resident's (or their proxy's), not the
        # staff member's who filed the order for them.
        "can_rate": policy.may_rate(request.user, order),
        "can_cancel": order.status in (Status.NEW, Status.ESCALATED, Status.DISPATCHED),
        "handler": order.assignee if order.status != Status.NEW else None,
        "can_add_info": policy.may_add_info(request.user, order),
        "max_photos": uploads.MAX_PER_UPLOAD,
    }
    return render(request, "workorders/resident/detail.html", context)


def _step(request: SignedInRequest, order: WorkOrder, action: str, **kwargs: Any) -> HttpResponse:
    try:
        services.workorder_transition(
            actor=request.user,
            order=order,
            action=action,
            **kwargs,
        )
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, str(_DONE[action]))
    return redirect("workorders_resident:detail", workorder_id=order.pk)


_DONE: dict[str, Promise] = {
    Action.INFO: gettext_lazy("Added. Whoever handles your request can see it."),
    Action.RATE: gettext_lazy("Thank you for your rating."),
    Action.REOPEN: gettext_lazy("Reopened: the community will look at it again."),
    Action.CANCEL: gettext_lazy("Your request was cancelled."),
}


@resident_login_required
@require_POST
def order_rate(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    order = _own_order(request, workorder_id)
    form = RateForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return _step(request, order, Action.RATE, rating=data.get("rating"), note=data.get("note", ""))


@uploads.photos_upload_limit
@resident_login_required
@require_POST
def order_add_info(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    """Add words or photos to one's open request (a timeline entry, through the step)."""
    order = _own_order(request, workorder_id)
    form = NotePhotosForm(request.POST, request.FILES or None)
    if not form.is_valid() and "photos" in form.errors:
        for problem in form.errors["photos"]:
            messages.error(request, str(problem))
        return redirect("workorders_resident:detail", workorder_id=order.pk)
    data = form.cleaned_data
    return _step(
        request, order, Action.INFO, note=data.get("note", ""), photos=data.get("photos") or []
    )


@resident_login_required
@require_POST
def order_reopen(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    order = _own_order(request, workorder_id)
    form = NoteForm(request.POST)
    form.is_valid()
    return _step(request, order, Action.REOPEN, note=form.cleaned_data.get("note", ""))


@resident_login_required
@require_POST
def order_cancel(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    order = _own_order(request, workorder_id)
    form = NoteForm(request.POST)
    form.is_valid()
    return _step(request, order, Action.CANCEL, note=form.cleaned_data.get("note", ""))


@never_cache
@resident_login_required
@require_GET
def order_photo(request: SignedInRequest, workorder_id: int, photo_id: int) -> HttpResponseBase:
    _own_order(request, workorder_id)
    return views.attachment(request, workorder_id=workorder_id, photo_id=photo_id)
