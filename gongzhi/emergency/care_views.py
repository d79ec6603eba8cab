"""Workbench pages of the three-person team (emergency.care), at /emergency/care/: the board
(a column per step, each card a person masked as the register's policy says), one case
with its timeline, and the team's moves. Thin: parse, call `care`, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.emergency import care
from gongzhi.emergency import care_selectors as selectors
from gongzhi.emergency.models import CareStep
from gongzhi.health import selectors as health_selectors


def _say(request: SignedInRequest, exc: ValidationError) -> None:
    for problem in exc.messages:
        messages.error(request, problem)


@requires(Perm.TEAM_CARE)
def board(request: SignedInRequest) -> HttpResponse:
    grids = selectors.grid_choices_for(user=request.user)
    chosen = request.GET.get("grid", "")
    grid = next((g for g in grids if str(g.pk) == chosen), None)
    mine = request.GET.get("mine") == "1"
    columns = selectors.board_for(user=request.user, grid=grid, mine=mine)
    return render(
        request,
        "emergency/care/board.html",
        {
            "columns": [(step, CareStep(step).label, columns[step]) for step in CareStep.values],
            "grids": grids,
            "grid": grid,
            "mine": mine,
            "waiting": selectors.entries_waiting_for(user=request.user, grid=grid),
            "section": "emergency",
        },
    )


@requires(Perm.TEAM_CARE)
def case_detail(request: SignedInRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    context = selectors.case_page(user=request.user, case=case)
    context.update({"case": case, "section": "emergency"})
    return render(request, "emergency/care/case.html", context)


def _back(case_id: int) -> HttpResponseBase:
    return redirect("emergency_care:case", case_id=case_id)


@requires(Perm.TEAM_CARE)
@require_POST
def case_advance(request: SignedInRequest, case_id: int) -> HttpResponseBase:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    to_step = request.POST.get("to_step", "")
    try:
        care.case_advance(
            actor=request.user, case=case, to_step=to_step, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(
            request, _("The case moved to “%(step)s”.") % {"step": CareStep(to_step).label}
        )
    return _back(case.pk)


@requires(Perm.TEAM_CARE)
@require_POST
def case_release(request: SignedInRequest, case_id: int) -> HttpResponseBase:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    try:
        care.case_release(actor=request.user, case=case, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("The case is released."))
    return _back(case.pk)


@requires(Perm.TEAM_CARE)
@require_POST
def task_take(request: SignedInRequest, case_id: int) -> HttpResponseBase:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    try:
        care.task_take(actor=request.user, case=case)
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("You took this step's task."))
    return _back(case.pk)


@requires(Perm.TEAM_CARE)
@require_POST
def task_done(request: SignedInRequest, case_id: int) -> HttpResponseBase:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    try:
        care.task_done(actor=request.user, case=case)
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("The task is done."))
    return _back(case.pk)


def _day(value: str) -> dt.date | None:
    if not value:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@requires(Perm.TEAM_CARE)
@require_POST
def check_record(request: SignedInRequest, case_id: int) -> HttpResponseBase:
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    try:
        care.check_record(
            actor=request.user,
            case=case,
            day=_day(request.POST.get("day", "")),
            temperature=request.POST.get("temperature", ""),
            symptoms=request.POST.get("symptoms") == "1",
        )
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Health check recorded."))
    return _back(case.pk)


@requires(Perm.TEAM_CARE)
@require_POST
def open_from_entry(request: SignedInRequest, entry_id: int) -> HttpResponseBase:
    """ "Take onto the board" on a watch-list entry's page."""
    entry = health_selectors.watch_entry_get_for(user=request.user, entry_id=entry_id)
    existing = selectors.case_for_entry(entry)
    try:
        case = care.case_open_from_entry(actor=request.user, entry=entry)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("health:entry_detail", entry_id=entry.pk)
    if existing is not None:
        messages.info(request, _("This entry is on the team's board already."))
    else:
        messages.success(request, _("The person is on the team's board now."))
    return _back(case.pk)
