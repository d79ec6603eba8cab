"""Workbench pages of report-ins (双报到) and volunteers (/orders/volunteers/): the queue
of report-ins to decide, one report-in with its decision, adding someone directly, and a
volunteer's page with the 8-household pairing. Thin: `workorders.reportin` and
`workorders.pairings` read and write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound, field_errors
from gongzhi.registry.models import Area, AreaKind, Household
from gongzhi.workorders import pairings, reportin
from gongzhi.workorders.forms import apply_errors
from gongzhi.workorders.models import HandlerProfile, ReportInStatus
from gongzhi.workorders.reportin_forms import ApproveForm, RefuseForm, StaffAddForm

PAGE_SIZE = 50


def _grid_label(area: Area) -> str:
    parent = area.parent.name if area.parent is not None else ""
    return f"{parent} · {area.name}" if parent else area.name


def _messages(request: SignedInRequest, exc: ValidationError) -> None:
    for problems in field_errors(exc).values():
        for message in problems:
            messages.error(request, message)


@requires(Perm.VOLUNTEERS_MANAGE)
def reportin_list(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status", ReportInStatus.PENDING)
    if status not in ReportInStatus.values:
        status = ""
    reports = reportin.reportin_list_for(user=request.user, status=status)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = reportin.reportin_list_for(user=request.user, status=ReportInStatus.PENDING).count()
    context = {
        "page_obj": page,
        "status": status,
        "pending": pending,
        "statuses": ReportInStatus.choices,
    }
    return render(request, "workorders/reportin_list.html", context)


def _decision_forms(request: SignedInRequest, report: Any, data: Any = None) -> dict[str, Any]:
    grids = reportin.placement_grids_for(user=request.user, report=report)
    approve = ApproveForm(
        data,
        grids=[(g.pk, _grid_label(g)) for g in grids],
        initial={
            "grid": report.grid_id or (grids[0].pk if len(grids) == 1 else ""),
            "skills": report.skills,
        },
    )
    return {
        "approve_form": approve,
        "refuse_form": RefuseForm(),
        "can_refuse": access.can(request.user, Perm.VOLUNTEERS_MANAGE, report.area_path),
    }


@requires(Perm.VOLUNTEERS_MANAGE)
def reportin_detail(request: SignedInRequest, reportin_id: int) -> HttpResponse:
    report = reportin.reportin_get_for(user=request.user, report_id=reportin_id)
    context = {"report": report, "own": report.user_id == request.user.pk}
    context.update(_decision_forms(request, report))
    return render(request, "workorders/reportin_detail.html", context)


@requires(Perm.VOLUNTEERS_MANAGE)
@require_POST
def reportin_approve(request: SignedInRequest, reportin_id: int) -> HttpResponse:
    report = reportin.reportin_get_for(user=request.user, report_id=reportin_id)
    forms = _decision_forms(request, report, request.POST)
    form = forms["approve_form"]
    grid = None
    if form.is_valid():
        grid = Area.objects.filter(pk=form.cleaned_data["grid"], kind=AreaKind.GRID).first()
    try:
        reportin.reportin_approve(
            actor=request.user,
            report=report,
            grid=grid,
            skills=form.cleaned_data.get("skills") if form.is_valid() else None,
        )
    except ValidationError as exc:
        _messages(request, exc)
        return redirect("workorders:reportin_detail", reportin_id=report.pk)
    messages.success(request, _("Approved: now pair them with households."))
    return redirect("workorders:volunteer_detail", volunteer_id=report.user_id)


@requires(Perm.VOLUNTEERS_MANAGE)
@require_POST
def reportin_refuse(request: SignedInRequest, reportin_id: int) -> HttpResponse:
    report = reportin.reportin_get_for(user=request.user, report_id=reportin_id)
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        reportin.reportin_refuse(actor=request.user, report=report, reason=reason)
    except ValidationError as exc:
        _messages(request, exc)
        return redirect("workorders:reportin_detail", reportin_id=report.pk)
    messages.success(request, _("Refused; the applicant is told why."))
    return redirect("workorders:reportin_list")


def _manageable_grids(request: SignedInRequest) -> list[Area]:
    return list(
        Area.objects.restrict(request.user, Perm.VOLUNTEERS_MANAGE)
        .filter(kind=AreaKind.GRID)
        .select_related("parent")
        .order_by("path")[:300]
    )


@requires(Perm.VOLUNTEERS_MANAGE)
@require_http_methods(["GET", "POST"])
def reportin_add(request: SignedInRequest) -> HttpResponse:
    """Staff add a party member or volunteer directly, placed in a grid at once."""
    grids = _manageable_grids(request)
    form = StaffAddForm(request.POST or None, grids=[(g.pk, _grid_label(g)) for g in grids])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grid = next((g for g in grids if str(g.pk) == str(data["grid"])), None)
        try:
            report = reportin.reportin_add(
                actor=request.user,
                phone=data["phone"],
                name=data["name"],
                kind=data["kind"],
                grid=grid,
                organisation=data["organisation"],
                skills=data["skills"],
                free_times=data["free_times"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Added: now pair them with households."))
            return redirect("workorders:volunteer_detail", volunteer_id=report.user_id)
    return render(request, "workorders/reportin_add.html", {"form": form})


@requires(Perm.VOLUNTEERS_MANAGE)
def volunteer_detail(request: SignedInRequest, volunteer_id: int) -> HttpResponse:
    """A volunteer's page: where they serve, their skills, and the households they serve,
    with the pairing editor (the grid's households, unpaired ones first)."""
    user = request.user
    handler = pairings.volunteer_get_for(user=user, volunteer_id=volunteer_id)
    paths = pairings.pairing_paths_for(user=user, handler=handler)
    unpaired = request.GET.get("unpaired") == "1"
    q = request.GET.get("q", "")[:50]
    choices = pairings.pairing_households_for(
        user=user, handler=handler, paths=paths, unpaired_only=unpaired, q=q
    )
    current = list(pairings.pairings_of(handler))
    for pairing in current:  # outside the user's area: shown, not changed by this form
        pairing.editable = access.can(user, Perm.WORKORDER_DISPATCH, pairing.area_path)
    context = {
        "handler": handler,
        "memberships": pairings.volunteer_memberships_of(handler),
        "profile": HandlerProfile.objects.filter(user=handler).first(),
        "reports": reportin.reportins_of(handler).filter(status=ReportInStatus.APPROVED)[:3],
        "pairings": current,
        "others": [c for c in choices if not c.mine],
        "unpaired": unpaired,
        "q": q,
        "max": pairings.PAIRING_MAX,
        "can_pair": bool(paths),
    }
    return render(request, "workorders/volunteer_detail.html", context)


@requires(Perm.VOLUNTEERS_MANAGE)
@require_POST
def volunteer_pairings(request: SignedInRequest, volunteer_id: int) -> HttpResponse:
    """Set the households the volunteer serves (within the user's area)."""
    user = request.user
    handler = pairings.volunteer_get_for(user=user, volunteer_id=volunteer_id)
    ids = request.POST.getlist("households")
    try:
        wanted = [int(i) for i in ids]
    except ValueError:
        raise NotFound() from None
    households = list(
        Household.objects.restrict(user, Perm.WORKORDER_DISPATCH).filter(pk__in=wanted)
    )
    if len(households) != len(set(wanted)):
        messages.error(request, _("No such record in your area."))
        return redirect("workorders:volunteer_detail", volunteer_id=handler.pk)
    try:
        pairings.pairing_set(actor=user, handler=handler, households=households)
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(
            request, _("Saved: they serve %(count)d households.") % {"count": len(households)}
        )
    return redirect("workorders:volunteer_detail", volunteer_id=handler.pk)
