"""Pages for lab results files: the list, the upload, and a file's report (counts and, per
problem, the row, the column and the rule). Thin: parse, call `health.lab`, render."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.validation import errors_to_form
from gongzhi.health import lab
from gongzhi.health import sample_selectors as selectors

PAGE_SIZE = 50
PROBLEMS_SHOWN = 500


class LabUploadForm(forms.Form):
    area = forms.TypedChoiceField(label=gettext_lazy("Area"), coerce=int)
    file = forms.FileField(
        label=gettext_lazy("Results file"),
        help_text=gettext_lazy(
            "XLSX, or CSV in UTF-8 or GBK, with the columns 试管编码 and/or 身份证号, "
            "检测结果 and (optional) 采样时间."
        ),
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", "—"), *areas]


@requires(Perm.HEALTH_RECORD)
def index(request: SignedInRequest) -> HttpResponse:
    batches = selectors.lab_batch_list_for(user=request.user)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(lab.LabStatus.choices)
    rows = [{"batch": b, "status": labels.get(b.status, b.status)} for b in page.object_list]
    return render(request, "health/lab/index.html", {"page_obj": page, "rows": rows})


@requires(Perm.HEALTH_RECORD)
@require_http_methods(["GET", "POST"])
def upload(request: SignedInRequest) -> HttpResponse:
    user = request.user
    areas = [(a.pk, a.name) for a in selectors.lab_areas_for(user=user)]
    form = LabUploadForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = selectors.lab_area_get_for(user=user, area_id=data["area"])
            batch = lab.lab_file_upload(
                actor=user, area=area, file=data["file"], filename=data["file"].name
            )
        except NotFound:
            form.add_error("area", _("No such area where you record tests."))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if batch.status == lab.LabStatus.APPLIED:
                messages.success(request, _("The results were applied; see each row below."))
            else:
                messages.success(request, _("The file is large: the worker applies it shortly."))
            return redirect("health_lab:detail", lab_batch_id=batch.pk)
    return render(request, "health/lab/upload.html", {"form": form})


@requires(Perm.HEALTH_RECORD)
def detail(request: SignedInRequest, lab_batch_id: int) -> HttpResponse:
    batch = selectors.lab_batch_get_for(user=request.user, batch_id=lab_batch_id)
    counts = batch.counts or {}
    outcome_labels = {
        lab.MATCHED: _("Applied"),
        lab.ALREADY: _("Already recorded"),
        lab.UNKNOWN: _("Unknown ID number or tube"),
        lab.NO_PENDING: _("No sample waiting for a result"),
        lab.CONFLICT: _("Conflicting result"),
        lab.MALFORMED: _("Malformed"),
    }
    context = {
        "batch": batch,
        "status": dict(lab.LabStatus.choices).get(batch.status, batch.status),
        "running": batch.status in (lab.LabStatus.QUEUED, lab.LabStatus.APPLYING),
        "rows": counts.get("rows", 0),
        "positive": counts.get("positive", 0),
        "outcomes": [(label, counts.get(key, 0)) for key, label in outcome_labels.items()],
        "problems": [lab.problem_text(p) for p in batch.problems[:PROBLEMS_SHOWN]],
        "more_problems": max(0, len(batch.problems) - PROBLEMS_SHOWN),
    }
    return render(request, "health/lab/detail.html", context)
