"""Watch-list pages of the workbench: upstream lists (upload, status), the watch list
(filter, export), an entry's follow-up (review, verify, close) and its routing.

Thin: objects come from `selectors.*_get_for` (NotFound → 404), writes go through
`services.*`, whose ValidationErrors are put on the form. A page the user's roles never
allow is 404; an action on a visible entry that the role does not allow is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.health import exports, selectors, services
from gongzhi.health.forms import (
    AssignForm,
    CloseForm,
    DismissForm,
    EntryFilterForm,
    NoteForm,
    ReopenForm,
    ReviewForm,
    UploadForm,
    VerifyForm,
    apply_errors,
)
from gongzhi.health.models import WatchEntry
from gongzhi.health.states import Action, EntryStatus, ListStatus, Tier, actions_from
from gongzhi.registry import selectors as registry_selectors
from gongzhi.registry.forms import reveal_exchange
from gongzhi.registry.models import AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

PAGE_SIZE = 50


# --- the watch list ----------------------------------------------------------------------------


def _grid_choices(user: Viewer) -> list[tuple[int, str]]:
    grids = selectors.watch_grid_list_for(user=user)
    return [(g.pk, "\u3000" * ((g.grid_level or 1) - 1) + g.name) for g in grids.order_by("path")]


@login_required
def watchlist(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    if not selectors.can_see_watch_list(user):
        raise NotFound()
    lists = [
        (u.pk, u.name)
        for u in selectors.upstream_list_list_for(user=user).filter(status=ListStatus.MATCHED)[:50]
    ]
    form = EntryFilterForm(request.GET or None, lists=lists, grids=_grid_choices(user))
    filters = selectors.EntryFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.EntryFilters(
            upstream_list_id=data["upstream_list"],
            status=data["status"] or "",
            tier=data["tier"] or "",
            area_id=data["area"],
            mine=bool(data["mine"]),
            q=data["q"] or "",
        )
    entries = selectors.watch_entry_list_for(user=user, filters=filters)
    if exports.requested_format(request):
        return exports.export_response(request, exports.WATCH_LIST, entries, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "summary": selectors.watch_summary_for(user=user),
        "can_upload": access.can(user, Perm.WATCHLIST_UPLOAD),
        "progress": selectors.watch_progress_for(user=user),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "health/_entry_results.html", context)
    return render(request, "health/watchlist.html", context)


# --- one entry ---------------------------------------------------------------------------------


def _entry_forms(entry: WatchEntry, user: Viewer, data: Any = None, action: str = "") -> dict:
    """The forms of the actions possible now (bound for `action` when re-shown)."""
    candidates = [
        (p.pk, f"{p.name} · {p.household.address} · {p.phone or '—'}")
        for p in selectors.entry_candidates_for(user=user, entry=entry)
    ]
    builders: dict[str, Callable[[Any], NoteForm]] = {
        Action.REVIEW: lambda d: ReviewForm(d, candidates=candidates, prefix="review"),
        Action.DISMISS: lambda d: DismissForm(d, prefix="dismiss"),
        Action.VERIFY: lambda d: VerifyForm(d, prefix="verify"),
        Action.CLOSE: lambda d: CloseForm(d, prefix="close"),
        Action.REOPEN: lambda d: ReopenForm(d, prefix="reopen"),
    }
    forms = {}
    for name in actions_from(entry.status):
        perm = Perm.WATCHLIST_UPLOAD if name == Action.REOPEN else Perm.WATCHLIST_FOLLOW_UP
        if access.can(user, perm, entry.area_path):
            forms[name] = builders[name](data if name == action else None)
    return forms


def _assign_form(entry: WatchEntry, user: Viewer, data: Any = None) -> AssignForm | None:
    if not access.can(user, Perm.WATCHLIST_UPLOAD, entry.area_path):
        return None
    grids = None
    if entry.person_id is None:
        grids = [
            (g.pk, "\u3000" * ((g.grid_level or 1) - 1) + g.name)
            for g in selectors.grid_choices_for_entry(user=user, entry=entry)
        ]
    assignees = [(u.pk, str(u)) for u in selectors.assignee_choices_for(entry=entry)]
    return AssignForm(data, grids=grids, assignees=assignees, prefix="assign")


def _render_entry(
    request: SignedInRequest,
    entry: WatchEntry,
    *,
    forms: dict | None = None,
    assign_form: AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = {
        "entry": entry,
        "events": selectors.entry_events(entry),
        "candidates": selectors.entry_candidates_for(user=user, entry=entry),
        "forms": forms if forms is not None else _entry_forms(entry, user),
        "assign_form": assign_form if assign_form is not None else _assign_form(entry, user),
        "can_see_person": bool(
            entry.person is not None
            and access.can(user, Perm.REGISTER_VIEW, entry.person.area_path)
        ),
        # An entry from a declaration or a positive test has no list.
        "can_see_list": entry.upstream_list is not None
        and access.can(user, Perm.WATCHLIST_UPLOAD, entry.upstream_list.area_path),
        "declarations": list(entry.declarations.order_by("created_at", "pk")),
        "action_labels": dict(Action.choices),
        "ambiguous": entry.tier == Tier.AMBIGUOUS,
        "steps": selectors.entry_steps(entry),
        "step_names": STEP_NAMES,
        "form_titles": FORM_TITLES,
        "event_labels": EVENT_LABELS,
        "reveal_owner": f"e{entry.pk}",
        "can_reveal": access.can(user, Perm.REGISTER_REVEAL, entry.area_path),
        "can_reveal_person": bool(
            entry.person is not None
            and access.can(user, Perm.REGISTER_REVEAL, entry.person.area_path)
        ),
    }
    return render(request, "health/entry_detail.html", context, status=status)


# The steps as the entry page names them: each once, in the follow-up card; the forms
# and the timeline say what is done, not the step's name again.
STEP_NAMES = {
    EntryStatus.TO_REVIEW: gettext_lazy("Online review"),
    EntryStatus.TO_VERIFY: pgettext_lazy("watch-list step", "Offline verification"),
}
FORM_TITLES = {
    Action.REVIEW: pgettext_lazy("watch-list form", "Record the review"),
    Action.DISMISS: Action.DISMISS.label,
    Action.VERIFY: Action.VERIFY.label,
    Action.CLOSE: Action.CLOSE.label,
    Action.REOPEN: Action.REOPEN.label,
}
EVENT_LABELS = {
    Action.REVIEW: pgettext_lazy("watch-list event", "Reviewed"),
    Action.DISMISS: pgettext_lazy("watch-list event", "Dismissed"),
    Action.VERIFY: pgettext_lazy("watch-list event", "Verified"),
    Action.CLOSE: pgettext_lazy("watch-list event", "Closed"),
    Action.REOPEN: pgettext_lazy("watch-list event", "Reopened"),
    "assign": pgettext_lazy("watch-list event", "Assigned"),
    "declared": pgettext_lazy("watch-list event", "Arrival declared"),
    "confirmed": pgettext_lazy("watch-list event", "Declared person confirmed"),
    "listed": pgettext_lazy("watch-list event", "Named again by an upstream list"),
    "positive_test": pgettext_lazy("watch-list event", "Positive test result"),
}


@login_required
@require_http_methods(["GET", "POST"])
def entry_reveal(request: SignedInRequest, entry_id: int, field: str) -> HttpResponse:
    """The list's own full phone or ID number of an entry, after the user says why
    (audited by the service); the register's reveal slot, for the list's values."""
    if field not in services.REVEALABLE:
        raise NotFound()
    user = request.user
    entry = selectors.watch_entry_get_for(user=user, entry_id=entry_id)
    if not access.can(user, Perm.REGISTER_REVEAL, entry.area_path):
        raise NotFound()
    url = reverse("health:entry_reveal", args=[entry.pk, field])
    context: dict[str, Any] = {
        "entry": entry,
        "field": field,
        "field_label": _("Phone") if field == "phone" else _("Resident ID number"),
        "masked": getattr(entry, field),
        "slot": f"reveal-e{entry.pk}-{field}",
        "owner": f"e{entry.pk}",
        "url": url,
        "back_url": reverse("health:entry_detail", args=[entry.pk]),
        "dial": field == "phone",
        "placeholder": _("Purpose, e.g. a follow-up call"),
    }
    reveal_exchange(
        request,
        context,
        lambda purpose: services.watch_entry_reveal(
            actor=user, entry=entry, field=field, purpose=purpose
        ),
    )
    if not request.htmx and context["state"] != "form":
        return redirect("health:entry_detail", entry_id=entry.pk)
    return render(request, "registry/_reveal.html", context)


@login_required
def entry_detail(request: SignedInRequest, entry_id: int) -> HttpResponse:
    entry = selectors.watch_entry_get_for(user=request.user, entry_id=entry_id)
    return _render_entry(request, entry)


@login_required
@require_POST
def entry_transition(request: SignedInRequest, entry_id: int) -> HttpResponse:
    user = request.user
    entry = selectors.watch_entry_get_for(user=user, entry_id=entry_id)
    if not access.can(user, Perm.WATCHLIST_FOLLOW_UP, entry.area_path):
        raise Forbidden()
    action = request.POST.get("action", "")
    forms = _entry_forms(entry, user, request.POST, action)
    form = forms.get(action)
    if form is None:
        messages.error(request, _("This action is not possible for this entry now."))
        return redirect("health:entry_detail", entry_id=entry.pk)
    if form.is_valid():
        try:
            services.watch_entry_transition(
                actor=user, entry=entry, action=action, data=form.cleaned_data
            )
        except IllegalTransition as exc:  # the entry moved on since the page was drawn
            messages.error(request, exc.message)
            return redirect("health:entry_detail", entry_id=entry.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(action)s.") % {"action": Action(action).label})
            return redirect("health:entry_detail", entry_id=entry.pk)
    return _render_entry(request, entry, forms=forms, status=200)


@login_required
@require_POST
def entry_assign(request: SignedInRequest, entry_id: int) -> HttpResponse:
    user = request.user
    entry = selectors.watch_entry_get_for(user=user, entry_id=entry_id)
    if not access.can(user, Perm.WATCHLIST_UPLOAD, entry.area_path):
        raise Forbidden()
    form = _assign_form(entry, user, request.POST)
    assert form is not None
    if form.is_valid():
        data = form.cleaned_data
        grid = None
        if data.get("grid"):
            grid = registry_selectors.area_get_for(
                user=user, area_id=data["grid"], perm=Perm.WATCHLIST_UPLOAD
            )
            grid = grid if grid.kind == AreaKind.GRID else None
        assignee = None
        if data.get("assignee"):
            assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
        try:
            services.watch_entry_assign(actor=user, entry=entry, grid=grid, assignee=assignee)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The entry was assigned."))
            return redirect("health:entry_detail", entry_id=entry.pk)
    return _render_entry(request, entry, assign_form=form)


# --- upstream lists ----------------------------------------------------------------------------


@requires(Perm.WATCHLIST_UPLOAD)
def upstream_list_index(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    lists = selectors.upstream_list_list_for(user=user)
    if exports.requested_format(request):
        return exports.export_response(request, exports.UPSTREAM_LISTS, lists)
    page = Paginator(lists, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "health/upstream_list_index.html", {"page_obj": page})


@requires(Perm.WATCHLIST_UPLOAD)
@require_http_methods(["GET", "POST"])
def upstream_list_upload(request: SignedInRequest) -> HttpResponse:
    user = request.user
    areas = [(a.pk, a.name) for a in selectors.upload_area_choices_for(user=user)]
    form = UploadForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = (
            registry_selectors.area_get_for(
                user=user, area_id=data["area"], perm=Perm.WATCHLIST_UPLOAD
            )
            if data["area"]
            else None
        )
        if area is None:
            form.add_error("area", _("Choose the area the list is for."))
        else:
            upload = data["file"]
            try:
                upstream_list = services.upstream_list_upload(
                    actor=user,
                    area=area,
                    file=upload,
                    filename=upload.name if upload else "",
                    name=data["name"],
                    kind=data["kind"],
                    source=data["source"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("The list was uploaded; it is being matched against the register.")
                )
                return redirect("health:upstream_list_detail", upstream_list_id=upstream_list.pk)
    return render(request, "health/upstream_list_upload.html", {"form": form})


@login_required
def upstream_list_detail(request: SignedInRequest, upstream_list_id: int) -> HttpResponse:
    upstream_list = selectors.upstream_list_get_for(user=request.user, list_id=upstream_list_id)
    counts = upstream_list.counts or {}
    tiers = [(tier, counts.get(tier.value, 0)) for tier in Tier]
    context = {
        "upstream_list": upstream_list,
        "tiers": tiers,
        "counts": counts,
        "running": upstream_list.status in (ListStatus.UPLOADED, ListStatus.MATCHING),
        "can_rematch": upstream_list.status in (ListStatus.FAILED, ListStatus.UPLOADED)
        and bool(upstream_list.file_path),
    }
    if request.htmx and request.htmx.target == "list-status":
        return render(request, "health/_upstream_list_status.html", context)
    return render(request, "health/upstream_list_detail.html", context)


@login_required
@require_POST
def upstream_list_rematch(request: SignedInRequest, upstream_list_id: int) -> HttpResponse:
    upstream_list = selectors.upstream_list_get_for(user=request.user, list_id=upstream_list_id)
    try:
        services.upstream_list_rematch(actor=request.user, upstream_list=upstream_list)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The match will run again."))
    return redirect("health:upstream_list_detail", upstream_list_id=upstream_list.pk)
