"""Workbench pages of the points square's activities (activity.manage): the area's list,
create and edit, the activity with its participants (masked), publish / close / cancel /
new check-in code, and the printable QR poster. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError
from gongzhi.core.qr import qr_svg
from gongzhi.core.validation import errors_to_form
from gongzhi.points import activities as services
from gongzhi.points import activity_selectors as selectors
from gongzhi.points.activity_forms import ActivityForm
from gongzhi.points.models import Activity, ActivityStatus
from gongzhi.registry.models import Area

PAGE_SIZE = 50
ACTIONS = {
    "publish": services.activity_publish,
    "close": services.activity_close,
    "cancel": services.activity_cancel,
    "rotate": services.activity_rotate_checkin_token,
}


def _areas(user: Any) -> list[Area]:
    """Communities and grids where the user manages activities."""
    return list(
        Area.objects.restrict(user, Perm.ACTIVITY_MANAGE)
        .filter(kind__in=services.ACTIVITY_AREA_KINDS, closed_at=None)
        .order_by("path")
    )


def _reviewer_choices(areas: list[Area]) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    by_node = access.holders_at(Perm.PROOF_REVIEW, [a.path for a in areas], nearest=False)
    for memberships in by_node.values():
        for membership in memberships:
            seen.setdefault(membership.user_id, str(membership.user))
    return sorted(seen.items(), key=lambda item: item[1])


def _form(request: SignedInRequest, areas: list[Area], **kwargs: Any) -> ActivityForm:
    posted = request.method == "POST"
    return ActivityForm(
        request.POST if posted else None,
        areas=[(a.pk, a.name) for a in areas],
        reviewers=_reviewer_choices(areas),
        **kwargs,
    )


def _data(form: ActivityForm, areas: list[Area]) -> dict[str, Any]:
    from gongzhi.accounts.models import User

    data = dict(form.cleaned_data)
    data["area"] = next(a for a in areas if a.pk == data["area"])
    data["reviewers"] = list(User.objects.filter(pk__in=data["reviewers"]))
    data["description"] = data["description"] or ""
    data["place"] = data["place"] or ""
    return data


@requires(Perm.ACTIVITY_MANAGE)
def activity_list(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ActivityStatus.values:
        status = ""
    rows = selectors.activity_list_for(user=request.user, status=status or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/activities/list.html",
        {"page_obj": page, "status": status, "statuses": ActivityStatus.choices},
    )


@requires(Perm.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def activity_create(request: SignedInRequest) -> HttpResponseBase:
    areas = _areas(request.user)
    form = _form(request, areas, initial={"kind": "event", "proof_kind": "photo", "points": 10, "hours": "1.0"})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(actor=request.user, **_data(form, areas))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Activity saved as a draft."))
            return redirect("points_activities:detail", activity_id=activity.pk)
    return render(request, "points/activities/form.html", {"form": form, "activity": None})


@requires(Perm.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def activity_edit(request: SignedInRequest, activity_id: int) -> HttpResponseBase:
    activity = selectors.activity_get_for(user=request.user, activity_id=activity_id)
    areas = _areas(request.user)
    if activity.area not in areas:
        areas.append(activity.area)
    initial = {f: getattr(activity, f) for f in services.FIELDS}
    initial["area"] = activity.area_id
    initial["reviewers"] = list(activity.reviewers.values_list("pk", flat=True))
    form = _form(request, areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, **_data(form, areas))
        except ValidationError as exc:
            errors_to_form(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Activity saved."))
            return redirect("points_activities:detail", activity_id=activity.pk)
    return render(request, "points/activities/form.html", {"form": form, "activity": activity})


@requires(Perm.ACTIVITY_MANAGE)
def activity_detail(request: SignedInRequest, activity_id: int) -> HttpResponse:
    activity = selectors.activity_get_for(user=request.user, activity_id=activity_id)
    return render(
        request,
        "points/activities/detail.html",
        {
            "activity": activity,
            "participants": selectors.participants_of(user=request.user, activity=activity),
            "reviewers": list(activity.reviewers.all()),
            "checkin_url": _checkin_url(request, activity),
        },
    )


@requires(Perm.ACTIVITY_MANAGE)
@require_POST
def activity_transition(request: SignedInRequest, activity_id: int) -> HttpResponseBase:
    activity = selectors.activity_get_for(user=request.user, activity_id=activity_id)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Choose what to do with the activity."))
    else:
        try:
            action(actor=request.user, activity=activity)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Done."))
    return redirect("points_activities:detail", activity_id=activity.pk)


def _checkin_url(request: SignedInRequest, activity: Activity) -> str:
    return request.build_absolute_uri(
        reverse("points_m:checkin", kwargs={"token": activity.checkin_token})
    )


@requires(Perm.ACTIVITY_MANAGE)
def activity_poster(request: SignedInRequest, activity_id: int) -> HttpResponse:
    """A page to print and hang at the place: the title, the time and the check-in QR."""
    activity = selectors.activity_get_for(user=request.user, activity_id=activity_id)
    url = _checkin_url(request, activity)
    response = render(
        request,
        "points/activities/poster.html",
        {"activity": activity, "qr": qr_svg(url), "checkin_url": url},
    )
    response["Cache-Control"] = "private, no-store"
    return response
