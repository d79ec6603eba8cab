"""Report pages of the workbench: templates (upload, ready-made, mapping, schedule),
filling on demand, the history and downloads.

Thin: objects come from `selectors.*_get_for` (NotFound → 404), writes go through
`services.*`. A page the user's roles never allow is 404; managing a visible template
without report.manage is 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden
from gongzhi.registry import selectors as registry_selectors
from gongzhi.registry.models import Area, AreaKind, Tag
from gongzhi.reports import catalogue, exports, selectors, services
from gongzhi.reports.forms import (
    FillForm,
    InstallForm,
    MappingForm,
    ScheduleForm,
    UploadForm,
    apply_errors,
)
from gongzhi.reports.models import ReportStatus, ReportTemplate

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _manage(user: Viewer, template: ReportTemplate) -> None:
    if not access.can(user, Perm.REPORT_MANAGE, template.area_path):
        raise Forbidden()


def _manage_areas(user: Viewer) -> list[tuple[int, str]]:
    return [
        (a.pk, a.name)
        for a in Area.objects.filter(path__in=access.paths(user, Perm.REPORT_MANAGE)).order_by(
            "path"
        )
    ]


@requires(Perm.REPORT_VIEW)
def index(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    can_manage = access.can(user, Perm.REPORT_MANAGE)
    templates = selectors.template_list_for(user=user)
    if exports.requested_format(request):
        return exports.export_response(request, exports.TEMPLATES, templates)
    context = {
        "templates": templates,
        "recent": selectors.report_list_for(user=user)[:10],
        "can_manage": can_manage,
        "install_form": InstallForm(areas=_manage_areas(user)) if can_manage else None,
    }
    return render(request, "reports/index.html", context)


@requires(Perm.REPORT_MANAGE)
@require_http_methods(["GET", "POST"])
def template_upload(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = UploadForm(request.POST or None, request.FILES or None, areas=_manage_areas(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = (
            registry_selectors.area_get_for(
                user=user, area_id=data["area"], perm=Perm.REPORT_MANAGE
            )
            if data["area"]
            else None
        )
        if area is None:
            form.add_error("area", _("Choose the area the template is for."))
        else:
            try:
                template = services.report_template_upload(
                    actor=user,
                    area=area,
                    file=data["file"],
                    filename=data["file"].name if data["file"] else "",
                    dataset=data["dataset"],
                    name=data["name"],
                    department=data["department"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("The template was kept; check how its columns are filled.")
                )
                return redirect("reports:template_edit", template_id=template.pk)
    return render(request, "reports/template_upload.html", {"form": form})


@requires(Perm.REPORT_MANAGE)
@require_POST
def template_install(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = InstallForm(request.POST, areas=_manage_areas(user))
    if form.is_valid() and form.cleaned_data["area"]:
        area = registry_selectors.area_get_for(
            user=user, area_id=form.cleaned_data["area"], perm=Perm.REPORT_MANAGE
        )
        try:
            template = services.report_template_install(
                actor=user, area=area, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The ready-made template was added."))
            return redirect("reports:template_detail", template_id=template.pk)
    else:
        messages.error(request, _("Choose a ready-made template and an area."))
    return redirect("reports:index")


def _fill_areas(user: Viewer, template: ReportTemplate) -> list[tuple[int, str]]:
    return [(a.pk, a.name) for a in selectors.fill_area_choices_for(user=user, template=template)]


@login_required
def template_detail(request: SignedInRequest, template_id: int) -> HttpResponse:
    user = request.user
    template = selectors.template_get_for(user=user, template_id=template_id)
    dataset = catalogue.DATASETS[template.dataset]
    mapped = {c["column"]: c for c in template.columns}
    columns = []
    for header in template.headers:
        spec = mapped.get(header["column"], {})
        field = dataset.field(spec.get("field", "")) if spec.get("field") else None
        columns.append(
            {
                "header": header,
                "field": field.label if field else "",
                "transform": catalogue.TRANSFORMS.get(spec.get("transform", ""), ""),
                "arg": spec.get("arg", ""),
            }
        )
    reports = Paginator(selectors.report_list_for(user=user, template=template), 20).get_page(
        request.GET.get("page")
    )
    can_manage = access.can(user, Perm.REPORT_MANAGE, template.area_path)
    context = {
        "template": template,
        "dataset": dataset,
        "columns": columns,
        "page_obj": reports,
        "can_manage": can_manage,
        "filters": _mapping_form(request, template).describe_filters(template.filters),
        "fill_form": FillForm(areas=_fill_areas(user, template)),
        "schedule_form": ScheduleForm(
            initial={
                "schedule": template.schedule,
                "hour": template.schedule_hour,
                "weekday": template.schedule_weekday,
                "day": template.schedule_day,
            }
        )
        if can_manage
        else None,
        "running": any(r.status in (ReportStatus.QUEUED, ReportStatus.FILLING) for r in reports),
    }
    if request.htmx and request.htmx.target == "history":
        return render(request, "reports/_history.html", context)
    return render(request, "reports/template_detail.html", context)


def _mapping_form(request: HttpRequest, template: ReportTemplate) -> MappingForm:
    dataset = catalogue.DATASETS[template.dataset]
    grids = Area.objects.filter(kind=AreaKind.GRID).within(template.area_path)
    grid_choices = [(g.pk, "\u3000" * ((g.grid_level or 1) - 1) + g.name) for g in grids]
    tags = [(t.code, t.name) for t in Tag.objects.order_by("sort", "code")]
    initial: dict[str, Any] = {"name": template.name, "department": template.department}
    for spec in template.columns:
        n = spec["column"]
        initial.update({f"col{n}_field": spec["field"], f"col{n}_transform": spec["transform"]})
        initial[f"col{n}_arg"] = spec["arg"]
    for key, value in (template.filters or {}).items():
        initial[f"f_{key}"] = value
    return MappingForm(
        request.POST or None,
        initial=initial,
        dataset=dataset,
        headers=template.headers,
        grids=grid_choices,
        tags=tags,
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: SignedInRequest, template_id: int) -> HttpResponse:
    user = request.user
    template = selectors.template_get_for(user=user, template_id=template_id)
    _manage(user, template)
    form = _mapping_form(request, template)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_template_map(
                actor=user,
                template=template,
                columns=form.columns(),
                filters=form.filters(),
                name=form.cleaned_data["name"],
                department=form.cleaned_data["department"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The mapping was saved."))
            return redirect("reports:template_detail", template_id=template.pk)
    context = {"template": template, "form": form, "date_formats": catalogue.DATE_FORMATS}
    return render(request, "reports/template_edit.html", context)


@login_required
@require_POST
def template_schedule(request: SignedInRequest, template_id: int) -> HttpResponse:
    user = request.user
    template = selectors.template_get_for(user=user, template_id=template_id)
    _manage(user, template)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_template_schedule(
                actor=user,
                template=template,
                schedule=data["schedule"] or "",
                hour=data["hour"],
                weekday=data["weekday"],
                day=data["day"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The schedule was saved."))
    else:
        messages.error(request, _("Choose how often and when."))
    return redirect("reports:template_detail", template_id=template.pk)


@login_required
@require_POST
def template_fill(request: SignedInRequest, template_id: int) -> HttpResponse:
    user = request.user
    template = selectors.template_get_for(user=user, template_id=template_id)
    form = FillForm(request.POST, areas=_fill_areas(user, template))
    area = None
    if form.is_valid() and form.cleaned_data["area"]:
        area = registry_selectors.area_get_for(
            user=user, area_id=form.cleaned_data["area"], perm=Perm.REPORT_VIEW
        )
    try:
        services.report_request(actor=user, template=template, area=area)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The report is being filled; it appears in the history."))
    return redirect("reports:template_detail", template_id=template.pk)


@requires(Perm.REPORT_VIEW)
def report_history(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    reports = selectors.report_list_for(user=user)
    if exports.requested_format(request):
        return exports.export_response(request, exports.REPORTS, reports)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/history.html", {"page_obj": page})


@login_required
def report_download(request: SignedInRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get_for(user=request.user, report_id=report_id)
    try:
        data, filename = services.report_download(actor=request.user, report=report)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("reports:template_detail", template_id=report.template_id)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response
