"""Workbench pages for imports: the list, the upload, the preview (mapping → check →
problems → import, with a progress bar while the worker runs), the error report, and the
merge proposals for duplicate persons. Thin: selectors read, services write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import tabular
from gongzhi.core.errors import field_errors
from gongzhi.imports import exports, selectors, services
from gongzhi.imports.engine import NOTE_CODES
from gongzhi.imports.forms import (
    CommitForm,
    MappingForm,
    MergeForm,
    OutcomeFilterForm,
    UploadForm,
)
from gongzhi.imports.mapping import BY_NAME, column_labels, field_label
from gongzhi.imports.models import ImportBatch, ImportOutcome, ImportStatus
from gongzhi.registry import selectors as registry_selectors
from gongzhi.registry import services as registry_services

PAGE_SIZE = 50
OUTCOME_LABELS = dict(ImportOutcome.choices)
OUTCOME_BADGES = {
    "created": "bg-green-lt",
    "updated": "bg-blue-lt",
    "unchanged": "bg-secondary-lt",
    "error": "bg-red-lt",
}


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for name, problems in field_errors(exc).items():
        target = name if name in form.fields else None
        for message in problems:
            form.add_error(target, message)


# --- list ------------------------------------------------------------------------------------


@requires(Perm.IMPORT_RUN)
def batch_list(request: SignedInRequest) -> HttpResponseBase:
    batches = selectors.import_list_for(user=request.user)
    if request.GET.get("export"):
        return exports.export_response(request, exports.IMPORTS, batches)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/list.html",
        {"page_obj": page, "can_merge": access.can(request.user, Perm.REGISTER_EDIT)},
    )


# --- upload ------------------------------------------------------------------------------------


class _SizeLimit(FileUploadHandler):
    """Stop reading an upload as soon as it passes the import size limit, rather than
    spooling a huge file to disk first (the form then says it is too large)."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # the upload handler must be set before CSRF reads the body: checked below
@requires(Perm.IMPORT_RUN)
@require_http_methods(["GET", "POST"])
def upload(request: SignedInRequest) -> HttpResponse:
    limit = _SizeLimit(request, services.max_bytes())
    request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


@csrf_protect
def _upload(request: SignedInRequest, limit: _SizeLimit) -> HttpResponse:
    communities = services.import_communities_for(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, communities=communities)
    if limit.exceeded:
        form = UploadForm(data={}, files={}, communities=communities)
        form.is_valid()
        form.errors["file"] = form.error_class(
            [
                _("The file is larger than %(max)s MB; split it into smaller files.")
                % {"max": f"{services.max_bytes() / tabular.MiB:.1f}".removesuffix(".0")}
            ]
        )
    elif request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("community")
        community = next((c for c in communities if c.pk == chosen), None)
        upload_file = form.cleaned_data["file"]
        try:
            batch = services.import_upload(
                actor=request.user, file=upload_file, filename=upload_file.name, community=community
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("imports:detail", import_id=batch.pk)
    return render(
        request,
        "imports/upload.html",
        {"form": form, "max_mb": services.max_bytes() // tabular.MiB},
    )


# --- one import --------------------------------------------------------------------------------


class _LazyRows:
    """Outcomes for the paginator without holding a million rows: count from the batch,
    slice by iterating the chunks."""

    def __init__(self, batch: ImportBatch, only: str, count: int):
        self.batch, self.only, self._count = batch, only, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return _iter_rows(self.batch, self.only)

    @overload
    def __getitem__(self, item: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, item: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, item: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(item, int):  # the paginator slices; one row, for completeness
            if not 0 <= item < self._count:
                raise IndexError(item)
            return self[item : item + 1][0]
        start, stop = item.start or 0, item.stop or self._count
        out = []
        for index, row in enumerate(_iter_rows(self.batch, self.only)):
            if index >= stop:
                break
            if index >= start:
                out.append(row)
        return out


def _iter_rows(batch: ImportBatch, only: str) -> Iterator[dict[str, Any]]:
    # Messages name the file's own columns (手机号, 公民身份号码), as the user knows them.
    labels = column_labels(batch.mapping, list(batch.header))
    for outcome in services.import_outcomes(batch, only=only):
        number, code, person_id, details = outcome
        problems: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        changed: list[str] = []
        for item in details or []:
            if isinstance(item, list):
                entry = {"field": field_label(item[0], labels), "message": item[2]}
                if code == "error":
                    problems.append(entry)
                elif item[1] in NOTE_CODES:
                    notes.append(entry)
                else:
                    warnings.append(entry)
            else:
                changed.append(str(BY_NAME[item].label) if item in BY_NAME else item)
        yield {
            "row": number,
            "outcome": code,
            "label": OUTCOME_LABELS.get(code, code),
            "badge": OUTCOME_BADGES.get(code, ""),
            "person_id": person_id,
            "problems": problems,
            "warnings": warnings,
            "notes": notes,
            "changed": changed,
        }


def _count_for(batch: ImportBatch, only: str) -> int:
    return {
        "": batch.rows_total,
        "created": batch.rows_created,
        "updated": batch.rows_updated,
        "unchanged": batch.rows_unchanged,
        "error": batch.rows_failed,
        "warning": batch.rows_warned,
    }.get(only, batch.rows_total)


def _context(request: SignedInRequest, batch: ImportBatch, form: Any = None) -> dict[str, Any]:
    progress = services.progress_of(batch)
    total = progress.get("total") or 0
    percent = int(100 * progress["rows"] / total) if total else None
    filters = OutcomeFilterForm(request.GET or None)
    only = filters.cleaned_data["only"] if filters.is_valid() else ""
    has_rows = batch.status in (ImportStatus.CHECKED, ImportStatus.COMMITTED)
    page: Page[dict[str, Any]] | None = None
    if has_rows:
        rows = _LazyRows(batch, only, _count_for(batch, only))
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # A failed phase wrote nothing: the columns may still change.
    editable = batch.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)
    mapping_form = form or MappingForm(header=batch.header, mapping=batch.mapping)
    columns = {v: k for k, v in batch.mapping.items()}
    places = batch.places or {}
    same_file = selectors.import_same_file(batch)
    return {
        "places": places,
        "new_buildings": places.get("new") or [],
        "new_building_count": len(places.get("new") or []),
        "new_building_rows": sum(b["rows"] for b in places.get("new") or []),
        "grids": places.get("grids") or [],
        # "Nothing would change" only when the check found nothing to change: the same
        # bytes may meet a register changed since, or another mapping.
        "same_file_unchanged": bool(
            same_file
            and batch.status == ImportStatus.CHECKED
            and not (batch.rows_created or batch.rows_updated or places.get("new"))
        ),
        "batch": batch,
        "progress": progress,
        "percent": percent,
        "running": progress["running"],
        "stalled": progress["stalled"],
        "form": mapping_form,
        "editable": editable,
        "filters": filters,
        "page_obj": page,
        "sample_header": [
            {"name": name, "field": BY_NAME[columns[i]].label if i in columns else None}
            for i, name in enumerate(batch.header)
        ],
        "same_file": same_file,
        "can_commit": batch.status == ImportStatus.CHECKED
        and (batch.rows_total > batch.rows_failed or bool(places.get("new"))),
        "can_retry": progress["stalled"] or batch.status == ImportStatus.FAILED,
        "export_formats": exports.EXPORT_FORMATS,
        "step": _step(batch),
    }


def _step(batch: ImportBatch) -> int:
    """The step of upload → columns → check → import the batch is at (see _steps.html)."""
    if batch.status == ImportStatus.UPLOADED:
        return 2
    if batch.status == ImportStatus.CHECKING:
        return 3
    if batch.status == ImportStatus.FAILED:
        return 4 if batch.phase == "commit" else 2
    return 4


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: SignedInRequest, import_id: int) -> HttpResponseBase:
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    if request.method == "GET" and request.GET.get("export"):
        return _export_outcomes(request, batch)
    form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("check", "mapping"):
                form = MappingForm(request.POST, header=batch.header, mapping=batch.mapping)
                if form.is_valid():
                    batch = services.import_set_mapping(
                        actor=request.user, batch=batch, mapping=form.mapping()
                    )
                    if action == "check":
                        services.import_request(actor=request.user, batch=batch, phase="check")
                    return redirect("imports:detail", import_id=batch.pk)
            elif action in ("commit", "retry"):
                phase = "commit" if action == "commit" or batch.phase == "commit" else "check"
                confirm = CommitForm(request.POST)
                confirm.is_valid()
                choice = confirm.cleaned_data.get("grid")
                grid = next(
                    (
                        g
                        for g in services.building_parents(batch.community, batch.scope_paths)
                        if g.pk == choice
                    ),
                    None,
                )
                services.import_request(
                    actor=request.user,
                    batch=batch,
                    phase=phase,
                    create_buildings=bool(confirm.cleaned_data.get("create_buildings"))
                    if action == "commit"
                    else batch.create_buildings,
                    grid=grid if action == "commit" else batch.building_grid,
                )
                return redirect("imports:detail", import_id=batch.pk)
            else:
                messages.error(request, _("Choose what to do with the file."))
        except ValidationError as exc:
            if form is not None:
                _apply_errors(form, exc)
            else:
                for problems in field_errors(exc).values():
                    for message in problems:
                        messages.error(request, message)
        batch.refresh_from_db()
    context = _context(request, batch, form)
    if request.htmx and request.htmx.target == "import-progress":
        response = render(request, "imports/_progress.html", context)
        if not context["running"]:
            response["HX-Refresh"] = "true"  # the phase ended: show its outcome
        return response
    return render(request, "imports/detail.html", context)


def _export_outcomes(request: SignedInRequest, batch: ImportBatch) -> HttpResponseBase:
    """The row-by-row table of the page (same outcome filter), every page: what the check
    found or the import did. Field names and rules only, no personal values."""
    filters = OutcomeFilterForm(request.GET)
    only = filters.cleaned_data["only"] if filters.is_valid() else ""
    has_rows = batch.status in (ImportStatus.CHECKED, ImportStatus.COMMITTED)
    stem = batch.filename.rsplit(".", 1)[0]
    return exports.export_response(
        request,
        exports.IMPORT_ROWS,
        _iter_rows(batch, only) if has_rows else [],
        filters={"only": only},
        filename=_("%(file)s - rows") % {"file": stem},
        object_id=batch.pk,
    )


@login_required
def report(request: SignedInRequest, import_id: int) -> HttpResponseBase:
    """The rows with problems, as in the file (ID numbers and phones masked), with an
    error column: fix them in the original file by row number and import it again."""
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    only = "warning" if request.GET.get("rows") == "warning" else "error"
    header, rows = services.import_error_report(batch, only=only)
    stem = batch.filename.rsplit(".", 1)[0]
    name = _("%(file)s - to correct") if only == "warning" else _("%(file)s - problems")
    return exports.export_response(
        request,
        exports.IMPORT_PROBLEMS,
        rows,
        header=header,
        fmt=exports.requested_format(request) or "xlsx",
        filename=name % {"file": stem},
        object_id=batch.pk,
    )


# --- duplicates ---------------------------------------------------------------------------------


@requires(Perm.REGISTER_EDIT)
def duplicates(request: SignedInRequest) -> HttpResponse:
    groups = registry_selectors.person_duplicates_for(user=request.user)
    return render(request, "imports/duplicates.html", {"groups": groups})


@requires(Perm.REGISTER_EDIT)
@require_POST
def merge(request: SignedInRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the record to keep and the one to merge into it."))
        return redirect("imports:duplicates")
    data = form.cleaned_data
    keep = registry_selectors.person_get_for(
        user=request.user, person_id=data["keep"], perm=Perm.REGISTER_EDIT
    )
    other = registry_selectors.person_get_for(
        user=request.user, person_id=data["merge"], perm=Perm.REGISTER_EDIT
    )
    try:
        registry_services.person_merge(
            actor=request.user, keep=keep, merge=other, note=data["note"] or ""
        )
    except ValidationError as exc:
        for problems in field_errors(exc).values():
            for message in problems:
                messages.error(request, message)
    else:
        messages.success(
            request, _("The two records of %(name)s are one now.") % {"name": keep.name}
        )
    return redirect("imports:duplicates")
