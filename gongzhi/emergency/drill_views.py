"""Drill pages on the workbench (/emergency/drills/): the list, scheduling, one drill with
its participants, tasks, assembly QR, timings and results, and finishing it with the lessons.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import scope
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.qr import qr_svg
from gongzhi.core.validation import errors_to_form
from gongzhi.emergency import drills
from gongzhi.emergency.models import (
    DrillParticipant,
    DrillStatus,
    EmergencyKind,
    Plan,
    Space,
    SpaceKind,
)
from gongzhi.registry.models import Area, AreaKind, Person

PAGE_SIZE = 50
BUILDING_LIMIT = 300  # persons added from one building at a time


class DrillForm(forms.Form):
    area = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EmergencyKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Scheduled for"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    plan = forms.TypedChoiceField(
        label=gettext_lazy("Plan"), coerce=int, required=False, empty_value=None
    )
    assembly_point = forms.TypedChoiceField(
        label=gettext_lazy("Assembly point"), coerce=int, required=False, empty_value=None
    )


class FinishForm(forms.Form):
    result = forms.CharField(
        label=gettext_lazy("How it went"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    lessons_text = forms.CharField(
        label=gettext_lazy("Lessons"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )


def _say(request: SignedInRequest, exc: ValidationError | DomainError) -> None:
    if isinstance(exc, ValidationError):
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.error(request, str(exc.message or _("This cannot be done now.")))


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_GET
def drill_list(request: SignedInRequest) -> HttpResponse:
    page = Paginator(drills.drills_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "emergency/drills/list.html",
        {"page_obj": page, "can_schedule": drills.communities_for_run(request.user).exists()},
    )


def _schedule_form(request: SignedInRequest, data: Any = None) -> DrillForm:
    form = DrillForm(data)
    communities = list(drills.communities_for_run(request.user))
    paths = [c.path for c in communities]
    form.fields["area"].choices = [(c.pk, c.name) for c in communities]  # type: ignore[attr-defined]
    plans = Plan.objects.filter(area_path__in=paths).order_by("area_path", "title")
    form.fields["plan"].choices = [("", "—")] + [(p.pk, p.title) for p in plans]  # type: ignore[attr-defined]
    spaces = (
        Space.objects.none()
        if not paths
        else Space.objects.within(*paths).filter(kind__in=[SpaceKind.ASSEMBLY, SpaceKind.SHELTER])
    )
    form.fields["assembly_point"].choices = [("", "—")] + [(s.pk, s.name) for s in spaces]  # type: ignore[attr-defined]
    return form


def _who(row: DrillParticipant) -> str:
    if row.person is not None:
        return str(row.person.audit_label)
    if row.user is not None:
        return row.user.get_full_name() or row.user.username
    return ""


@requires(Perm.DRILL_RUN)
@require_http_methods(["GET", "POST"])
def drill_create(request: SignedInRequest) -> HttpResponseBase:
    form = _schedule_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = drills.community_get_for_run(user=request.user, area_id=data["area"])
            plan = Plan.objects.filter(pk=data["plan"]).first() if data["plan"] else None
            space = (
                Space.objects.filter(pk=data["assembly_point"]).first()
                if data["assembly_point"]
                else None
            )
            drill = drills.drill_schedule(
                actor=request.user,
                area=area,
                kind=data["kind"],
                title=data["title"],
                scheduled_at=data["scheduled_at"],
                plan=plan,
                assembly_point=space,
            )
        except NotFound:
            form.add_error("area", _("Choose a community where you run drills."))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Drill scheduled. Add its participants and their tasks."))
            return redirect("emergency_drills:detail", drill_id=drill.pk)
    return render(request, "emergency/drills/form.html", {"form": form})


def _staff_choices(drill: Any) -> list[tuple[int, str]]:
    """Staff with a role on the drill's community, above it (the street) or inside it."""
    above = scope.ancestors(drill.area_path, inclusive=True)
    memberships = (
        Membership.objects.filter(is_active=True, user__is_active=True)
        .exclude(role=Role.RESIDENT)
        .select_related("user", "area")
        .order_by("user__username")
    )
    inside = access.within_column(memberships, "area__path", drill.area_path)
    on_or_above = memberships.filter(area__path__in=above)
    seen: dict[int, str] = {}
    for membership in [*on_or_above, *inside]:
        user = membership.user
        if user.pk not in seen:
            label = user.get_full_name() or user.username
            seen[user.pk] = f"{label} · {membership.get_role_display()}"
    return sorted(seen.items(), key=lambda item: item[1])


def _detail_context(request: SignedInRequest, drill: Any) -> dict[str, Any]:
    rows = drills.participant_rows(drill)
    timings = drills.drill_timings(drill, rows)
    can_run = drills.can_run(request.user, drill)
    checkin_url = request.build_absolute_uri(
        reverse("drill_m:checkin", kwargs={"code": drill.checkin_code})
    )
    buildings = []
    if can_run:
        buildings = list(
            access.within_column(
                Area.objects.filter(kind=AreaKind.BUILDING, closed_at__isnull=True),
                "path",
                drill.area_path,
            ).order_by("path")[:500]
        )
    return {
        "drill": drill,
        "rows": [
            {
                "row": row,
                "who": _who(row),
                "is_staff": row.user_id is not None,
                "elapsed": drills.duration_text(timings.elapsed.get(row.pk))
                if row.pk in timings.elapsed
                else "",
                "slowest": row.pk in timings.elapsed
                and timings.elapsed[row.pk] == timings.slowest_seconds,
            }
            for row in rows
        ],
        "timings": timings,
        "slowest": drills.duration_text(timings.slowest_seconds),
        "median": drills.duration_text(timings.median_seconds),
        "can_run": can_run,
        "open": drill.status in (DrillStatus.SCHEDULED, DrillStatus.RUNNING),
        "running": drill.status == DrillStatus.RUNNING,
        "scheduled": drill.status == DrillStatus.SCHEDULED,
        "checkin_url": checkin_url,
        "qr": qr_svg(checkin_url) if drill.status != DrillStatus.CANCELLED else "",
        "staff_choices": _staff_choices(drill) if can_run else [],
        "buildings": buildings,
        "finish_form": FinishForm(),
        "lessons": list(drill.lessons.all()),
    }


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_GET
def drill_detail(request: SignedInRequest, drill_id: int) -> HttpResponse:
    drill = drills.drill_get_for(user=request.user, drill_id=drill_id)
    return render(request, "emergency/drills/detail.html", _detail_context(request, drill))


def _runnable(request: SignedInRequest, drill_id: int) -> Any:
    drill = drills.drill_get_for(user=request.user, drill_id=drill_id)
    if not drills.can_run(request.user, drill):
        raise Forbidden()
    return drill


def _ids(values: list[str]) -> list[int]:
    out = []
    for value in values:
        for part in value.replace("，", ",").split(","):
            part = part.strip().lstrip("#")
            if part.isdigit():
                out.append(int(part))
    return out


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_POST
def participants_add(request: SignedInRequest, drill_id: int) -> HttpResponseBase:
    """Staff chosen from the list, and the register persons of a building (seen by the user)."""
    drill = _runnable(request, drill_id)
    person_ids = _ids(request.POST.getlist("persons"))
    building_id = request.POST.get("building", "")
    if building_id.isdigit():
        building = access.within_column(
            Area.objects.filter(pk=int(building_id), kind=AreaKind.BUILDING),
            "path",
            drill.area_path,
        ).first()
        if building is not None:
            person_ids += list(
                Person.objects.restrict(request.user, Perm.REGISTER_VIEW)
                .within(building.path)
                .filter(moved_out_on__isnull=True)
                .values_list("pk", flat=True)[:BUILDING_LIMIT]
            )
    try:
        added = drills.drill_participants_add(
            actor=request.user,
            drill=drill,
            person_ids=person_ids,
            user_ids=_ids(request.POST.getlist("users")),
            task=request.POST.get("task", ""),
        )
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("%(n)d participants added.") % {"n": added})
    return redirect("emergency_drills:detail", drill_id=drill.pk)


ACTIONS = {
    "start": (drills.drill_start, gettext_lazy("Drill started: check-in is open.")),
    "cancel": (drills.drill_cancel, gettext_lazy("Drill cancelled.")),
}


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_POST
def drill_act(request: SignedInRequest, drill_id: int) -> HttpResponseBase:
    drill = _runnable(request, drill_id)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Choose start or cancel."))
        return redirect("emergency_drills:detail", drill_id=drill.pk)
    service, done = action
    try:
        service(actor=request.user, drill=drill)
    except (ValidationError, DomainError) as exc:
        _say(request, exc)
    else:
        messages.success(request, str(done))
    return redirect("emergency_drills:detail", drill_id=drill.pk)


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_POST
def participant_record(request: SignedInRequest, drill_id: int) -> HttpResponseBase:
    """A participant's result, or their task marked done."""
    drill = _runnable(request, drill_id)
    participant = request.POST.get("participant", "")
    try:
        if request.POST.get("action") == "task_done":
            drills.drill_task_done(actor=request.user, drill=drill, participant_id=participant)
        else:
            drills.drill_result_record(
                actor=request.user,
                drill=drill,
                participant_id=participant,
                result=request.POST.get("result", ""),
            )
    except ValidationError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("emergency_drills:detail", drill_id=drill.pk)


@requires(Perm.EMERGENCY_VIEW, Perm.DRILL_RUN)
@require_http_methods(["GET", "POST"])
def drill_finish(request: SignedInRequest, drill_id: int) -> HttpResponseBase:
    drill = _runnable(request, drill_id)
    form = FinishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            drills.drill_finish(actor=request.user, drill=drill, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Drill finished. Its lessons are in the knowledge base."))
            return redirect("emergency_drills:detail", drill_id=drill.pk)
    return render(request, "emergency/drills/finish.html", {"drill": drill, "form": form})


def can_schedule(user: Any) -> bool:
    return access.can(user, Perm.DRILL_RUN)
