"""Every list download of the workbench, the portal and the API: declared once, audited
always.

A list that can be downloaded declares it once, next to its views (`<app>/exports.py`):

    PERSONS = Export(
        name="registry.persons",            # unique; the audit entry's label
        filename=_("persons"),              # the download's name (translated)
        object_type="registry.person",      # what one row is
        sensitivity=Sensitivity.PERSONAL,
        scope_perms=(Perm.REGISTER_VIEW,),  # the exporter's area goes on the audit entry
        columns=(
            Column(pgettext_lazy("person", "Name"), lambda p: p.name),
            Column(_("Resident ID number"), lambda p: str(p.id_number)),  # masked
            ...
        ),
    )

and its view answers `?export=xlsx|csv|csv-gbk` with the page's own scoped, filtered
selector result:

    if request.GET.get("export"):
        return export_response(request, PERSONS, people, filters=filters)

`export_response` is the only way to make a download of a list: it writes the file
(rows read in batches, so memory stays flat for any length; every text cell through
`core.tabular.safe_cell`), then records exactly one audit entry — action `export`, the
rows' object type, the declaration's name, the format, the number of rows, the
sensitivity and the KINDS of filters used (`q:id_number`, `status`, `area` …), never their
values — and only then answers. Nothing leaves without its entry. A test walks every
declaration (`tests/test_exports_audited.py`) and another finds any other code that
builds a spreadsheet download.

Values are masked by the column getters as on screen (a `Sealed` value prints its mask).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import io
import os
import pickle
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.audit import vocabulary
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, crypto, identity, scope
from gongzhi.core import context as request_context
from gongzhi.core.errors import NotFound
from gongzhi.core.tabular import csv_chunks, write_xlsx
from gongzhi.web.models import ExportJob, ExportStatus

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Viewer

T = TypeVar("T")

EXPORT_FORMATS = ("xlsx", "csv", "csv-gbk")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION = "export"
# Filters holding free text typed by the user: recorded as the kind of text, not the text.
SEARCH_FILTERS = frozenset({"q", "search", "query", "term"})


class Sensitivity(enum.StrEnum):
    """What the rows hold, for the audit entry (PIPL art. 28 names the sensitive kinds)."""

    NONE = "none"  # no personal information: templates, lists of lists, counts
    PERSONAL = "personal"  # names, addresses, masked ID numbers and phones
    SENSITIVE = "sensitive"  # health status, whereabouts, … of identified persons


@dataclasses.dataclass(frozen=True)
class Column(Generic[T]):
    """One column: its header and the value of a row, as the viewer may see it (masked)."""

    header: str | Promise
    value: Callable[[T], Any]


@dataclasses.dataclass(frozen=True)
class ExportContext:
    """What a `prepare` hook may need besides the rows: who exports, and when."""

    request: HttpRequest
    user: User
    now: dt.datetime
    today: dt.date


_DECLARED: dict[str, Export[Any]] = {}


@dataclasses.dataclass(frozen=True, eq=False)
class Export(Generic[T]):
    """A downloadable list.

    `columns` empty means the rows come already shaped (lists of cells) and the header is
    given at the call: for a table whose columns are the uploaded file's own (an import's
    problem rows); those rows must be masked by the service that makes them.

    `prepare(batch, context)` runs on each batch of rows before the columns read them: to
    add counts or prefetch in one query per batch, or to mark on each row what the viewer
    may see. It returns the rows the columns read.
    """

    name: str
    filename: str | Promise
    object_type: str
    sensitivity: Sensitivity
    columns: tuple[Column[Any], ...] = ()
    scope_perms: tuple[Perm, ...] = ()
    prepare: Callable[[list[Any], ExportContext], Iterable[Any]] | None = None
    batch: int = 1000

    def __post_init__(self) -> None:
        if self.name in _DECLARED:
            raise ValueError(f"export {self.name!r} is declared twice")
        _DECLARED[self.name] = self
        vocabulary.EXPORT_NAMES[self.name] = self.filename  # how the audit log names it


def declared() -> dict[str, Export[Any]]:
    """Every declaration made so far (import the apps' `exports` modules first)."""
    return dict(_DECLARED)


def requested_format(request: HttpRequest) -> str | None:
    """`?export=` (the shared export control; `?format=` on older links), or None."""
    return request.GET.get("export") or request.GET.get("format") or None


def export_format(value: str | None) -> str:
    """A requested export format, checked: "xlsx", "csv" or "csv-gbk" (400 otherwise)."""
    fmt = (value or "xlsx").lower()
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"unknown export format {value!r}")
    return fmt


def export_response(
    request: SignedInRequest,
    export: Export[T],
    rows: Iterable[T],
    *,
    filters: Any = None,
    fmt: str | None = None,
    header: Sequence[Any] | None = None,
    filename: str | None = None,
    object_id: str | int = "",
) -> HttpResponseBase:
    """The download of `rows` as `export` declares it, in the requested format (`fmt`, else
    `?export=` / `?format=`; unknown is a 400), audited with one entry.

    `rows` is what the page lists (its selector's scoped, filtered queryset, or a list);
    `filters` (a mapping or a dataclass) is what the page was filtered by: only the names
    of the filters that are set reach the audit entry, and a search term only as its kind.
    `object_id` names the one object whose rows these are (an import's rows: the import).

    A queryset of GONGZHI_EXPORT_BACKGROUND_ROWS rows or more is written by the worker
    instead (`export_job_queue`): the answer is then the job's page, which shows progress
    and the download once it is ready. The API always answers with the file.
    """
    fmt = export_format(fmt if fmt is not None else requested_format(request))
    if export.name not in _DECLARED or _DECLARED[export.name] is not export:
        raise ValueError(f"export {export.name!r} is not declared")
    if bool(export.columns) == (header is not None):
        raise ValueError("give a header only for an export that declares no columns")
    names = [c.header for c in export.columns] if header is None else list(header)
    stem = _stem(filename if filename is not None else str(export.filename))
    if isinstance(rows, QuerySet) and not request.path.startswith("/api/"):
        threshold = background_rows()
        if threshold and rows.count() >= threshold:
            job = export_job_queue(
                request, export, rows, fmt=fmt, filters=filters, header=header,
                stem=stem, object_id=object_id,
            )  # fmt: skip
            url = reverse("web:export_job", args=[job.pk])
            if getattr(request, "htmx", False):
                moved = HttpResponse(status=204)
                moved["HX-Redirect"] = url
                return moved
            return HttpResponseRedirect(url)
    context = ExportContext(
        request=request, user=request.user, now=clock.now(), today=clock.today()
    )
    counted = _Counter(_cells(export, rows, context))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        content_type, extension = _write(spool, fmt, names, counted, stem)
        _audit(
            user=request.user,
            export=export,
            fmt=fmt,
            count=counted.count,
            kinds=filter_kinds(filters),
            object_id=object_id,
        )
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _file_response(spool, f"{stem}.{extension}", content_type)


def _write(
    spool: Any, fmt: str, names: Sequence[Any], rows: Iterable[Sequence[Any]], stem: str
) -> tuple[str, str]:
    """Write the table into `spool`; its content type and extension."""
    if fmt == "xlsx":
        write_xlsx(spool, names, rows, sheet_title=stem)
        return XLSX_TYPE, "xlsx"
    encoding = "gb18030" if fmt == "csv-gbk" else "utf-8-sig"
    for chunk in csv_chunks(names, rows, encoding):
        spool.write(chunk)
    charset = "gb18030" if fmt == "csv-gbk" else "utf-8"
    return f"text/csv; charset={charset}", "csv"


def _audit(
    *,
    user: Any,
    export: Export[Any],
    fmt: str,
    count: int,
    kinds: list[str],
    object_id: str | int,
) -> None:
    """The export's one audit entry: what, how many rows, the kinds of filters."""
    audit_record(
        actor=user,
        action=ACTION,
        object_type=export.object_type,
        object_id=object_id,
        object_label=export.name,
        area_path=_area_path(user, export.scope_perms),
        fields=kinds,
        purpose=system_purpose("export", fmt=fmt, rows=count, sensitivity=export.sensitivity.value),
    )


def _file_response(stream: Any, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        stream, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- what the audit entry says about the filters ------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTERS = re.compile(r"^[A-Za-z][A-Za-z\s'·.-]*$")


def search_kind(text: str) -> str:
    """What a search term is, never what it says: id_number, phone, digits, name, pinyin
    or text."""
    digits = identity.normalize_digits(str(text))
    if re.fullmatch(r"\d{17}[\dX]", digits):
        return "id_number"
    if re.fullmatch(r"\+?\d{7,14}", digits):
        return "phone"
    if any(ch.isdigit() for ch in digits):
        return "digits"
    if _CJK.search(str(text)):
        return "name"
    if _LETTERS.match(str(text).strip()):
        return "pinyin"
    return "text"


def filter_kinds(filters: Any) -> list[str]:
    """The names of the filters that are set (`status`, `area_id` …); a search term as
    `q:<kind>`. No value is ever returned."""
    if filters is None:
        return []
    if dataclasses.is_dataclass(filters) and not isinstance(filters, type):
        filters = {f.name: getattr(filters, f.name) for f in dataclasses.fields(filters)}
    if not isinstance(filters, Mapping):
        raise TypeError("filters must be a mapping or a dataclass")
    kinds = []
    for key, value in filters.items():
        if value in (None, "", False) or (isinstance(value, (list, tuple, set)) and not value):
            continue
        kinds.append(f"{key}:{search_kind(value)}" if key in SEARCH_FILTERS else str(key))
    return sorted(kinds)


def _area_path(user: Viewer, perms: tuple[Perm, ...]) -> str:
    """The lowest area holding all the exporter's areas for these permissions, so that
    auditors of that area see the entry; "" (root auditors only) when there is none."""
    paths = [p for perm in perms for p in access.paths(user, perm)]
    if not paths:
        return ""
    common = min(paths)
    for path in paths:
        while not path.startswith(common):
            common = common[: -scope.STEP]
    return common


# --- writing ------------------------------------------------------------------------------------


class _Counter:
    """The rows, counted as the writer takes them (told to `progress` every `every`)."""

    def __init__(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        every: int = 0,
        progress: Callable[[int], None] | None = None,
    ):
        self._rows = rows
        self.count = 0
        self._every = every
        self._progress = progress

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self._rows:
            self.count += 1
            if self._progress and self._every and self.count % self._every == 0:
                self._progress(self.count)
            yield row


def _batches(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=size)
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cells(export: Export[T], rows: Iterable[T], context: ExportContext) -> Iterator[Sequence[Any]]:
    getters = [c.value for c in export.columns]
    for batch in _batches(rows, export.batch):
        prepared = export.prepare(batch, context) if export.prepare else batch
        for row in prepared:
            yield [get(row) for get in getters] if getters else row  # type: ignore[misc]


def _stem(filename: str) -> str:
    stem = re.sub(r"\.(xlsx|csv)$", "", filename, flags=re.IGNORECASE) or "export"
    return re.sub(r"[\\/:*?\"<>|\r\n]", "_", stem)


# --- long exports, written by the worker ---------------------------------------------------------

JOB_FILE_PURPOSE = "export.file"
JOB_QUERY_PURPOSE = "export.query"
JOB_FOLDER = "exports"


def background_rows() -> int:
    """From this many rows on, a list is written by the worker (0: never)."""
    return int(getattr(settings, "GONGZHI_EXPORT_BACKGROUND_ROWS", 5000))


def _keep() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "GONGZHI_EXPORT_KEEP_MINUTES", 60)))


def _seal(data: bytes, purpose: str) -> str:
    return crypto.encrypt(base64.b64encode(data).decode("ascii"), purpose)


def _unseal(token: str, purpose: str) -> bytes:
    return base64.b64decode(crypto.decrypt(token, purpose))


def _job_dir() -> Path:
    folder = Path(settings.DATA_DIR) / JOB_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def export_job_queue(
    request: SignedInRequest,
    export: Export[Any],
    rows: QuerySet[Any],
    *,
    fmt: str,
    filters: Any = None,
    header: Sequence[Any] | None = None,
    stem: str,
    object_id: str | int = "",
) -> ExportJob:
    """Hand `rows` (the page's scoped, filtered queryset) to the worker for the user who
    asked. The query is kept sealed: a search term in it is a personal value."""
    query = pickle.dumps(
        {
            "model": rows.model._meta.label,
            "query": rows.query,
            "prefetch": list(getattr(rows, "_prefetch_related_lookups", ())),
        }
    )
    job = ExportJob.objects.create(
        user=request.user,
        export=export.name,
        fmt=fmt,
        total=rows.count(),
        query=_seal(query, JOB_QUERY_PURPOSE),
        filters=filter_kinds(filters),
        object_id=str(object_id),
        filename=stem,
        header=[str(h) for h in header] if header is not None else [],
        host=request.get_host(),
        secure=request.is_secure(),
        language=translation.get_language() or "",
        ip=request_context.current().ip,
        created_at=clock.now(),
    )
    job_id = job.pk

    def enqueue() -> None:
        from gongzhi.web.tasks import run_export

        run_export.enqueue(job_id)

    transaction.on_commit(enqueue)
    return job


def _claim(job_id: int) -> ExportJob | None:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    return ExportJob.objects.select_related("user").get(pk=job_id) if claimed else None


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the job's file (the worker's task; safe to run twice: a job that is not
    waiting is left alone). Progress is saved as the rows are written; the audit entry
    is recorded with the file, as for a download made on the spot."""
    job = _claim(job_id)
    if job is None:
        return ExportJob.objects.get(pk=job_id)
    autodiscover_modules("exports")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    try:
        export = _DECLARED[job.export]
        saved = pickle.loads(_unseal(job.query, JOB_QUERY_PURPOSE))  # noqa: S301 - sealed by us
        rows = apps.get_model(saved["model"])._default_manager.all()
        rows.query = saved["query"]
        if saved["prefetch"]:
            rows = rows.prefetch_related(*saved["prefetch"])
        request = RequestFactory().get("/", HTTP_HOST=job.host or "localhost", secure=job.secure)
        request.user = job.user
        token = request_context.activate(request_context.RequestContext(ip=job.ip, via="web"))
        try:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                export_context = ExportContext(
                    request=request, user=job.user, now=clock.now(), today=clock.today()
                )

                def progress(count: int) -> None:
                    ExportJob.objects.filter(pk=job_id).update(done=count)

                counted = _Counter(
                    _cells(export, rows, export_context), every=export.batch, progress=progress
                )
                names = [c.header for c in export.columns] if export.columns else job.header
                _type, extension = _write(spool, job.fmt, names, counted, job.filename)
                spool.seek(0)
                target = _job_dir() / f"{job.pk}-{uuid.uuid4().hex}.{extension}.sealed"
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(_seal(spool.read(), JOB_FILE_PURPOSE))
                with transaction.atomic():
                    _audit(
                        user=job.user,
                        export=export,
                        fmt=job.fmt,
                        count=counted.count,
                        kinds=list(job.filters),
                        object_id=job.object_id,
                    )
                    now = clock.now()
                    job.status, job.done, job.query = ExportStatus.DONE, counted.count, ""
                    job.file_path = target.name
                    job.finished_at, job.expires_at = now, now + _keep()
                    job.save()
        finally:
            request_context.deactivate(token)
    except Exception as exc:
        # The reason by its kind only: a message may quote a value.
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, query="", error=type(exc).__name__, finished_at=clock.now()
        )
        raise
    finally:
        spool.close()
    return job


def export_job_get_for(*, user: Viewer, job_id: Any) -> ExportJob:
    """The user's own job; anyone else's, or none, is NotFound."""
    job = ExportJob.objects.filter(pk=int(job_id) if str(job_id).isdigit() else 0).first()
    if job is None or not user.is_authenticated or job.user_id != user.pk:
        raise NotFound()
    return job


def export_job_download(job: ExportJob) -> FileResponse:
    """The job's file, while it is kept (a job not ready, failed or expired: NotFound)."""
    if job.status != ExportStatus.DONE or not job.file_path or _expired(job):
        raise NotFound()
    path = _job_dir() / job.file_path
    if not path.is_file():
        raise NotFound()
    data = _unseal(path.read_text(encoding="ascii"), JOB_FILE_PURPOSE)
    if job.fmt == "xlsx":
        content_type, extension = XLSX_TYPE, "xlsx"
    else:
        charset = "gb18030" if job.fmt == "csv-gbk" else "utf-8"
        content_type, extension = f"text/csv; charset={charset}", "csv"
    return _file_response(io.BytesIO(data), f"{job.filename}.{extension}", content_type)


def _expired(job: ExportJob) -> bool:
    return job.expires_at is not None and job.expires_at <= clock.now()


def export_jobs_prune(*, now: dt.datetime | None = None) -> int:
    """Remove the files of expired jobs, and the jobs (the periodic job); jobs that never
    finished are removed a day after they were asked for."""
    now = now or clock.now()
    stale = ExportJob.objects.filter(expires_at__lte=now) | ExportJob.objects.filter(
        expires_at__isnull=True, created_at__lte=now - dt.timedelta(days=1)
    )
    removed = 0
    for job in stale:
        if job.file_path:
            (_job_dir() / job.file_path).unlink(missing_ok=True)
        job.delete()
        removed += 1
    return removed


def export_title(name: str) -> str:
    """A declaration's name for people (its file name, translated)."""
    declared_export = _DECLARED.get(name)
    return str(declared_export.filename) if declared_export else name
