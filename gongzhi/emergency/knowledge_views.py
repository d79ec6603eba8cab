"""Knowledge-base pages (/emergency/lessons/): search and list, one lesson, write, edit,
share with the street. Thin: parse, call one service or selector, render."""

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
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.validation import errors_to_form
from gongzhi.emergency import knowledge
from gongzhi.emergency.models import EmergencyKind, LessonSource

PAGE_SIZE = 30


class LessonForm(forms.Form):
    area = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=LessonSource.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EmergencyKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    body = forms.CharField(
        label=gettext_lazy("What happened, what was learnt"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    tags = forms.CharField(label=gettext_lazy("Keywords"), max_length=200, required=False)
    occurred_on = forms.DateField(
        label=gettext_lazy("Happened on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    shared = forms.BooleanField(label=gettext_lazy("Share with the street"), required=False)


class LessonEditForm(LessonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("area", "source", "shared"):
            del self.fields[name]


@requires(Perm.EMERGENCY_VIEW, Perm.EMERGENCY_PLAN)
@require_GET
def lesson_list(request: SignedInRequest) -> HttpResponse:
    """The newest lessons, or (with ?q=) the search's best hits."""
    query = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    kind = kind if kind in EmergencyKind.values else ""
    context: dict[str, Any] = {
        "q": query,
        "kind": kind,
        "kinds": EmergencyKind.choices,
        "can_write": knowledge.communities_for_write(request.user).exists(),
        "error": "",
    }
    if "q" in request.GET:
        try:
            context["results"] = knowledge.lesson_search(request.user, query, kind=kind or None)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
    else:
        rows = knowledge.lessons_visible_to(request.user).select_related("area")
        if kind:
            rows = rows.filter(kind=kind)
        context["page_obj"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "emergency/lessons/list.html", context)


@requires(Perm.EMERGENCY_VIEW, Perm.EMERGENCY_PLAN)
@require_GET
def lesson_detail(request: SignedInRequest, lesson_id: int) -> HttpResponse:
    lesson = knowledge.lesson_get_for(user=request.user, lesson_id=lesson_id)
    return render(
        request,
        "emergency/lessons/detail.html",
        {"lesson": lesson, "can_write": knowledge.can_write(request.user, lesson)},
    )


@requires(Perm.EMERGENCY_PLAN)
@require_http_methods(["GET", "POST"])
def lesson_create(request: SignedInRequest) -> HttpResponseBase:
    form = LessonForm(request.POST or None)
    form.fields["area"].choices = [  # type: ignore[attr-defined]
        (c.pk, c.name) for c in knowledge.communities_for_write(request.user)
    ]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            area = knowledge.community_get_for_write(user=request.user, area_id=data.pop("area"))
            lesson = knowledge.lesson_write(actor=request.user, area=area, **data)
        except NotFound:
            form.add_error("area", _("Choose a community where you write lessons."))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("emergency_lessons:detail", lesson_id=lesson.pk)
    return render(request, "emergency/lessons/form.html", {"form": form, "lesson": None})


def _writable(request: SignedInRequest, lesson_id: int) -> Any:
    lesson = knowledge.lesson_get_for(user=request.user, lesson_id=lesson_id)
    if not knowledge.can_write(request.user, lesson):
        raise Forbidden()
    return lesson


@requires(Perm.EMERGENCY_VIEW, Perm.EMERGENCY_PLAN)
@require_http_methods(["GET", "POST"])
def lesson_edit(request: SignedInRequest, lesson_id: int) -> HttpResponseBase:
    lesson = _writable(request, lesson_id)
    initial = {
        "kind": lesson.kind,
        "title": lesson.title,
        "body": lesson.body,
        "tags": lesson.tags,
        "occurred_on": lesson.occurred_on,
    }
    form = LessonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            knowledge.lesson_edit(actor=request.user, lesson=lesson, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("emergency_lessons:detail", lesson_id=lesson.pk)
    return render(request, "emergency/lessons/form.html", {"form": form, "lesson": lesson})


@requires(Perm.EMERGENCY_VIEW, Perm.EMERGENCY_PLAN)
@require_POST
def lesson_share(request: SignedInRequest, lesson_id: int) -> HttpResponseBase:
    lesson = _writable(request, lesson_id)
    shared = request.POST.get("shared") == "1"
    knowledge.lesson_share(actor=request.user, lesson=lesson, shared=shared)
    messages.success(
        request,
        _("Shared with every community of the street.")
        if shared
        else _("No longer shared: only your community reads it."),
    )
    return redirect("emergency_lessons:detail", lesson_id=lesson.pk)
