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

import dataclasses
import datetime as dt
import enum
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import BadRequest
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils.functional import Promise

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.audit import vocabulary
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, identity, scope
from gongzhi.core.tabular import csv_chunks, write_xlsx

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
) -> FileResponse:
    """The download of `rows` as `export` declares it, in the requested format (`fmt`, else
    `?export=` / `?format=`; unknown is a 400), audited with one entry.

    `rows` is what the page lists (its selector's scoped, filtered queryset, or a list);
    `filters` (a mapping or a dataclass) is what the page was filtered by: only the names
    of the filters that are set reach the audit entry, and a search term only as its kind.
    `object_id` names the one object whose rows these are (an import's rows: the import).
    """
    fmt = export_format(fmt if fmt is not None else requested_format(request))
    if export.name not in _DECLARED or _DECLARED[export.name] is not export:
        raise ValueError(f"export {export.name!r} is not declared")
    if bool(export.columns) == (header is not None):
        raise ValueError("give a header only for an export that declares no columns")
    names = [c.header for c in export.columns] if header is None else list(header)
    stem = _stem(filename if filename is not None else str(export.filename))
    context = ExportContext(
        request=request, user=request.user, now=clock.now(), today=clock.today()
    )
    counted = _Counter(_cells(export, rows, context))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        if fmt == "xlsx":
            write_xlsx(spool, names, counted, sheet_title=stem)
            content_type, extension = XLSX_TYPE, "xlsx"
        else:
            encoding = "gb18030" if fmt == "csv-gbk" else "utf-8-sig"
            for chunk in csv_chunks(names, counted, encoding):
                spool.write(chunk)
            charset = "gb18030" if fmt == "csv-gbk" else "utf-8"
            content_type, extension = f"text/csv; charset={charset}", "csv"
        audit_record(
            actor=request.user,
            action=ACTION,
            object_type=export.object_type,
            object_id=object_id,
            object_label=export.name,
            area_path=_area_path(request.user, export.scope_perms),
            fields=filter_kinds(filters),
            purpose=system_purpose(
                "export", fmt=fmt, rows=counted.count, sensitivity=export.sensitivity.value
            ),
        )
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=f"{stem}.{extension}", content_type=content_type
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
    """The rows, counted as the writer takes them."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self._rows:
            self.count += 1
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
