"""Imports of the register from spreadsheets: upload, map columns, check, commit.

- `import_upload` stores the file under DATA_DIR/uploads/imports (mode 0600), reads its
  header and proposes a mapping of columns to register fields.
- `import_set_mapping` lets the user correct that mapping.
- `import_request(phase="check")` queues a dry run that lists every row's outcome and
  problems; `import_request(phase="commit")` queues the import itself. Both run in the
  background worker (`tasks.run_import`), enqueued after the request's transaction.
- `import_run` is what the worker runs. A commit is one transaction: the register's rows,
  their history, the per-row outcomes, the batch's counts and its audit entry commit
  together or not at all. A killed worker leaves the batch "importing" with nothing
  written; `import_request` sees that it stopped (no progress for a while) and runs it
  again. Re-importing the same file changes nothing; a corrected file changes only what
  differs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, collector, scope, tabular
from gongzhi.core.errors import Forbidden
from gongzhi.core.masking import mask_id_number, mask_phone, mask_text, mask_value
from gongzhi.imports import mapping as fields
from gongzhi.imports import staging
from gongzhi.imports.engine import ERROR, NOTE_CODES, Counts, Engine, Outcome, warned
from gongzhi.imports.models import ImportBatch, ImportChunk, ImportPhase, ImportStatus
from gongzhi.imports.rows import Buildings, building_key, compound_key, text_of
from gongzhi.registry import services as registry_services
from gongzhi.registry.models import Area, AreaKind

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor, Viewer

logger = logging.getLogger("gongzhi.imports")

SAMPLE_ROWS = 8
PARALLEL_FROM_BYTES = 2 * 1024 * 1024  # about 25,000 rows
STALE_SECONDS = 90  # a running phase with no progress for this long has stopped
CHUNK = 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "GONGZHI_IMPORT_MAX_BYTES", tabular.DEFAULT_MAX_BYTES))


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def stored_path(batch: ImportBatch) -> Path:
    return upload_dir() / batch.stored_name


def _progress_path(batch: ImportBatch) -> Path:
    return upload_dir() / f"{batch.stored_name}.progress.json"


# --- who may import where ------------------------------------------------------------------


def import_communities_for(user: Viewer) -> list[Area]:
    """The communities the user may import into: those holding a node where they may."""
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    return list(communities.restrict(user, Perm.IMPORT_RUN, overlapping=True).order_by("path"))


def _scope_in(user: Actor, community: Area) -> list[str]:
    """The user's import paths inside the community (the community itself if above it)."""
    return access.paths_within(user, Perm.IMPORT_RUN, community.path)


def _common_path(paths: list[str]) -> str:
    """The deepest node above all `paths` (paths are fixed-width steps of digits)."""
    if not paths:
        return ""
    first, last = min(paths), max(paths)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[: length - length % scope.STEP]


# --- upload ----------------------------------------------------------------------------------


@transaction.atomic
def import_upload(
    *, actor: User, file: Any, filename: str = "", community: Area | None = None
) -> ImportBatch:
    """Store an uploaded spreadsheet and read its header; propose the column mapping.
    `actor` is a signed-in user (the batch records who uploaded it), never the system."""
    communities = import_communities_for(actor)
    if not communities:
        raise Forbidden()
    if community is None:
        if len(communities) > 1:
            raise ValidationError({"community": [_("Choose the community to import into.")]})
        community = communities[0]
    elif community.pk not in {c.pk for c in communities}:
        raise ValidationError({"community": [_("You may not import into this community.")]})
    paths = _scope_in(actor, community)
    name = os.path.basename(filename or getattr(file, "name", "") or "upload")[:255]
    stored = uuid.uuid4().hex
    target = upload_dir() / stored
    digest, size = _store(file, target)
    try:
        with tabular.read_table(target, filename=name, max_bytes=max_bytes()) as table:
            header = list(table.header)
            sample = []
            for _number, values in table.rows():
                sample.append(values)
                if len(sample) >= SAMPLE_ROWS:
                    break
            info = (table.format, table.encoding or "", table.sheet or "")
    except Exception:
        target.unlink(missing_ok=True)
        raise
    proposed = fields.auto_map(header)
    batch = ImportBatch.objects.create(
        created_by=actor,
        community=community,
        area_path=_common_path(paths) or community.path,
        scope_paths=paths,
        filename=name,
        stored_name=stored,
        sha256=digest,
        size=size,
        format=info[0],
        encoding=info[1],
        sheet=info[2],
        header=header,
        mapping=proposed,
        sample=[_masked_sample(values, proposed) for values in sample],
    )
    audit_record(
        actor=actor,
        action="import.upload",
        obj=batch,
        area_path=batch.area_path,
        fields=["file"],
        purpose=f"{name} ({size} bytes, sha256 {digest[:12]})",
    )
    return batch


def _store(file: Any, target: Path) -> tuple[str, int]:
    """Copy the upload to `target` (0600), counting and hashing; refuse it past the limit."""
    limit = max_bytes()
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            chunks = file.chunks() if hasattr(file, "chunks") else _read_chunks(file)
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise tabular.TableFileError(
                        "too_large",
                        _("The file is larger than %(max)s MB; split it into smaller files.")
                        % {"max": f"{limit / tabular.MiB:.0f}"},
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _read_chunks(file: Any) -> Iterator[bytes]:
    if isinstance(file, (bytes, bytearray)):
        yield bytes(file)
        return
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        return
    with contextlib.suppress(AttributeError, OSError):
        file.seek(0)
    while chunk := file.read(CHUNK):
        yield chunk


def masked_cells(values: list[Any], mapping: dict[str, Any]) -> list[Any]:
    """A row as the preview and the problem report show it: the ID number and phone
    columns masked whatever they hold, and in every other column (户主身份证号,
    紧急联系人电话, a remark) whatever looks like an ID number or a mobile number."""
    masks = {mapping.get("id_number"): mask_id_number, mapping.get("phone"): mask_phone}
    out = []
    for index, value in enumerate(values):
        mask = masks.get(index)
        if mask is not None and value not in (None, ""):
            out.append(mask(text_of(value)))
        else:
            out.append(mask_value(value))
    return out


def _masked_sample(values: list[Any], mapping: dict[str, int]) -> list[str]:
    """A preview row as text, masked as `masked_cells`."""
    return [text_of(value) for value in masked_cells(values, mapping)]


# --- mapping and phases ----------------------------------------------------------------------


def _require_import(actor: Actor, batch: ImportBatch) -> None:
    if not access.can(actor, Perm.IMPORT_RUN, batch.area_path):
        raise Forbidden()


@transaction.atomic
def import_set_mapping(*, actor: Actor, batch: ImportBatch, mapping: dict[str, Any]) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    _require_import(actor, batch)
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ValidationError(
            {"mapping": [_("The columns cannot change while rows are processed.")]}
        )
    clean = fields.check_mapping(mapping, batch.header)
    if clean != batch.mapping:
        batch.mapping = clean
        batch.status = ImportStatus.UPLOADED
        batch.save(update_fields=["mapping", "status", "updated_at"])
        ImportChunk.objects.filter(batch=batch, phase=ImportPhase.CHECK).delete()
    return batch


def progress_of(batch: ImportBatch) -> dict[str, Any]:
    """`{"rows", "total", "at", "stalled"}` of the running phase (from its progress file)."""
    info: dict[str, Any] = {"rows": 0, "total": 0, "at": None}
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(_progress_path(batch).read_text(encoding="utf-8"))
        if data.get("attempt") == batch.attempt:
            info.update(data)
    running = batch.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING)
    last = info["at"] or (batch.started_at.timestamp() if batch.started_at else None)
    info["stalled"] = bool(running and last is not None and time.time() - last > STALE_SECONDS)
    info["running"] = running and not info["stalled"]
    return info


def _write_progress(batch: ImportBatch, phase: str, rows: int, total: int) -> None:
    path = _progress_path(batch)
    tmp = path.with_suffix(".tmp")
    data = {
        "attempt": batch.attempt,
        "phase": phase,
        "rows": rows,
        "total": total,
        "at": time.time(),
    }
    with contextlib.suppress(OSError):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)


def building_parents(community: Area, paths: list[str]) -> list[Area]:
    """Where an import may make new buildings: the grids inside the importer's area, or
    (a community without grids, imported into whole) the community itself."""
    grids: dict[int, Area] = {}
    for path in paths:
        for grid in Area.objects.within(path).filter(kind=AreaKind.GRID).order_by("path"):
            grids[grid.pk] = grid
    if grids:
        return sorted(grids.values(), key=lambda g: g.path)
    return [community] if community.path in paths else []


def _building_parent(batch: ImportBatch, paths: list[str], grid: Area | None) -> Area:
    """The grid the confirmed new buildings go under: the one chosen, or the only one."""
    choices = building_parents(batch.community, paths)
    if grid is not None:
        chosen = next((c for c in choices if c.pk == grid.pk), None)
        if chosen is None:
            raise ValidationError(
                {"grid": [_("Choose one of the grids of your area for the new buildings.")]}
            )
        return chosen
    if len(choices) == 1:
        return choices[0]
    if not choices:
        raise ValidationError({"grid": [_("Your area has no grid to put new buildings in.")]})
    raise ValidationError({"grid": [_("Choose the grid the new buildings go under.")]})


@transaction.atomic
def import_request(
    *,
    actor: Actor,
    batch: ImportBatch,
    phase: str,
    create_buildings: bool = False,
    grid: Area | None = None,
) -> ImportBatch:
    """Queue a check or a commit for the background worker. A commit may make the
    buildings the check proposed (`create_buildings`, the importer's confirmation in the
    preview), under `grid` (needed when the importer's area holds several grids)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    _require_import(actor, batch)
    if phase not in ImportPhase.values:
        raise ValidationError({"phase": [_("Choose check or commit.")]})
    stopped = progress_of(batch)["stalled"]
    if batch.status == ImportStatus.COMMITTED:
        raise ValidationError({"__all__": [_("This file has been imported.")]})
    if batch.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING) and not stopped:
        raise ValidationError(
            {"__all__": [_("The rows are being processed; wait for the result.")]}
        )
    if phase == ImportPhase.COMMIT:
        checked = batch.status == ImportStatus.CHECKED or (
            batch.phase == ImportPhase.COMMIT
            and batch.status in (ImportStatus.FAILED, ImportStatus.COMMITTING)
        )
        if not checked:
            raise ValidationError({"__all__": [_("Check the rows before importing them.")]})
        batch.committed_by = actor
    fields.check_mapping(batch.mapping, batch.header)
    paths = _scope_in(actor, batch.community)
    if not paths:
        raise Forbidden()
    batch.scope_paths = paths
    if phase == ImportPhase.COMMIT:
        batch.create_buildings = bool(create_buildings and (batch.places or {}).get("new"))
        batch.building_grid = (
            _building_parent(batch, paths, grid) if batch.create_buildings else None
        )
    batch.status = ImportStatus.CHECKING if phase == ImportPhase.CHECK else ImportStatus.COMMITTING
    batch.phase = phase
    batch.attempt += 1
    batch.error = ""
    batch.started_at = clock.now()
    batch.finished_at = None
    batch.save()
    attempt = batch.attempt
    language = translation.get_language() or settings.LANGUAGE_CODE

    def enqueue() -> None:
        from gongzhi.imports.tasks import run_import

        result = run_import.enqueue(batch.pk, phase, attempt, language)
        ImportBatch.objects.filter(pk=batch.pk, attempt=attempt).update(task_id=str(result.id))

    transaction.on_commit(enqueue)
    return batch


# --- running (the worker) ---------------------------------------------------------------------


def import_run(*, batch_id: int, phase: str, attempt: int, language: str = "") -> str:
    """Run a queued phase. Safe to run twice: a superseded or finished attempt is skipped."""
    batch = ImportBatch.objects.filter(pk=batch_id).select_related("community").first()
    if batch is None or batch.attempt != attempt or batch.phase != phase:
        return "superseded"
    running = ImportStatus.CHECKING if phase == ImportPhase.CHECK else ImportStatus.COMMITTING
    if batch.status != running:
        return "done already"
    with translation.override(language or settings.LANGUAGE_CODE):
        _write_progress(batch, phase, 0, batch.checked_rows)
        try:
            run = _run_check if phase == ImportPhase.CHECK else _run_commit
            with collector.bulk_job():
                counts = run(batch)
        except Exception as exc:
            _fail(batch, exc)
            if isinstance(exc, ValidationError):
                return "failed"
            raise
    return f"{phase}: {counts.total} rows"


def processes_for(batch: ImportBatch) -> int:
    """Processes to read and check rows in (`GONGZHI_IMPORT_PROCESSES`), for big files
    only (forking costs ~0.1 s)."""
    configured = getattr(settings, "GONGZHI_IMPORT_PROCESSES", None)
    if configured is None:
        # On two cores the forked readers compete with the writer (measured slower when
        # this was written; not re-measured in docs/benchmarks.md, section 3); from four
        # cores on, three readers keep one writer fed.
        cores = os.cpu_count() or 1
        configured = 1 if cores <= 2 else min(cores - 1, 4)
    return int(configured) if batch.size >= PARALLEL_FROM_BYTES else 1


def _engine(batch: ImportBatch, *, write: bool) -> Engine:
    actor = batch.committed_by if write else batch.created_by
    return Engine(
        processes=processes_for(batch),
        community=batch.community,
        scope_paths=list(batch.scope_paths),
        mapping={k: int(v) for k, v in batch.mapping.items()},
        write=write,
        actor=actor,
        note=_("Import #%(id)d: %(file)s") % {"id": batch.pk, "file": batch.filename},
        header=list(batch.header),
    )


def _rows(table: tabular.Table, batch: ImportBatch) -> Iterator[tuple[int, list[Any]]]:
    if list(table.header) != list(batch.header):
        raise tabular.TableFileError(
            "changed", _("The stored file no longer matches this import; upload it again.")
        )
    return table.rows()


class _ChunkWriter:
    def __init__(self, batch: ImportBatch, phase: str, total: int):
        self.batch, self.phase, self.total, self.seq = batch, phase, total, 0

    def __call__(self, outcomes: list[Outcome], counts: Counts) -> None:
        self.seq += 1
        ImportChunk.objects.create(
            batch=self.batch,
            phase=self.phase,
            seq=self.seq,
            first_row=outcomes[0][0],
            last_row=outcomes[-1][0],
            errors=sum(1 for o in outcomes if o[1] == ERROR),
            warnings=sum(1 for o in outcomes if warned(o)),
            rows=outcomes,
        )
        _write_progress(self.batch, self.phase, counts.total, self.total)


def _staged_path(batch: ImportBatch) -> Path:
    return upload_dir() / f"{batch.stored_name}.staged"


def _stage_header(batch: ImportBatch) -> dict[str, Any]:
    return {
        "sha256": batch.sha256,
        "mapping": {k: int(v) for k, v in sorted(batch.mapping.items())},
    }


def _run_check(batch: ImportBatch) -> Counts:
    _staged_path(batch).unlink(missing_ok=True)
    stage = staging.StageWriter(_staged_path(batch), _stage_header(batch))
    engine = _engine(batch, write=False)
    engine.stage = stage
    ImportChunk.objects.filter(batch=batch, phase=ImportPhase.CHECK).delete()
    try:
        with tabular.read_table(stored_path(batch), max_bytes=max_bytes()) as table:
            counts = engine.run(_rows(table, batch), _ChunkWriter(batch, ImportPhase.CHECK, 0))
    except BaseException:
        stage.close(keep=False)
        raise
    stage.close(keep=True)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.attempt != batch.attempt:
            return counts
        _set_counts(locked, counts)
        grids = building_parents(locked.community, list(locked.scope_paths))
        locked.places = {**engine.places(), "grids": [[g.pk, g.name] for g in grids]}
        locked.checked_rows = counts.total
        locked.status = ImportStatus.CHECKED
        locked.finished_at = clock.now()
        locked.save()
    return counts


def _run_commit(batch: ImportBatch) -> Counts:
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.attempt != batch.attempt or locked.status != ImportStatus.COMMITTING:
            return Counts()
        ImportChunk.objects.filter(batch=locked, phase=ImportPhase.COMMIT).delete()
        created = _create_buildings(locked) if locked.create_buildings else []
        engine = _engine(locked, write=True)
        writer = _ChunkWriter(locked, ImportPhase.COMMIT, locked.checked_rows)
        staged = staging.staged_rows(_staged_path(locked), _stage_header(locked))
        if staged is not None:
            counts = engine.run_staged(staged, writer)
        else:
            with tabular.read_table(stored_path(locked), max_bytes=max_bytes()) as table:
                counts = engine.run(_rows(table, locked), writer)
        _set_counts(locked, counts)
        locked.places = {**(locked.places or {}), "created": created}
        locked.status = ImportStatus.COMMITTED
        locked.finished_at = locked.committed_at = clock.now()
        locked.save()
        audit_record(
            actor=locked.committed_by,
            action="import.commit",
            obj=locked,
            area_path=locked.area_path,
            fields=["households", "persons", *(["areas"] if created else [])],
            purpose=(
                f"{locked.filename}: {counts.total} rows, {counts.created} new, "
                f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.failed} "
                f"with problems, {counts.warned} with values left out, {counts.households} "
                f"new households, {len(created)} new buildings"
            ),
        )
    return counts


def _create_buildings(batch: ImportBatch) -> list[list[Any]]:
    """Make the buildings the check proposed (and their compounds, under the community)
    under the grid the importer chose, through `registry.services.area_create`, in the
    commit's transaction. One already made meanwhile is not made again: its rows resolve
    to it (or, outside the area, are held as a question). The import acts as the system
    (the grid worker may import here but not manage areas); the commit's audit entry, by
    the committer, counts them, and `places["created"]` names them."""
    parent = batch.building_grid
    community = batch.community
    if parent is None or not scope.within(parent.path, list(batch.scope_paths)):
        raise Forbidden()
    known = Buildings(community, list(batch.scope_paths))
    compounds = {
        compound_key(c.name): c
        for c in Area.objects.within(community.path).filter(kind=AreaKind.COMPOUND)
    }
    created: list[list[Any]] = []
    for entry in (batch.places or {}).get("new", []):
        ckey, bkey = compound_key(entry["compound"]), building_key(entry["building"])
        if (ckey, bkey) in known.by_compound:
            continue
        compound = compounds.get(ckey)
        if compound is None:
            compound = compounds[ckey] = registry_services.area_create(
                actor=None,
                parent=community,
                kind=AreaKind.COMPOUND,
                name=entry["compound"],
                code=_next_code(f"{community.code}C", 3, ""),
            )
        building = registry_services.area_create(
            actor=None,
            parent=parent,
            kind=AreaKind.BUILDING,
            name=entry["building"],
            code=_next_code(f"{compound.code}B", 2, bkey),
            compound=compound,
        )
        known.by_compound[(ckey, bkey)] = building
        created.append([compound.name, building.name, building.pk])
    return created


def _next_code(prefix: str, width: int, wanted: str) -> str:
    """A free code `prefix` + digits: the building's own number (`5栋` -> B05) when free,
    else one after the largest in use."""
    used = set(Area.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    numbers = [int(c[len(prefix) :]) for c in used if c[len(prefix) :].isdigit()]
    if wanted.isdigit() and 0 < int(wanted) <= 999:
        code = prefix + wanted.lstrip("0").zfill(width)
        if code not in used:
            return code
    number = max(numbers, default=0) + 1
    if number > 999:
        raise ValidationError({"code": [_("No free code is left for a new area here.")]})
    return prefix + str(number).zfill(width)


def _set_counts(batch: ImportBatch, counts: Counts) -> None:
    batch.rows_total = counts.total
    batch.rows_created = counts.created
    batch.rows_updated = counts.updated
    batch.rows_unchanged = counts.unchanged
    batch.rows_failed = counts.failed
    batch.rows_warned = counts.warned
    batch.households_created = counts.households


def _fail(batch: ImportBatch, exc: BaseException) -> None:
    if isinstance(exc, ValidationError):
        message = " ".join(exc.messages)
    else:
        logger.exception("import %s failed", batch.pk)
        message = _("The import stopped because of an error (%(kind)s); nothing was changed.") % {
            "kind": type(exc).__name__
        }
    ImportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt).update(
        status=ImportStatus.FAILED, error=message, finished_at=clock.now()
    )


# --- outcomes and the error report ---------------------------------------------------------


def import_outcomes(
    batch: ImportBatch, *, phase: str | None = None, only: str = ""
) -> Iterator[Outcome]:
    """The rows' outcomes in file order, of the latest phase that ran (or `phase`)."""
    phase = phase or (
        ImportPhase.COMMIT if batch.status == ImportStatus.COMMITTED else ImportPhase.CHECK
    )
    chunks = ImportChunk.objects.filter(batch=batch, phase=phase).order_by("seq")
    if only == "error":
        chunks = chunks.filter(errors__gt=0)
    elif only == "warning":
        chunks = chunks.filter(warnings__gt=0)
    for chunk in chunks.iterator(chunk_size=20):
        for outcome in chunk.rows:
            if not only or outcome[1] == only or (only == "warning" and warned(outcome)):
                yield outcome


def import_error_report(
    batch: ImportBatch, *, only: str = "error"
) -> tuple[list[str], Iterator[list[Any]]]:
    """The rows with problems (or, `only="warning"`, the imported rows with a value left
    out, to correct), as in the file (ID numbers and phones masked), with the row number
    first and the problems last: header and rows for `exports.IMPORT_PROBLEMS`. Problems
    name the file's own columns."""
    only = "warning" if only == "warning" else "error"
    problems = import_outcomes(batch, only=only)
    mapping = batch.mapping
    labels = fields.column_labels(mapping, list(batch.header))
    last = _("Problems") if only == "error" else _("To correct")
    if not stored_path(batch).exists():
        # The upload is removed after the keeping period (import_files_prune); the
        # outcomes stay, so the report still lists each problem row and its problems.
        def outcomes_only() -> Iterator[list[Any]]:
            for outcome in problems:
                yield [outcome[0], _problems_text(outcome[3], labels)]

        return [_("Row"), last], outcomes_only()
    header = [_("Row"), *batch.header, last]

    def rows() -> Iterator[list[Any]]:
        wanted = next(problems, None)
        if wanted is None:
            return
        with tabular.read_table(stored_path(batch), max_bytes=max_bytes()) as table:
            for number, values in table.rows():
                while wanted is not None and wanted[0] < number:
                    wanted = next(problems, None)
                if wanted is None:
                    break
                if wanted[0] != number:
                    continue
                yield [
                    number,
                    *masked_cells(values, mapping),
                    _problems_text(wanted[3], labels),
                ]

    return header, rows()


def _problems_text(problems: list[Any], labels: dict[str, str]) -> str:
    """`手机号: …；公民身份号码: …` (changed field names and notes left out)."""
    return mask_text(
        "；".join(
            f"{fields.field_label(p[0], labels)}: {p[2]}"
            for p in problems
            if isinstance(p, list) and p[1] not in NOTE_CODES
        )
    )


def import_delete_file(batch: ImportBatch) -> None:
    """Remove the stored upload and its progress file (the batch record stays)."""
    for path in (stored_path(batch), _progress_path(batch), _staged_path(batch)):
        path.unlink(missing_ok=True)


def import_files_prune(*, keep_days: int | None = None) -> int:
    """Remove uploaded spreadsheets (and their staged and progress files) `keep_days`
    after they were imported, failed, or were left without being imported: the files
    hold ID numbers and phones in the clear, and the register and each row's outcome are
    what is kept. A batch left unimported is marked failed, saying why. Returns the count."""
    days = settings.GONGZHI_IMPORT_KEEP_DAYS if keep_days is None else keep_days
    cutoff = clock.now() - dt.timedelta(days=days)
    idle = (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)
    done = ImportBatch.objects.filter(status=ImportStatus.COMMITTED, committed_at__lt=cutoff)
    left = ImportBatch.objects.filter(status__in=idle, updated_at__lt=cutoff)
    pruned = 0
    for batch in [*done, *left]:
        if not stored_path(batch).exists():
            continue
        import_delete_file(batch)
        pruned += 1
        if batch.status != ImportStatus.COMMITTED:
            batch.status = ImportStatus.FAILED
            batch.error = _(
                "The file was removed %(days)d days after its upload without being imported; "
                "upload it again."
            ) % {"days": days}
            batch.save(update_fields=["status", "error", "updated_at"])
    if pruned:
        audit_record(
            actor=None,
            action="import.files_prune",
            obj=None,
            area_path="",
            fields=["file"],
            purpose=f"{pruned} uploaded files older than {days} days removed",
        )
    return pruned
