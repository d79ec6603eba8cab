"""Work-order pages of the workbench (/orders/): the inbox per grid, the board, one order
with its timeline, dispatch with suggestions, the volunteers' task list.

Thin: objects come from `selectors.workorder_get_for` (invisible is 404), every step goes
through `services.workorder_transition`, which decides who may do what (403) and what the
order allows now (a 409 becomes a message on the order's page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import Conflict, NotFound
from gongzhi.notifications.services import notifications_mark_read_about
from gongzhi.registry import selectors as registry_selectors
from gongzhi.workorders import bulk as bulk_steps
from gongzhi.workorders import exports, filing, policy, rules, selectors, services, uploads
from gongzhi.workorders.forms import (
    BulkForm,
    DispatchForm,
    InboxFilterForm,
    NoteForm,
    NotePhotosForm,
    RateForm,
    StaffRequestForm,
    apply_errors,
)
from gongzhi.workorders.models import Priority, WorkOrder
from gongzhi.workorders.rules import category_label, time_left
from gongzhi.workorders.states import Action

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

PAGE_SIZE = 50
HANDLER_CHOICES_MAX = 300


def _render(request: SignedInRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    user = request.user
    context["nav_orders"] = {
        "view": access.can(user, Perm.WORKORDER_VIEW),
        "handle": access.can(user, Perm.WORKORDER_HANDLE),
        "request": access.can(user, Perm.WORKORDER_REQUEST),
    }
    return render(request, template, context)


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, category_label(c)) for c in selectors.category_list()]


def _rights(user: Viewer, order: WorkOrder) -> dict[str, bool]:
    """Which forms the order's page shows (the service checks again on submit)."""
    return policy.rights(
        user,
        order,
        open_offers=order.offers_open,
        can_escalate=services.level_above(order.level) is not None,
    )


def _prepare(order: WorkOrder, user: Viewer) -> WorkOrder:
    order.offers_open = selectors.open_offers(order)
    order.shows_requester = policy.sees_requester(user, order)
    order.overdue = bool(order.due_at and order.due_at < clock.now())
    return order


# --- lists -------------------------------------------------------------------------------------


@requires(Perm.WORKORDER_VIEW)
@require_GET
def inbox(request: SignedInRequest) -> HttpResponseBase:
    """Orders of the user's area by tab (waiting at my level, dispatched, in hand …), grid
    and category; bulk actions on the waiting ones."""
    user = request.user
    form = InboxFilterForm(
        request.GET or None,
        grids=selectors.grid_options_for(user=user),
        categories=category_choices(),
    )
    tab = request.GET.get("tab") or "waiting"
    if tab not in selectors.TABS:
        tab = "waiting"
    area_id = None
    category = ""
    if form.is_valid():
        area_id = form.cleaned_data["area"]
        category = form.cleaned_data["category"] or ""
    filters = selectors.OrderFilters(tab=tab, area_id=area_id, category=category)
    orders = selectors.workorder_list_for(user=user, filters=filters)
    if request.GET.get("export"):
        return _orders_export(
            request, orders, filters={"tab": tab, "area": area_id, "category": category}
        )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    labels = selectors.community_labels_for(
        user=user, grids=[order.grid for order in page.object_list if order.grid is not None]
    )
    for order in page.object_list:
        order.overdue = bool(order.due_at and order.due_at < now)
        order.time_left = time_left(order.due_at, now)
        order.grid_label = labels.get(order.grid_id or 0) or order.place.name
    can_dispatch = access.can(user, Perm.WORKORDER_DISPATCH)
    counts = selectors.tab_counts_for(
        user=user, filters=selectors.OrderFilters(area_id=area_id, category=category)
    )
    context = {
        "form": form,
        "tab": tab,
        "tabs": [(code, label, counts[code]) for code, label in _tabs()],
        "page_obj": page,
        "can_dispatch": can_dispatch,
        "can_request": access.can(user, Perm.WORKORDER_REQUEST),
        "handlers": (
            selectors.handler_choices_for(user=user, area_id=area_id, limit=HANDLER_CHOICES_MAX)
            if can_dispatch and tab == "waiting"
            else []
        ),
    }
    return _render(request, "workorders/inbox.html", context)


def _orders_export(
    request: SignedInRequest, orders: Any, *, filters: dict[str, Any]
) -> HttpResponseBase:
    """The list as shown (same scope, tab and filters), every page, as XLSX or CSV, with
    the viewer's masking; audited."""
    return exports.export_response(request, exports.ORDERS, orders, filters=filters)


def _tabs() -> list[tuple[str, str]]:
    return [
        ("waiting", _("Waiting for dispatch")),
        ("dispatched", _("Dispatched")),
        ("working", _("In hand")),
        ("resolved", _("Waiting for rating")),
        ("overdue", _("Overdue")),
        ("closed", pgettext("work order status", "Closed")),
        ("all", _("All")),
    ]


@requires(Perm.WORKORDER_DISPATCH)
@require_POST
def bulk(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = BulkForm(request.POST)
    back = request.POST.get("next") or reverse("workorders:inbox")
    if not back.startswith("/orders/"):
        back = reverse("workorders:inbox")
    if not form.is_valid():
        messages.error(request, _("Choose orders and a step."))
        return redirect(back)
    data = form.cleaned_data
    handlers = []
    if data["action"] == Action.DISPATCH:
        if not data["handler"]:
            messages.error(request, _("Choose who should do them."))
            return redirect(back)
        try:
            handlers = [selectors.handler_get_for_dispatcher(user=user, user_id=data["handler"])]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
    try:
        result = bulk_steps.workorder_bulk(
            actor=user,
            order_ids=data["orders"],
            action=data["action"],
            note=data["note"],
            handlers=handlers,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if result.done:
        messages.success(request, _("Done for %(n)d orders.") % {"n": len(result.done)})
    for order_id, why in result.failed.items():
        messages.warning(request, _("Order %(id)s: %(why)s") % {"id": order_id, "why": why})
    return redirect(back)


@requires(Perm.WORKORDER_VIEW)
@require_GET
def board(request: SignedInRequest) -> HttpResponseBase:
    """Open orders by grid: a tile per grid, darker where more are waiting or overdue."""
    user = request.user
    area = None
    if request.GET.get("area"):
        area = selectors.area_get_for(user=user, area_id=request.GET["area"])
    tops = selectors.board_for(user=user, area=area)
    if request.GET.get("export"):
        return _board_export(request, tops, area)
    totals = {
        "waiting": sum(t.waiting for t in tops),
        "assigned": sum(t.assigned for t in tops),
        "overdue": sum(t.overdue for t in tops),
        "resolved": sum(t.resolved for t in tops),
    }
    return _render(request, "workorders/board.html", {"tops": tops, "totals": totals, "area": area})


def _board_export(request: SignedInRequest, tops: list[Any], area: Any) -> HttpResponseBase:
    """Open orders by grid, one row per grid (sub-grids under their parent, indented)."""
    rows = list(exports.board_rows(tops))
    filters = {"area": area.pk if area else None}
    return exports.export_response(request, exports.BOARD, rows, filters=filters)


@requires(Perm.WORKORDER_HANDLE)
@require_GET
def tasks(request: SignedInRequest) -> HttpResponseBase:
    """A volunteer's or party member's list: what is offered to them, what they hold."""
    user = request.user
    found = selectors.tasks_for(user=user)
    if request.GET.get("export"):
        return _tasks_export(request, found)
    for order in [*found.offered, *found.working, *found.done]:
        _prepare(order, user)
    return _render(request, "workorders/tasks.html", {"tasks": found})


def _tasks_export(request: SignedInRequest, found: selectors.Tasks) -> HttpResponseBase:
    """The volunteer's list as shown: offered to me, in hand, recently done."""
    groups = (
        (_("Offered to me"), found.offered),
        (_("In hand"), found.working),
        (_("Recently done"), found.done),
    )
    rows = [(label, order) for label, orders in groups for order in orders]
    return exports.export_response(request, exports.TASKS, rows)


# --- filing on a resident's behalf ----------------------------------------------------------


@uploads.photos_upload_limit
@requires(Perm.WORKORDER_REQUEST)
@require_http_methods(["GET", "POST"])
def create(request: SignedInRequest) -> HttpResponse:
    """A grid worker or building head files for a resident (a phone call, a visit)."""
    user = request.user
    places = [
        (a.pk, a.name)
        for a in registry_selectors.area_list_for(user=user, kind="grid")
        if access.can(user, Perm.WORKORDER_REQUEST, a.path)
    ]
    form = StaffRequestForm(
        request.POST or None,
        request.FILES or None,
        categories=category_choices(),
        places=places,
        initial={"priority": Priority.NORMAL, "person": request.GET.get("person")},
    )
    person = None
    person_id = request.POST.get("person") or request.GET.get("person")
    if person_id:
        try:
            person = registry_selectors.person_get_for(user=user, person_id=person_id)
        except NotFound:
            person = None
    q = request.GET.get("q", "").strip()
    found = []
    if q and access.can(user, Perm.REGISTER_VIEW):
        found = list(registry_selectors.person_search_for(user=user, q=q)[:20])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place = None
            if person is None and data["place"]:
                place = registry_selectors.area_get_for(user=user, area_id=data["place"])
            order = filing.workorder_create(
                actor=user,
                category=selectors.category_get(data["category"]),
                description=data["description"],
                person=person,
                place=place,
                priority=data["priority"],
                anonymous=data["anonymous"],
                preferred_at=data["preferred_at"],
                photos=data["photos"],
                contact_phone=data["contact_phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except NotFound:
            form.add_error("place", _("No such place in your area."))
        else:
            messages.success(request, _("Order %(number)s filed.") % {"number": order.number})
            return redirect("workorders:detail", workorder_id=order.pk)
    context = {"form": form, "person": person, "q": q, "found": found}
    return _render(request, "workorders/create.html", context)


# --- one order ---------------------------------------------------------------------------------


@login_required
@require_GET
def detail(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    user = request.user
    order = _prepare(selectors.workorder_get_for(user=user, order_id=workorder_id), user)
    notifications_mark_read_about(user=user, obj=order)  # handled means read
    rights = _rights(user, order)
    suggestions = selectors.suggestions_for(order=order) if rights["dispatch"] else []
    context = {
        "order": order,
        "rights": rights,
        "suggestions": suggestions,
        "timeline": selectors.timeline_for(user=user, order=order),
        "is_staff": policy.is_staff_for(user, order),
        "can_see_person": bool(
            order.person_id and access.can(user, Perm.REGISTER_VIEW, order.area_path)
        ),
        "dispatch_form": DispatchForm(),
        "can_reveal_phone": policy.may_reveal_phone(user, order),
        # The order's contact phone; staff also see the register's, masked, to call back.
        "phone_masked": order.contact_phone
        or (
            order.person.phone
            if order.person is not None and policy.is_staff_for(user, order)
            else ""
        ),
        "deadline": rules.deadline_kind(order),
        "max_photos": uploads.MAX_PER_UPLOAD,
    }
    return _render(request, "workorders/detail.html", context)


def _read_note(request: SignedInRequest, order: WorkOrder) -> dict[str, Any]:
    form = NoteForm(request.POST)
    form.is_valid()
    return {"note": form.cleaned_data.get("note", "")}


def _read_photos(request: SignedInRequest, order: WorkOrder) -> dict[str, Any]:
    form = NotePhotosForm(request.POST, request.FILES or None)
    if not form.is_valid() and "photos" in form.errors:
        # Too many photos: refuse the step rather than make it without them.
        raise ValidationError({"photos": form.errors["photos"]})
    return {
        "note": form.cleaned_data.get("note", ""),
        "photos": form.cleaned_data.get("photos") or [],
    }


def _read_rating(request: SignedInRequest, order: WorkOrder) -> dict[str, Any]:
    form = RateForm(request.POST)
    form.is_valid()
    return {"note": form.cleaned_data.get("note", ""), "rating": form.cleaned_data.get("rating")}


def _read_dispatch(request: SignedInRequest, order: WorkOrder) -> dict[str, Any]:
    """Whom to offer it to: a suggestion's own button (`only`), or the ticked ones."""
    form = DispatchForm(request.POST)
    form.is_valid()
    only = form.cleaned_data.get("only")
    ids = [only] if only else form.cleaned_data.get("handlers") or []
    handlers = selectors.handlers_get_for(user=request.user, order=order, user_ids=ids[:20])
    return {"note": form.cleaned_data.get("note", ""), "handlers": handlers}


def _step(
    action: str, read: Callable[[SignedInRequest, WorkOrder], dict[str, Any]] = _read_note
) -> Callable[..., HttpResponse]:
    """A POST that makes one step on one order, then back to the order's page: `read`
    turns the form into the step's arguments; a refusal becomes a message there."""

    @login_required
    @require_POST
    def view(request: SignedInRequest, workorder_id: int) -> HttpResponse:
        user = request.user
        order = selectors.workorder_get_for(user=user, order_id=workorder_id)
        back = redirect("workorders:detail", workorder_id=order.pk)
        try:
            arguments = read(request, order)
            services.workorder_transition(actor=user, order=order, action=action, **arguments)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return back
        except ValidationError as exc:
            for problem in exc.messages:
                messages.error(request, problem)
            return back
        messages.success(request, str(_DONE[action]))
        return back

    view.__name__ = f"workorder_{action}"
    return view


_DONE: dict[str, Promise] = {
    Action.DISPATCH: gettext_lazy("Dispatched."),
    Action.ACCEPT: gettext_lazy("You accepted the order."),
    Action.DECLINE: gettext_lazy("You declined the order."),
    Action.START: gettext_lazy("Marked as started."),
    Action.EVIDENCE: gettext_lazy("Evidence added."),
    Action.RESOLVE: gettext_lazy("Resolved. The resident is asked to rate it."),
    Action.SOLVE: gettext_lazy("Marked as solved."),
    Action.ESCALATE: gettext_lazy("Escalated."),
    Action.CANCEL: gettext_lazy("Cancelled."),
    Action.CALLBACK: gettext_lazy("The resident's rating from the callback is recorded."),
}

# One view per step, all made by `_step`: a step adds a line here and its url.
dispatch = _step(Action.DISPATCH, _read_dispatch)
accept = _step(Action.ACCEPT)
decline = _step(Action.DECLINE)
start = _step(Action.START)
evidence = uploads.photos_upload_limit(_step(Action.EVIDENCE, _read_photos))
resolve = uploads.photos_upload_limit(_step(Action.RESOLVE, _read_photos))
solve = _step(Action.SOLVE)
escalate = _step(Action.ESCALATE)
cancel = _step(Action.CANCEL)
callback = _step(Action.CALLBACK, _read_rating)


@never_cache
@login_required
@require_POST
def phone(request: SignedInRequest, workorder_id: int) -> HttpResponse:
    """The resident's full phone, to call them back: revealed on a tap, audited with the
    purpose "callback", shown with a `tel:` link (the slot itself with htmx)."""
    user = request.user
    order = selectors.workorder_get_for(user=user, order_id=workorder_id)
    context: dict[str, Any] = {"order": order, "state": "revealed"}
    try:
        context["value"] = services.workorder_phone_reveal(actor=user, order=order)
    except ValidationError as exc:
        context["state"], context["problems"] = "missing", exc.messages
    template = "workorders/_phone.html" if request.htmx else "workorders/phone.html"
    return _render(request, template, context)


@never_cache
@login_required
@require_GET
def attachment(request: SignedInRequest, workorder_id: int, photo_id: int) -> HttpResponseBase:
    """A photo of an order, for whoever may see the order; never from a public URL."""
    photo = selectors.attachment_get_for(
        user=request.user, order_id=workorder_id, attachment_id=photo_id
    )
    try:
        handle = uploads.open_stored(photo.path)
    except FileNotFoundError:
        raise Http404() from None
    return uploads.photo_response(handle, photo.content_type)
