"""Imports over REST, for street and city systems that send spreadsheets instead of people:
upload, read the proposed mapping and change it, check, commit, follow the progress, read
each row's outcome, download the problem rows. The same services as the workbench; a
batch is visible to whoever may import where it was made (404 otherwise)."""

from typing import Any, Literal

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, Page
from gongzhi.core.errors import NotFound
from gongzhi.imports import exports, selectors, services
from gongzhi.imports.engine import NOTE_CODES
from gongzhi.imports.mapping import column_labels
from gongzhi.imports.models import ImportBatch

router = Router(tags=["imports"])


class ProgressOut(Schema):
    rows: int
    total: int
    running: bool
    stalled: bool


class ImportOut(Schema):
    id: int
    filename: str
    community_id: int
    status: str
    phase: str
    format: str
    encoding: str
    sheet: str
    sha256: str
    size: int
    header: list[str]
    mapping: dict[str, int]
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_failed: int
    rows_warned: int = Field(description="rows imported with a value left out, to correct")
    households_created: int
    places: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "buildings the rows name that are not in the importer's area: `new` (proposed, "
            "with row counts), `questions` (in another grid: rows held), `grids` (where new "
            "ones may go), `created` (by the commit)"
        ),
    )
    error: str
    created_at: Any
    committed_at: Any | None
    progress: ProgressOut | None = None
    report_url: str = ""

    @staticmethod
    def resolve_report_url(obj: ImportBatch) -> str:
        return f"/api/v1/imports/{obj.pk}/report" if obj.rows_failed else ""


class ImportListOut(Schema):
    id: int
    filename: str
    status: str
    rows_total: int
    rows_failed: int
    created_at: Any


class ImportMappingIn(Schema):
    mapping: dict[str, int | None] = Field(
        description="register field -> column index in `header` (null: not imported)"
    )


class ProblemOut(Schema):
    field: str
    column: str = Field("", description="the file's own header of the field")
    code: str
    message: str


class RowOut(Schema):
    row: int
    outcome: str
    person_id: int | None
    changed: list[str] = []
    problems: list[ProblemOut] = []
    warnings: list[ProblemOut] = Field(
        default_factory=list, description="values left out of an imported row, to correct"
    )


class CommitIn(Schema):
    create_buildings: bool = Field(
        False, description="make the buildings the check proposed (`places.new`)"
    )
    grid_id: int | None = Field(
        None, description="the grid they go under (needed when your area has several)"
    )


def _with_progress(batch: ImportBatch) -> ImportBatch:
    progress = services.progress_of(batch)
    batch.progress = {  # type: ignore[attr-defined]
        "rows": int(progress.get("rows") or 0),
        "total": int(progress.get("total") or 0),
        "running": bool(progress["running"]),
        "stalled": bool(progress["stalled"]),
    }
    return batch


@router.get("/imports", response={200: list[ImportListOut], **ERRORS}, operation_id="import_list")
@paginate(Page)
def import_list(request: SignedInRequest) -> Any:
    """Imports the caller may see (made where they may import), newest first."""
    return selectors.import_list_for(user=request.user)


@router.post("/imports", response={201: ImportOut, **ERRORS}, operation_id="import_upload")
def import_upload(
    request: SignedInRequest,
    file: File[UploadedFile],
    community: Form[int | None] = None,
) -> Any:
    """Upload an XLSX or CSV file (multipart, field `file`); answers with the header and the
    proposed mapping. Nothing changes in the register until `commit`."""
    chosen = None
    if community is not None:
        chosen = next(
            (c for c in services.import_communities_for(request.user) if c.pk == community), None
        )
        if chosen is None:
            raise NotFound()
    batch = services.import_upload(
        actor=request.user, file=file, filename=file.name or "", community=chosen
    )
    return Status(201, _with_progress(batch))


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS}, operation_id="import_get")
def import_get(request: SignedInRequest, import_id: int) -> Any:
    """The import's state, counts, mapping and (while the worker runs) progress."""
    return _with_progress(selectors.import_get_for(user=request.user, batch_id=import_id))


@router.put(
    "/imports/{import_id}/mapping",
    response={200: ImportOut, **ERRORS},
    operation_id="import_mapping_set",
)
def import_mapping_set(request: SignedInRequest, import_id: int, payload: ImportMappingIn) -> Any:
    """Choose which column fills which register field (the ID number column is required)."""
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    mapping = {k: v for k, v in payload.mapping.items() if v is not None}
    return _with_progress(
        services.import_set_mapping(actor=request.user, batch=batch, mapping=mapping)
    )


def _request(
    request: SignedInRequest,
    import_id: int,
    phase: Literal["check", "commit"],
    payload: CommitIn | None = None,
) -> Any:
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    grid = None
    if payload is not None and payload.grid_id is not None:
        grid = next(
            (
                g
                for g in services.building_parents(batch.community, batch.scope_paths)
                if g.pk == payload.grid_id
            ),
            None,
        )
        if grid is None:
            raise NotFound()
    batch = services.import_request(
        actor=request.user,
        batch=batch,
        phase=phase,
        create_buildings=bool(payload and payload.create_buildings),
        grid=grid,
    )
    return Status(202, _with_progress(batch))


@router.post(
    "/imports/{import_id}/check",
    response={202: ImportOut, **ERRORS},
    operation_id="import_check",
)
def import_check(request: SignedInRequest, import_id: int) -> Any:
    """Queue the check: every row's outcome and problems, without changing the register."""
    return _request(request, import_id, "check")


@router.post(
    "/imports/{import_id}/commit",
    response={202: ImportOut, **ERRORS},
    operation_id="import_commit",
)
def import_commit(request: SignedInRequest, import_id: int, confirm: Query[CommitIn]) -> Any:
    """Queue the import of a checked file: all its good rows in one transaction. With
    `?create_buildings=true` (and `grid_id` when your area has several grids), the
    buildings the check proposed (`places.new`) are made first, in your area."""
    return _request(request, import_id, "commit", confirm)


class RowFiltersIn(Schema):
    outcome: Literal["created", "updated", "unchanged", "error", "warning"] | None = None


@router.get(
    "/imports/{import_id}/rows",
    response={200: list[RowOut], **ERRORS},
    operation_id="import_rows",
)
@paginate(Page)
def import_rows(request: SignedInRequest, import_id: int, filters: Query[RowFiltersIn]) -> Any:
    """Each row's outcome (of the commit once it ran, else of the check), in file order."""
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    return _Rows(batch, filters.outcome or "")


class _Rows:
    """Outcomes sliced for the paginator without holding them all."""

    def __init__(self, batch: ImportBatch, only: str):
        self.batch, self.only = batch, only

    def __len__(self) -> int:
        b = self.batch
        return {
            "created": b.rows_created,
            "updated": b.rows_updated,
            "unchanged": b.rows_unchanged,
            "error": b.rows_failed,
            "warning": b.rows_warned,
        }.get(self.only, b.rows_total)

    def count(self) -> int:
        return len(self)

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        out = []
        labels = column_labels(self.batch.mapping, list(self.batch.header))
        for index, (row, outcome, person_id, details) in enumerate(
            services.import_outcomes(self.batch, only=self.only)
        ):
            if index >= (item.stop or 0):
                break
            if index < (item.start or 0):
                continue
            listed = [
                {"field": d[0], "column": labels.get(d[0], ""), "code": d[1], "message": d[2]}
                for d in details
                if isinstance(d, list)
            ]
            error = outcome == "error"
            changed = [d for d in details if isinstance(d, str)]
            out.append(
                {
                    "row": row,
                    "outcome": outcome,
                    "person_id": person_id,
                    "changed": changed,
                    # A possible duplicate is a note, not a value left out.
                    "problems": [p for p in listed if error or p["code"] in NOTE_CODES],
                    "warnings": [p for p in listed if not error and p["code"] not in NOTE_CODES],
                }
            )
        return out


@router.get(
    "/imports/{import_id}/report",
    response={200: None, **ERRORS},
    operation_id="import_report",
)
def import_report(
    request: SignedInRequest,
    import_id: int,
    format: Literal["xlsx", "csv", "csv-gbk"] = "xlsx",
    rows: Literal["error", "warning"] = "error",
) -> Any:
    """The rows with problems (`rows=warning`: the imported rows with a value left out, to
    correct) as in the file (ID numbers and phones masked), with the row number first and
    the problems, named by the file's own headers, last."""
    batch = selectors.import_get_for(user=request.user, batch_id=import_id)
    header, body = services.import_error_report(batch, only=rows)
    stem = batch.filename.rsplit(".", 1)[0]
    return exports.export_response(
        request,
        exports.IMPORT_PROBLEMS,
        body,
        header=header,
        fmt=format,
        filename=f"{stem}-{'to-correct' if rows == 'warning' else 'problems'}",
        object_id=batch.pk,
    )
