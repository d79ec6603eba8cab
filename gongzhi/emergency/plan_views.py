"""Plan pages (/emergency/plans/): the list, a new draft, a plan with its versions and what
changed between them, editing the sections, refresh, approve, retire, linked lessons and
the document downloads. Thin: parse, call `emergency.plans` / `plan_export`, render.
Reading needs emergency.view; every write emergency.plan where the plan is (else 403)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.validation import errors_to_form
from gongzhi.emergency import plan_export, plans
from gongzhi.emergency.models import EmergencyKind, Plan, PlanStatus
from gongzhi.registry.models import Area

PAGE_SIZE = 50


class PlanForm(forms.Form):
    area = forms.ChoiceField(label=gettext_lazy("Community"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind of emergency"), choices=EmergencyKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=plans.TITLE_MAX)

    def __init__(self, *args: Any, communities: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = [(c.pk, c.name) for c in communities]


class EditForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What changed"), max_length=plans.NOTE_MAX, required=False
    )

    def __init__(self, *args: Any, sections: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = [s["key"] for s in sections]
        for s in sections:
            self.fields[f"title_{s['key']}"] = forms.CharField(
                label=gettext_lazy("Section title"), initial=s["title"], required=False
            )
            self.fields[f"body_{s['key']}"] = forms.CharField(
                label=s["title"],
                initial=s["body"],
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def sections(self) -> list[dict[str, str]]:
        return [
            {
                "key": key,
                "title": self.cleaned_data.get(f"title_{key}", ""),
                "body": self.cleaned_data.get(f"body_{key}", ""),
            }
            for key in self.keys
        ]

    def section_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"title_{key}"], self[f"body_{key}"]) for key in self.keys]


def _writable(request: SignedInRequest, plan_id: int) -> Plan:
    plan = plans.plan_get_for(user=request.user, plan_id=plan_id)
    plans.require_plan_write(request.user, plan)
    return plan


def _messages(request: SignedInRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def plan_list(request: SignedInRequest) -> HttpResponse:
    page = Paginator(plans.plan_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_draft = plans.community_choices_for(user=request.user).exists()
    return render(request, "emergency/plans/list.html", {"page_obj": page, "can_draft": can_draft})


@requires(Perm.EMERGENCY_PLAN)
@require_http_methods(["GET", "POST"])
def plan_create(request: SignedInRequest) -> HttpResponseBase:
    communities = list(plans.community_choices_for(user=request.user))
    form = PlanForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        area = next((c for c in communities if str(c.pk) == form.cleaned_data["area"]), None)
        try:
            plan = plans.plan_draft(
                actor=request.user,
                area=area,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Draft made from the register. Read it, edit it, then approve it.")
            )
            return redirect("emergency_plans:detail", plan_id=plan.pk)
    return render(request, "emergency/plans/form.html", {"form": form})


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def plan_detail(request: SignedInRequest, plan_id: int) -> HttpResponse:
    plan = plans.plan_get_for(user=request.user, plan_id=plan_id)
    versions = list(plan.versions.select_related("created_by").order_by("-number"))
    shown = versions[0]
    if request.GET.get("v"):
        shown = plans.version_get(plan, request.GET["v"])
    previous = plans.previous_version(shown)
    diff = plans.version_diff(previous, shown) if previous else []
    context = {
        "plan": plan,
        "version": shown,
        "versions": versions,
        "previous": previous,
        "diff": [d for d in diff if d["status"] != "same"],
        "sections": shown.content.get("sections", []),
        "lessons": list(plan.lessons.all()),
        "can_write": plans.can_write(request.user, plan) and plan.status != PlanStatus.RETIRED,
        "latest": versions[0],
    }
    return render(request, "emergency/plans/detail.html", context)


@requires(Perm.EMERGENCY_VIEW)
@require_http_methods(["GET", "POST"])
def plan_edit(request: SignedInRequest, plan_id: int) -> HttpResponseBase:
    plan = _writable(request, plan_id)
    latest = plans.latest_version(plan)
    form = EditForm(request.POST or None, sections=latest.content.get("sections", []))
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_edit(
                actor=request.user,
                plan=plan,
                sections=form.sections(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect("emergency_plans:detail", plan_id=plan.pk)
    return render(
        request, "emergency/plans/edit.html", {"plan": plan, "form": form, "version": latest}
    )


def _act(request: SignedInRequest, plan_id: int, service: Any, done: str, **extra: Any):
    plan = _writable(request, plan_id)
    try:
        service(actor=request.user, plan=plan, **extra)
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(request, done)
    return redirect("emergency_plans:detail", plan_id=plan.pk)


@requires(Perm.EMERGENCY_VIEW)
@require_POST
def plan_refresh(request: SignedInRequest, plan_id: int) -> HttpResponseBase:
    return _act(
        request,
        plan_id,
        plans.plan_refresh,
        _("Figures refreshed from the register; edited text kept."),
        note=request.POST.get("note", ""),
    )


@requires(Perm.EMERGENCY_VIEW)
@require_POST
def plan_approve(request: SignedInRequest, plan_id: int) -> HttpResponseBase:
    return _act(request, plan_id, plans.plan_approve, _("The latest version is approved."))


@requires(Perm.EMERGENCY_VIEW)
@require_POST
def plan_retire(request: SignedInRequest, plan_id: int) -> HttpResponseBase:
    return _act(request, plan_id, plans.plan_retire, _("The plan is retired."))


@requires(Perm.EMERGENCY_VIEW)
@require_http_methods(["GET", "POST"])
def plan_lessons(request: SignedInRequest, plan_id: int) -> HttpResponseBase:
    plan = _writable(request, plan_id)
    if request.method == "POST":
        try:
            plans.plan_link_lessons(
                actor=request.user, plan=plan, lesson_ids=request.POST.getlist("lessons")
            )
        except ValidationError as exc:
            _messages(request, exc)
        else:
            messages.success(request, _("Linked lessons saved."))
            return redirect("emergency_plans:detail", plan_id=plan.pk)
    linked = set(plan.lessons.values_list("pk", flat=True))
    choices = list(plans.lessons_visible_to(user=request.user, plan=plan)[:200])
    return render(
        request,
        "emergency/plans/lessons.html",
        {"plan": plan, "choices": choices, "linked": linked},
    )


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def plan_download(request: SignedInRequest, plan_id: int, fmt: str) -> HttpResponse:
    plan = plans.plan_get_for(user=request.user, plan_id=plan_id)
    if fmt not in plan_export.FORMATS:
        raise NotFound()
    version = plans.version_get(plan, request.GET["v"]) if request.GET.get("v") else None
    version = version or plans.latest_version(plan)
    body = plan_export.plan_document(actor=request.user, plan=plan, version=version, fmt=fmt)
    response = HttpResponse(body, content_type=plan_export.FORMATS[fmt])
    name = plan_export.filename(plan, version, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
