"""One data, many reports, over REST.

    GET  /report-fields                           data sets, fields, transforms, filters
    GET  /report-templates[/{id}]                 templates of the caller's area
    POST /report-templates                        upload a department's XLSX (multipart)
    POST /report-templates/ready-made             add 重点人员排查表 / 独居老人关爱台账 / 疫苗接种统计表
    PUT  /report-templates/{id}/mapping           map columns to fields, set filters
    PUT  /report-templates/{id}/schedule          fill daily / weekly / monthly
    POST /report-templates/{id}/fill              fill now (queued; poll the report)
    GET  /reports[/{id}]                          filled reports, their history
    GET  /reports/{id}/download                   the XLSX

Thin operations over `reports.selectors` and `reports.services`.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Page
from gongzhi.core.errors import NotFound
from gongzhi.registry.selectors import area_get_for
from gongzhi.reports import catalogue, selectors, services
from gongzhi.reports.builtin import BUILTINS
from gongzhi.reports.models import Report, ReportTemplate, Schedule

router = Router(tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- schemas -----------------------------------------------------------------------------------


class FieldOut(Schema):
    code: str
    label: str
    kind: str
    transforms: list[str]


class DatasetOut(Schema):
    code: str
    label: str
    fields: list[FieldOut]
    filters: list[str]


class CatalogueOut(Schema):
    datasets: list[DatasetOut]
    transforms: dict[str, str]
    date_formats: list[str]
    ready_made: dict[str, str] = Field(description="code -> name of the ready-made templates")


class ColumnOut(Schema):
    column: int
    letter: str
    header: str
    field: str
    transform: str
    arg: str


class TemplateOut(Schema):
    id: int
    area_id: int
    name: str
    department: str
    dataset: str
    ready_made: str
    filename: str
    sheet: str
    header_row: int
    columns: list[ColumnOut]
    filters: dict[str, Any]
    schedule: str
    schedule_hour: int
    schedule_weekday: int
    schedule_day: int
    next_run_at: dt.datetime | None
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_ready_made(obj: ReportTemplate) -> str:
        return obj.builtin

    @staticmethod
    def resolve_columns(obj: ReportTemplate) -> list[dict[str, Any]]:
        mapped = {c["column"]: c for c in obj.columns}
        return [
            {
                "column": h["column"],
                "letter": h["letter"],
                "header": h["header"],
                "field": mapped.get(h["column"], {}).get("field", ""),
                "transform": mapped.get(h["column"], {}).get("transform", ""),
                "arg": mapped.get(h["column"], {}).get("arg", ""),
            }
            for h in obj.headers
        ]


class ReportOut(Schema):
    id: int
    template_id: int
    template: str
    area_id: int
    area: str
    status: str
    trigger: str
    requested_by: str | None
    as_of: dt.date
    rows: int
    full_values: bool = Field(description="holds full ID numbers or phones")
    notes: list[str]
    errors: dict[str, list[str]]
    created_at: dt.datetime
    filled_at: dt.datetime | None

    @staticmethod
    def resolve_template(obj: Report) -> str:
        return obj.template.name

    @staticmethod
    def resolve_area(obj: Report) -> str:
        return obj.area.name

    @staticmethod
    def resolve_requested_by(obj: Report) -> str | None:
        return obj.requested_by.username if obj.requested_by is not None else None


class ReadyMadeIn(In):
    area: Id = Field(description="id of the community (or street, grid) the template is for")
    code: Literal["watchlist", "elderly_alone", "vaccination"]


class ColumnIn(In):
    column: int = Field(ge=1, le=16384, description="the template column's number (A = 1)")
    field: str = Field("", max_length=40)
    transform: str = Field("", max_length=20)
    arg: str = Field("", max_length=500)


class TemplateMappingIn(In):
    columns: list[ColumnIn] = Field(max_length=200)
    filters: dict[str, Any] | None = Field(
        None, description="area (id), tags, residency, age_min, age_max, status, tier, …"
    )
    name: str | None = Field(None, max_length=100)
    department: str | None = Field(None, max_length=100)


class ScheduleIn(In):
    schedule: Schedule
    hour: int = Field(8, ge=0, le=23)
    weekday: int = Field(0, ge=0, le=6, description="weekly: 0 = Monday")
    day: int = Field(1, ge=1, le=28, description="monthly: day of the month")


class FillIn(In):
    area: Id | None = Field(None, description="default: the template's area or yours in it")


class ReportFiltersIn(Schema):
    template_id: Id | None = None


def _ref(field: str, get: Any, **kwargs: Any) -> Any:
    try:
        return get(**kwargs)
    except NotFound:
        raise ValidationError({field: [_("No such record in your area.")]}) from None


# --- operations --------------------------------------------------------------------------------


@router.get(
    "/report-fields",
    response={200: CatalogueOut, **WRITE_ERRORS},
    operation_id="report_field_catalogue",
)
def report_field_catalogue(request: SignedInRequest) -> Any:
    """What template columns can be mapped to."""
    return {
        "datasets": [
            {
                "code": d.code,
                "label": str(d.label),
                "fields": [
                    {
                        "code": f.code,
                        "label": str(f.label),
                        "kind": f.kind,
                        "transforms": sorted(catalogue.TRANSFORMS_FOR_KIND[f.kind]),
                    }
                    for f in d.fields
                ],
                "filters": list(d.filters),
            }
            for d in catalogue.DATASETS.values()
        ],
        "transforms": {k: str(v) for k, v in catalogue.TRANSFORMS.items()},
        "date_formats": list(catalogue.DATE_FORMATS),
        "ready_made": {code: b.name for code, b in BUILTINS.items()},
    }


@router.get(
    "/report-templates",
    response={200: list[TemplateOut], **WRITE_ERRORS},
    operation_id="report_template_list",
)
@paginate(Page)
def report_template_list(request: SignedInRequest) -> Any:
    return selectors.template_list_for(user=request.user)


@router.post(
    "/report-templates",
    response={201: TemplateOut, **WRITE_ERRORS},
    operation_id="report_template_upload",
)
def report_template_upload(
    request: SignedInRequest,
    file: File[UploadedFile],
    area: Form[Id],
    dataset: Form[Literal["persons", "watch_entries", "grid_vaccination"]],
    name: Form[str] = "",
    department: Form[str] = "",
) -> Any:
    """Upload a department's XLSX template (at most 5 MB). Its columns get suggested
    fields from their headers; confirm them with `PUT …/mapping`."""
    target = _ref("area", area_get_for, user=request.user, area_id=area)
    template = services.report_template_upload(
        actor=request.user,
        area=target,
        file=file,
        filename=file.name or "",
        dataset=dataset,
        name=name,
        department=department,
    )
    return Status(201, template)


@router.post(
    "/report-templates/ready-made",
    response={201: TemplateOut, **WRITE_ERRORS},
    operation_id="report_template_install",
)
def report_template_install(request: SignedInRequest, payload: ReadyMadeIn) -> Any:
    target = _ref("area", area_get_for, user=request.user, area_id=payload.area)
    template = services.report_template_install(actor=request.user, area=target, code=payload.code)
    return Status(201, template)


@router.get(
    "/report-templates/{template_id}",
    response={200: TemplateOut, **WRITE_ERRORS},
    operation_id="report_template_get",
)
def report_template_get(request: SignedInRequest, template_id: int) -> Any:
    return selectors.template_get_for(user=request.user, template_id=template_id)


@router.put(
    "/report-templates/{template_id}/mapping",
    response={200: TemplateOut, **WRITE_ERRORS},
    operation_id="report_template_map",
)
def report_template_map(
    request: SignedInRequest, template_id: int, payload: TemplateMappingIn
) -> Any:
    """Set every column's field, transform and argument (columns left out stay empty),
    and the filters when given."""
    template = selectors.template_get_for(user=request.user, template_id=template_id)
    return services.report_template_map(
        actor=request.user,
        template=template,
        columns=[c.model_dump() for c in payload.columns],
        filters=payload.filters,
        name=payload.name,
        department=payload.department,
    )


@router.put(
    "/report-templates/{template_id}/schedule",
    response={200: TemplateOut, **WRITE_ERRORS},
    operation_id="report_template_schedule",
)
def report_template_schedule(
    request: SignedInRequest, template_id: int, payload: ScheduleIn
) -> Any:
    template = selectors.template_get_for(user=request.user, template_id=template_id)
    return services.report_template_schedule(
        actor=request.user,
        template=template,
        schedule=payload.schedule,
        hour=payload.hour,
        weekday=payload.weekday,
        day=payload.day,
    )


@router.post(
    "/report-templates/{template_id}/fill",
    response={202: ReportOut, **WRITE_ERRORS},
    operation_id="report_fill",
)
def report_fill(request: SignedInRequest, template_id: int, payload: FillIn | None = None) -> Any:
    """Fill the template now; the worker does it: poll `GET /reports/{id}` until `status`
    is `done`, then download."""
    template = selectors.template_get_for(user=request.user, template_id=template_id)
    area = None
    if payload is not None and payload.area is not None:
        area = _ref("area", area_get_for, user=request.user, area_id=payload.area)
    return Status(202, services.report_request(actor=request.user, template=template, area=area))


@router.get(
    "/reports",
    response={200: list[ReportOut], **WRITE_ERRORS},
    operation_id="report_list",
)
@paginate(Page)
def report_list(request: SignedInRequest, filters: Query[ReportFiltersIn]) -> Any:
    """Filled reports of the caller's area, newest first: the history."""
    template = None
    if filters.template_id is not None:
        template = selectors.template_get_for(user=request.user, template_id=filters.template_id)
    return selectors.report_list_for(user=request.user, template=template)


@router.get(
    "/reports/{report_id}",
    response={200: ReportOut, **WRITE_ERRORS},
    operation_id="report_get",
)
def report_get(request: SignedInRequest, report_id: int) -> Any:
    return selectors.report_get_for(user=request.user, report_id=report_id)


@router.get(
    "/reports/{report_id}/download",
    response={200: bytes, **WRITE_ERRORS},
    operation_id="report_download",
    openapi_extra={"responses": {"200": {"content": {XLSX: {}}}}},
)
def report_download(request: SignedInRequest, report_id: int) -> Any:
    """The filled workbook (XLSX)."""
    report = selectors.report_get_for(user=request.user, report_id=report_id)
    data, filename = services.report_download(actor=request.user, report=report)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response
