"""Writes of the reports module: templates (upload, ready-made, mapping, schedule) and
reports (request, fill, download).

Personal data in a report is masked unless a column asks for the full value *and* the
person the report is filled for (the requester, or for a scheduled report whoever set the
schedule) may reveal it there; such a report is marked, its filling and every download
are audited, and only those who may reveal can download it. Report files are kept
encrypted with the keyring.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, crypto, scope
from gongzhi.core.errors import Forbidden, field_errors
from gongzhi.core.fields import Sealed
from gongzhi.core.identity import age_on
from gongzhi.core.masking import mask_all, mask_name
from gongzhi.core.tabular import MiB, TableFileError, read_table
from gongzhi.core.validation import merge_errors, raise_errors, text_field
from gongzhi.health import uploads
from gongzhi.health.states import EntryStatus, Tier
from gongzhi.registry.choices import ETHNICITIES
from gongzhi.registry.models import Area, AreaKind, Residency, Tag
from gongzhi.reports import catalogue, filling
from gongzhi.reports.builtin import BUILTINS
from gongzhi.reports.catalogue import DATASETS, LABELS_ZH
from gongzhi.reports.datasets import ROWS
from gongzhi.reports.models import Report, ReportStatus, ReportTemplate, Schedule, Trigger
from gongzhi.reports.schedules import next_run

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)

TEMPLATE_MAX_BYTES = 5 * MiB
TEMPLATE_FOLDER = "uploads/report-templates"
REPORT_FOLDER = "reports"
FILE_PURPOSE = "report.file"
NAME_MAX = 100
PERSON_NAME_FIELDS = {"name", "household_head", "grid_worker"}
BIRTH_DATE_FIELDS = {"birth_date"}
STALE_FILLING = dt.timedelta(minutes=30)


def _text(
    errors: dict[str, list[str]], field: str, value: Any, limit: int, required: bool = False
) -> str:
    return text_field(errors, field, value, limit, required=required, one_line=True)


def _read_upload(file: Any) -> bytes:
    """The upload's bytes, refusing (before reading it all) one over the size limit."""
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        parts, size = [], 0
        for chunk in (
            file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(MiB), b"")
        ):
            size += len(chunk)
            if size > TEMPLATE_MAX_BYTES:
                break
            parts.append(chunk)
        if size > TEMPLATE_MAX_BYTES:
            raise TableFileError(
                "too_large",
                _("The file is larger than %(max)s MB; a template is much smaller."),
                {"max": f"{TEMPLATE_MAX_BYTES / MiB:.0f}"},
            )
        data = b"".join(parts)
    if len(data) > TEMPLATE_MAX_BYTES:
        raise TableFileError(
            "too_large",
            _("The file is larger than %(max)s MB; a template is much smaller."),
            {"max": f"{TEMPLATE_MAX_BYTES / MiB:.0f}"},
        )
    return data


def _check_workbook(data: bytes) -> None:
    """An XLSX that is safe to open (size, zip bomb, encryption): tabular's checks."""
    try:
        with read_table(data, filename="template.xlsx", max_bytes=TEMPLATE_MAX_BYTES) as table:
            fmt = table.format
    except TableFileError as exc:
        if exc.code not in ("no_header", "empty"):
            raise
        fmt = "xlsx" if data[:2] == b"PK" else "csv"
    if fmt != "xlsx":
        raise TableFileError(
            "not_xlsx", _("A template is an Excel workbook (.xlsx), not a CSV file.")
        )


_TEMPLATE_ERRORS = {
    "malformed": _("The workbook is damaged; open it in Excel and save it again."),
    "no_sheet": _("The workbook has no visible worksheet."),
    "no_header": _(
        "No header row was found in the first 30 rows: a template needs a row naming at "
        "least two columns (姓名, 身份证号 …)."
    ),
}


def _layout(data: bytes) -> filling.Layout:
    try:
        return filling.analyse(data)
    except filling.TemplateError as exc:
        raise ValidationError(
            {"file": [ValidationError(str(_TEMPLATE_ERRORS[exc.code]), code=exc.code)]}
        ) from None


# --- templates ---------------------------------------------------------------------------------


def _suggested_columns(dataset: str, headers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ds = DATASETS[dataset]
    columns = []
    for header in headers:
        field = catalogue.suggest_field(ds, header["header"])
        columns.append(
            {
                "column": header["column"],
                "field": field,
                "transform": catalogue.suggest_transform(ds.field(field)),
                "arg": "",
            }
        )
    return columns


def _create_template(
    *,
    actor: Actor,
    area: Area,
    data: bytes,
    filename: str,
    name: str,
    department: str,
    dataset: str,
    builtin: str = "",
    columns: list[dict[str, Any]] | None = None,
    filters: dict[str, Any] | None = None,
) -> ReportTemplate:
    layout = _layout(data)
    stored = uploads.store(
        data, folder=TEMPLATE_FOLDER, suffix=".xlsx", max_bytes=TEMPLATE_MAX_BYTES
    )
    try:
        template = ReportTemplate.objects.create(
            area=area,
            area_path=area.path,
            name=name,
            department=department,
            builtin=builtin,
            dataset=dataset,
            filename=filename,
            file_path=stored.path,
            file_size=stored.size,
            file_sha256=stored.sha256,
            sheet=layout.sheet,
            header_row=layout.header_row,
            headers=layout.headers,
            columns=columns if columns is not None else _suggested_columns(dataset, layout.headers),
            filters=filters or {},
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="report_template.create",
            obj=template,
            area_path=area.path,
            fields=["file", "columns"],
        )
    except BaseException:
        uploads.remove(stored.path)
        raise
    return template


def _check_area(errors: dict[str, list[str]], area: Area) -> None:
    if area.kind in (AreaKind.ROOT, AreaKind.BUILDING, AreaKind.COMPOUND):
        errors.setdefault("area", []).append(
            _("A template belongs to a street, a community or a grid.")
        )


@transaction.atomic
def report_template_upload(
    *,
    actor: Actor,
    area: Area,
    file: Any,
    dataset: str,
    name: str = "",
    department: str = "",
    filename: str = "",
) -> ReportTemplate:
    """Keep a department's XLSX template for `area`; its columns get suggested fields
    (from their headers), to be confirmed with `report_template_map`."""
    access.require(actor, Perm.REPORT_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    _check_area(errors, area)
    filename = Path(" ".join(str(filename or getattr(file, "name", "") or "").split())).name[:200]
    name = _text(errors, "name", name or Path(filename).stem, NAME_MAX, required=True)
    department = _text(errors, "department", department, NAME_MAX)
    if dataset not in DATASETS:
        errors.setdefault("dataset", []).append(_("Choose the data the report is filled from."))
    if file is None:
        errors.setdefault("file", []).append(_("Choose the template's file (.xlsx)."))
        raise_errors(errors)
    data = _read_upload(file)
    try:
        _check_workbook(data)
    except ValidationError as exc:
        merge_errors(errors, exc)
    raise_errors(errors)
    return _create_template(
        actor=actor,
        area=area,
        data=data,
        filename=filename or "template.xlsx",
        name=name,
        department=department,
        dataset=dataset,
    )


@transaction.atomic
def report_template_install(*, actor: Actor, area: Area, code: str) -> ReportTemplate:
    """Add one of the ready-made templates (重点人员排查表, 独居老人关爱台账, 疫苗接种统计表)."""
    access.require(actor, Perm.REPORT_MANAGE, area.path)
    errors: dict[str, list[str]] = {}
    _check_area(errors, area)
    builtin = BUILTINS.get(code)
    if builtin is None:
        errors.setdefault("code", []).append(_("Choose one of the ready-made templates."))
    elif ReportTemplate.objects.filter(area=area, builtin=code, is_active=True).exists():
        errors.setdefault("code", []).append(_("This area already has this template."))
    raise_errors(errors)
    assert builtin is not None
    return _create_template(
        actor=actor,
        area=area,
        data=builtin.workbook(),
        filename=f"{builtin.name}.xlsx",
        name=builtin.name,
        department=builtin.department,
        dataset=builtin.dataset,
        builtin=code,
        columns=builtin.mapping(),
        filters=dict(builtin.filters),
    )


def _clean_column(
    errors: dict[str, list[str]], spec: Mapping[str, Any], dataset: catalogue.Dataset, label: str
) -> dict[str, Any]:
    field_code = str(spec.get("field") or "")
    transform = str(spec.get("transform") or "")
    arg = (
        " ".join(str(spec.get("arg") or "").split())
        if transform != "label"
        else str(spec.get("arg") or "").strip()
    )
    problems: list[str] = []
    field = dataset.field(field_code) if field_code else None
    if field_code and field is None:
        problems.append(_("“%(field)s” is not a field of this data.") % {"field": field_code})
    if transform not in catalogue.TRANSFORMS:
        problems.append(_("Unknown transform “%(transform)s”.") % {"transform": transform})
    elif transform == catalogue.CONSTANT:
        if len(arg) > catalogue.CONSTANT_MAX:
            problems.append(
                _("A constant has at most %(max)d characters.") % {"max": catalogue.CONSTANT_MAX}
            )
        field_code = ""
    elif field is not None and transform not in catalogue.TRANSFORMS_FOR_KIND[field.kind]:
        problems.append(
            _("“%(transform)s” does not apply to this field.")
            % {"transform": catalogue.TRANSFORMS[transform]}
        )
    elif field is None and transform:
        problems.append(_("Choose a field for this transform."))
    if transform == catalogue.DATE_FORMAT and arg not in catalogue.DATE_FORMATS:
        problems.append(
            _("Choose a date format: %(formats)s.") % {"formats": ", ".join(catalogue.DATE_FORMATS)}
        )
    if transform == catalogue.PERCENT and arg and not (arg.isdigit() and int(arg) <= 4):
        problems.append(_("Decimals of a percentage: a number from 0 to 4."))
    if transform == catalogue.LABEL and arg and not catalogue.parse_label_map(arg):
        problems.append(_("Write labels as code=label, separated by semicolons."))
    for problem in problems:
        errors.setdefault("columns", []).append(f"{label}: {problem}")
    return {"column": spec.get("column"), "field": field_code, "transform": transform, "arg": arg}


def _clean_filters(
    errors: dict[str, list[str]], filters: Mapping[str, Any], template: ReportTemplate
) -> dict[str, Any]:
    allowed = DATASETS[template.dataset].filters
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value in (None, "", []):
            continue
        if key not in allowed:
            errors.setdefault("filters", []).append(
                _("“%(filter)s” does not filter this data.") % {"filter": key}
            )
            continue
        if key == "area":
            area = Area.objects.filter(pk=value).first() if str(value).isdigit() else None
            if area is None or not area.path.startswith(template.area_path):
                errors.setdefault("filters", []).append(
                    _("The area filter must be inside the template's area.")
                )
            else:
                out[key] = area.pk
        elif key == "tags":
            codes = [str(c) for c in value] if isinstance(value, list | tuple) else [str(value)]
            known = set(Tag.objects.filter(code__in=codes).values_list("code", flat=True))
            if set(codes) - known:
                errors.setdefault("filters", []).append(
                    _("Unknown tag: %(codes)s.") % {"codes": ", ".join(sorted(set(codes) - known))}
                )
            out[key] = sorted(known)
        elif key == "residency":
            codes = [str(c) for c in value] if isinstance(value, list | tuple) else [str(value)]
            if set(codes) - set(Residency.values):
                errors.setdefault("filters", []).append(
                    _("Choose residency statuses from the list.")
                )
            out[key] = codes
        elif key in ("age_min", "age_max", "since_days", "grid_level"):
            limits = {"age_min": (0, 150), "age_max": (0, 150), "since_days": (1, 3650),
                      "grid_level": (1, 3)}[key]  # fmt: skip
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = -1
            if not limits[0] <= number <= limits[1]:
                errors.setdefault("filters", []).append(
                    _("%(filter)s is a whole number from %(min)d to %(max)d.")
                    % {"filter": key, "min": limits[0], "max": limits[1]}
                )
            out[key] = number
        elif key == "status":
            if value not in ("open", *EntryStatus.values):
                errors.setdefault("filters", []).append(_("Choose a status from the list."))
            out[key] = value
        elif key == "tier":
            if value not in Tier.values:
                errors.setdefault("filters", []).append(_("Choose a match from the list."))
            out[key] = value
    if "age_min" in out and "age_max" in out and out["age_min"] > out["age_max"]:
        errors.setdefault("filters", []).append(_("The lowest age is above the highest."))
    return out


@transaction.atomic
def report_template_map(
    *,
    actor: Actor,
    template: ReportTemplate,
    columns: Iterable[Mapping[str, Any]],
    filters: Mapping[str, Any] | None = None,
    name: str | None = None,
    department: str | None = None,
) -> ReportTemplate:
    """Map the template's columns to fields (with transforms) and set its filters.

    `columns`: `{"column": 3, "field": "name", "transform": "", "arg": ""}` per template
    column (by its number); columns left out stay empty in the report.
    """
    template = ReportTemplate.objects.select_for_update().get(pk=template.pk)
    access.require(actor, Perm.REPORT_MANAGE, template.area_path)
    errors: dict[str, list[str]] = {}
    dataset = DATASETS[template.dataset]
    known = {h["column"]: h["header"] for h in template.headers}
    cleaned: dict[int, dict[str, Any]] = {}
    for spec in columns:
        try:
            column = int(spec["column"])
        except (KeyError, TypeError, ValueError):
            column = -1
        if column not in known:
            errors.setdefault("columns", []).append(
                _("Column %(column)s is not a column of the template.")
                % {"column": spec.get("column")}
            )
            continue
        if column in cleaned:
            errors.setdefault("columns", []).append(
                _("Column “%(header)s” is mapped twice.") % {"header": known[column]}
            )
            continue
        cleaned[column] = _clean_column(errors, spec, dataset, known[column])
        cleaned[column]["column"] = column
    if not any(c["field"] or c["transform"] == catalogue.CONSTANT for c in cleaned.values()):
        errors.setdefault("columns", []).append(_("Map at least one column to a field."))
    new_filters = _clean_filters(errors, filters or {}, template) if filters is not None else None
    if name is not None:
        template.name = _text(errors, "name", name, NAME_MAX, required=True)
    if department is not None:
        template.department = _text(errors, "department", department, NAME_MAX)
    raise_errors(errors)
    template.columns = [cleaned[c] for c in sorted(cleaned)]
    if new_filters is not None:
        template.filters = new_filters
    template.version += 1
    template.save()
    audit_record(
        actor=actor,
        action="report_template.map",
        obj=template,
        area_path=template.area_path,
        fields=["columns", "filters"],
    )
    return template


@transaction.atomic
def report_template_schedule(
    *,
    actor: Actor,
    template: ReportTemplate,
    schedule: str,
    hour: int = 8,
    weekday: int = 0,
    day: int = 1,
) -> ReportTemplate:
    """Fill the report every day, week or month at `hour` (local time), or only on demand.
    Scheduled fillings act with the rights of whoever set the schedule."""
    template = ReportTemplate.objects.select_for_update().get(pk=template.pk)
    access.require(actor, Perm.REPORT_MANAGE, template.area_path)
    errors: dict[str, list[str]] = {}
    if schedule not in Schedule.values:
        errors.setdefault("schedule", []).append(_("Choose daily, weekly, monthly or none."))
    for field, value, low, high in (
        ("hour", hour, 0, 23),
        ("weekday", weekday, 0, 6),
        ("day", day, 1, 28),
    ):
        if not isinstance(value, int) or not low <= value <= high:
            errors.setdefault(field, []).append(
                _("A whole number from %(min)d to %(max)d.") % {"min": low, "max": high}
            )
    raise_errors(errors)
    template.schedule = schedule
    template.schedule_hour, template.schedule_weekday, template.schedule_day = hour, weekday, day
    template.schedule_owner = actor if schedule else None
    template.next_run_at = next_run(
        schedule, hour=hour, weekday=weekday, day=day, after=clock.now()
    )
    template.save()
    audit_record(
        actor=actor,
        action="report_template.schedule",
        obj=template,
        area_path=template.area_path,
        fields=["schedule"],
    )
    return template


# --- reports -----------------------------------------------------------------------------------


def _fill_areas(actor: Actor, template: ReportTemplate) -> list[str]:
    return access.paths_within(actor, Perm.REPORT_VIEW, template.area_path)


@transaction.atomic
def report_request(*, actor: Actor, template: ReportTemplate, area: Area | None = None) -> Report:
    """Queue a filling of the template for `area` (default: the template's area, or the
    requester's own area inside it). The worker fills it; see `report_fill`."""
    errors: dict[str, list[str]] = {}
    if actor is not None:
        allowed = _fill_areas(actor, template)
        if not allowed:
            raise Forbidden()
        if area is None:
            area = Area.objects.filter(path=allowed[0]).first()
        elif area.path not in allowed and not scope.within(area.path, allowed):
            errors.setdefault("area", []).append(
                _("Choose an area of the template that is in your area.")
            )
    elif area is None:
        area = template.area
    elif not area.path.startswith(template.area_path):
        errors.setdefault("area", []).append(_("The area must be inside the template's area."))
    raise_errors(errors)
    assert area is not None
    report = Report.objects.create(
        template=template,
        area=area,
        area_path=area.path,
        trigger=Trigger.MANUAL,
        requested_by=actor,
        as_of=clock.today(),
        template_version=template.version,
    )
    audit_record(
        actor=actor, action="report.request", obj=report, area_path=area.path, fields=["template"]
    )
    report_id = report.pk

    def enqueue() -> None:
        from gongzhi.reports.tasks import fill_report

        fill_report.enqueue(report_id)

    transaction.on_commit(enqueue)
    return report


def _claim(report_id: int) -> Report | None:
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            return None
        stale = report.status == ReportStatus.FILLING and (
            clock.now() - report.updated_at > STALE_FILLING
        )
        if report.status != ReportStatus.QUEUED and not stale:
            return None
        report.status = ReportStatus.FILLING
        report.save(update_fields=["status", "updated_at"])
    return report


def report_fill(*, report_id: int) -> Report:
    """Fill a queued report (the worker's job; safe to run twice): rows from the register,
    written into the template, kept encrypted. A failure marks the report failed."""
    report = _claim(report_id)
    if report is None:
        return Report.objects.get(pk=report_id)
    try:
        with transaction.atomic():
            _fill(report)
    except Exception as exc:
        if not isinstance(exc, ValidationError):
            logger.exception("filling report %s failed", report_id)
            errors = {"__all__": [_("The filling stopped with an error (%(error)s).")
                                  % {"error": type(exc).__name__}]}  # fmt: skip
        else:
            errors = field_errors(exc)
        Report.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED, errors=errors, updated_at=clock.now()
        )
    return Report.objects.get(pk=report_id)


def _labels(field: str) -> dict[str, str]:
    if field == "ethnicity":
        with translation.override("zh-hans"):
            return {code: str(label) for code, label in ETHNICITIES}
    return LABELS_ZH.get(field, {})


def _cell(
    spec: Mapping[str, Any],
    row: Mapping[str, Any],
    index: int,
    *,
    as_of: dt.date,
    may_reveal: bool,
    dataset: catalogue.Dataset,
) -> filling.Cell:
    transform, arg, code = spec["transform"], spec["arg"], spec["field"]
    if transform == catalogue.CONSTANT:
        return filling.Cell(arg)
    field = dataset.field(code) if code else None
    if field is None:
        return filling.Cell(None)
    if field.kind == catalogue.SEQUENCE:
        return filling.Cell(None if row.get("_total") else index + 1)
    value = row.get(code)
    kind = field.kind
    if value is None or value == "":
        return filling.Cell(None)
    if kind == catalogue.SENSITIVE:
        if isinstance(value, Sealed):
            return filling.Cell(
                value.reveal() if transform == catalogue.FULL and may_reveal else value.masked
            )
        return filling.Cell(str(value))
    if kind == catalogue.TEXT:
        if transform == catalogue.MASK:
            return filling.Cell(mask_name(value) if code in PERSON_NAME_FIELDS else mask_all(value))
        return filling.Cell(value)
    if kind in (catalogue.CODE, catalogue.BOOL):
        key = str(value).lower() if kind == catalogue.BOOL else str(value)
        custom = catalogue.parse_label_map(arg) if transform == catalogue.LABEL else {}
        return filling.Cell(custom.get(key) or _labels(code).get(key, key))
    if kind == catalogue.DATE:
        if transform == catalogue.AGE:
            return filling.Cell(age_on(value, as_of))
        if code in BIRTH_DATE_FIELDS and not may_reveal:
            # Beside a masked ID number a birth date is a reveal: the year only (registry.policy).
            return filling.Cell(value.year)
        if transform == catalogue.DATE_FORMAT:
            pattern = catalogue.DATE_FORMATS[arg]
            if "{" in pattern:
                return filling.Cell(
                    pattern.format(year=value.year, month=value.month, day=value.day)
                )
            return filling.Cell(value.strftime(pattern))
        return filling.Cell(value, "yyyy-mm-dd")
    if kind == catalogue.RATIO:
        if transform == catalogue.PERCENT:
            decimals = int(arg) if arg else 1
            return filling.Cell(
                round(value, decimals + 2), "0" + ("." + "0" * decimals if decimals else "") + "%"
            )
        return filling.Cell(value)
    return filling.Cell(value)


def _seal(data: bytes) -> bytes:
    return crypto.encrypt(base64.b64encode(data).decode("ascii"), FILE_PURPOSE).encode("ascii")


def _unseal(token: bytes) -> bytes:
    return base64.b64decode(crypto.decrypt(token.decode("ascii"), FILE_PURPOSE))


def _date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _fill(report: Report) -> None:
    template = report.template
    dataset = DATASETS[template.dataset]
    area: Area | None = report.area
    filters = dict(template.filters or {})
    filter_area = Area.objects.filter(pk=filters.pop("area", None)).first()
    notes: list[str] = []
    if filter_area is not None:
        if filter_area.path.startswith(report.area.path):
            area = filter_area
        elif not report.area.path.startswith(filter_area.path):
            notes.append(_("The template's area filter lies outside this report's area."))
            area = None
    filler = report.requested_by or template.schedule_owner
    may_reveal = filler is not None and access.can(filler, Perm.REGISTER_REVEAL, report.area_path)
    columns = [c for c in template.columns if c["field"] or c["transform"] == catalogue.CONSTANT]
    wants_full = [c["field"] for c in columns if c["transform"] == catalogue.FULL]
    if wants_full and not may_reveal:
        notes.append(
            _(
                "Full ID numbers and phones were masked: the report is filled for someone who may not reveal them here."
            )
        )
    rows = ROWS[template.dataset](area=area, filters=filters, as_of=report.as_of) if area else []
    cells = (
        [
            _cell(spec, row, index, as_of=report.as_of, may_reveal=may_reveal, dataset=dataset)
            for spec in columns
        ]
        for index, row in enumerate(rows)
    )
    data, count = filling.fill(
        uploads.read(template.file_path),
        sheet=template.sheet,
        header_row=template.header_row,
        columns=[c["column"] for c in columns],
        rows=cells,
        placeholders={
            "区域": report.area.name,
            "日期": _date_zh(report.as_of),
            "模板": template.name,
        },
    )
    stored = uploads.store(
        _seal(data), folder=REPORT_FOLDER, suffix=".xlsx.sealed", max_bytes=1024 * MiB
    )
    try:
        report.file_path = stored.path
        report.file_size = len(data)
        report.rows = count
        report.full_values = bool(wants_full and may_reveal)
        report.notes = notes
        report.errors = {}
        report.status = ReportStatus.DONE
        report.filled_at = clock.now()
        report.save()
        audit_record(
            actor=filler,
            action="report.fill",
            obj=report,
            object_label=f"{template.name} · {report.area.name}",
            area_path=report.area_path,
            fields=sorted(set(wants_full)) if report.full_values else ["rows"],
            purpose=system_purpose("report_fill", name=template.name, rows=count),
        )
    except BaseException:
        uploads.remove(stored.path)
        raise


def report_download(*, actor: Actor, report: Report) -> tuple[bytes, str]:
    """The filled workbook and its file name. A report holding full ID numbers or phones
    is given only to those who may reveal them in its area; every download is audited."""
    access.require(actor, Perm.REPORT_VIEW, report.area_path)
    if report.full_values:
        access.require(actor, Perm.REGISTER_REVEAL, report.area_path)
    if report.status != ReportStatus.DONE or not report.file_path:
        raise ValidationError({"status": [_("This report has not been filled (yet).")]})
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="report.download",
            obj=report,
            object_label=f"{report.template.name} · {report.area.name}",
            area_path=report.area_path,
            fields=["file"],
        )
    data = _unseal(uploads.read(report.file_path))
    filename = f"{report.template.name}_{report.area.name}_{report.as_of:%Y%m%d}.xlsx"
    return data, filename


def reports_fill_due(*, now: dt.datetime | None = None) -> int:
    """Fill every template whose schedule is due (the periodic job; safe to run twice:
    each due template is claimed under a row lock and moved to its next slot)."""
    now = now or clock.now()
    due = list(
        ReportTemplate.objects.filter(is_active=True, next_run_at__lte=now)
        .exclude(schedule="")
        .values_list("pk", flat=True)
    )
    filled = 0
    for template_id in due:
        with transaction.atomic():
            template = (
                ReportTemplate.objects.select_for_update(skip_locked=True)
                .filter(pk=template_id, is_active=True, next_run_at__lte=now)
                .select_related("area")
                .first()
            )
            if template is None:
                continue
            report = Report.objects.create(
                template=template,
                area=template.area,
                area_path=template.area_path,
                trigger=Trigger.SCHEDULE,
                as_of=timezone.localdate(now),
                template_version=template.version,
            )
            template.next_run_at = next_run(
                template.schedule,
                hour=template.schedule_hour,
                weekday=template.schedule_weekday,
                day=template.schedule_day,
                after=now,
            )
            template.save(update_fields=["next_run_at", "updated_at"])
            audit_record(
                actor=None,
                action="report.schedule_run",
                obj=report,
                area_path=template.area_path,
                fields=["template"],
            )
        report_fill(report_id=report.pk)
        filled += 1
    return filled
