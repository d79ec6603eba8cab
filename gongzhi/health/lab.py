"""A lab's results file (XLSX, or CSV in UTF-8 or GBK): read, matched to pending samples on
blind indexes, applied in one transaction.

Columns are recognised by name (试管编码, 身份证号, 采样时间, 检测结果 …), as upstream lists'
are. A row names its sample by the tube code (one tube, one person: `health.samples`) or by
the person's ID number: its blind index against the register's, never a decryption. Each
row ends as one outcome: matched (applied), already (the sample has this result: a file
loaded twice changes nothing), unknown (no such ID number or tube here), no pending sample,
conflict (another result is recorded, or another row of the file says otherwise, or the
tube and the ID number name different persons), or malformed (an ID number Excel turned
into a number, a result that is not one, a time that is not one …). The batch keeps the
counts and, per problem, the row, the column's name and a code: never a value.

Small files (up to `INLINE_MAX_BYTES`) are applied in the request; larger ones are stored
(owner-only, under the data directory), applied by the worker, and deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, identity, scope
from gongzhi.core.errors import field_errors
from gongzhi.core.tabular import MiB, TableFileError, read_table
from gongzhi.core.validation import raise_errors
from gongzhi.health import parsing, samples, uploads
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import LabBatch, Sample, SampleKind, SampleResult
from gongzhi.registry import rows as register_rows
from gongzhi.registry.models import Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)

UPLOAD_MAX_BYTES = 50 * MiB
INLINE_MAX_BYTES = 512 * 1024  # larger files go to the worker
MAX_ROWS = 200_000
FOLDER = "uploads/lab"
CHUNK = 900  # ids per IN (…) query
DAY = dt.timedelta(days=1)


class LabStatus(models.TextChoices):
    QUEUED = "uploaded", gettext_lazy("Waiting for the worker")
    APPLYING = "applying", gettext_lazy("Being applied")
    APPLIED = "applied", gettext_lazy("Applied")
    FAILED = "failed", gettext_lazy("Failed")


# field -> names a column may carry (compared as `parsing._key` normalises them).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "受检者姓名", "受检人", "name"),
    "id_number": (
        "身份证号", "身份证号码", "公民身份号码", "证件号码", "证件号", "身份证",
        "id_number", "idnumber", "idcard",
    ),
    "tube_code": (
        "试管编码", "试管编号", "试管码", "试管条码", "样本编号", "样本条码", "条码号", "条码",
        "tube_code", "tube", "barcode",
    ),
    "sampled_at": ("采样时间", "采样日期", "采集时间", "采样日期时间", "sampled_at"),
    "result": ("检测结果", "核酸结果", "核酸检测结果", "结果", "result"),
}  # fmt: skip
_LOOKUP = {parsing._key(n): f for f, names in COLUMN_NAMES.items() for n in names}

# Outcome of each row, and the problems that lead to each.
MATCHED, ALREADY, UNKNOWN, NO_PENDING, CONFLICT, MALFORMED = (
    "matched", "already", "unknown", "no_pending", "conflict", "malformed",
)  # fmt: skip
OUTCOMES = (MATCHED, ALREADY, UNKNOWN, NO_PENDING, CONFLICT, MALFORMED)
PROBLEM_OUTCOME = {
    "id_stored_as_number": MALFORMED,
    "id_invalid": MALFORMED,
    "tube_invalid": MALFORMED,
    "result_missing": MALFORMED,
    "result_unknown": MALFORMED,
    "sampled_at_invalid": MALFORMED,
    "sampled_at_future": MALFORMED,
    "no_identifier": MALFORMED,
    "unknown_id": UNKNOWN,
    "unknown_tube": UNKNOWN,
    "no_pending": NO_PENDING,
    "conflict": CONFLICT,
    "conflict_rows": CONFLICT,
    "mismatch": CONFLICT,
}
PROBLEM_MESSAGES = {
    "id_stored_as_number": gettext_lazy(
        "stored as a number, so its last digits are lost; format the column as text and "
        "export the file again"
    ),
    "id_invalid": gettext_lazy(
        "not a valid resident ID number (17 digits and a digit or X, with the right check digit)"
    ),
    "tube_invalid": gettext_lazy("not a tube code (4 to 40 letters, digits or dashes)"),
    "result_missing": gettext_lazy("empty; every row needs a result"),
    "result_unknown": gettext_lazy("not a result; write 阴性, 阳性 or 无效"),
    "sampled_at_invalid": gettext_lazy("not a date and time (write it as 2022-03-14 08:30)"),
    "sampled_at_future": gettext_lazy("in the future"),
    "no_identifier": gettext_lazy("the row has neither an ID number nor a tube code"),
    "unknown_id": gettext_lazy("nobody in this area's register has this ID number"),
    "unknown_tube": gettext_lazy("no sample of this area has this tube code"),
    "no_pending": gettext_lazy("this person has no sample waiting for a result"),
    "conflict": gettext_lazy("the sample already has a different result; it was not changed"),
    "conflict_rows": gettext_lazy(
        "row %(other)s of this file gives a different result for the same sample; neither "
        "row was applied"
    ),
    "mismatch": gettext_lazy(
        "the tube code and the ID number name different persons; nothing was applied"
    ),
}

_RESULTS = {
    "阴性": SampleResult.NEGATIVE,
    "阴": SampleResult.NEGATIVE,
    "-": SampleResult.NEGATIVE,
    "negative": SampleResult.NEGATIVE,
    "neg": SampleResult.NEGATIVE,
    "阳性": SampleResult.POSITIVE,
    "阳": SampleResult.POSITIVE,
    "+": SampleResult.POSITIVE,
    "positive": SampleResult.POSITIVE,
    "pos": SampleResult.POSITIVE,
    "无效": SampleResult.INVALID,
    "样本无效": SampleResult.INVALID,
    "不合格": SampleResult.INVALID,
    "样本不合格": SampleResult.INVALID,
    "invalid": SampleResult.INVALID,
}
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d{1,3}")
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?)?\s*[分秒]?)?$"
)


def problem_text(problem: dict[str, Any]) -> str:
    """A stored problem as a sentence: "第 5 行 身份证号：…" (row, column, rule)."""
    if problem.get("message"):  # a file-level error: the rule's own sentence
        return str(problem["message"])
    template = PROBLEM_MESSAGES.get(problem.get("code", ""), problem.get("code", ""))
    message = str(template) % {"other": problem.get("other", "")}
    if problem.get("column"):
        return _("Row %(row)s, %(column)s: %(message)s.") % {
            "row": problem.get("row"),
            "column": problem["column"],
            "message": message,
        }
    return _("Row %(row)s: %(message)s.") % {"row": problem.get("row"), "message": message}


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    fields: dict[str, int]
    header: list[str]

    def name(self, field_name: str) -> str:
        position = self.fields.get(field_name)
        return self.header[position] if position is not None else ""


def map_columns(header: Sequence[str]) -> Columns:
    """Which column is which; refuses a file without a result column, or without both an
    ID-number and a tube-code column."""
    fields: dict[str, int] = {}
    for position, name in enumerate(header):
        key = parsing._key(name)
        found = _LOOKUP.get(key)
        if found is None:
            for known in sorted(_LOOKUP, key=len, reverse=True):
                if len(known) >= 2 and known in key:
                    found = _LOOKUP[known]
                    break
        if found is not None and found not in fields:
            fields[found] = position
    shown = "、".join(h for h in header if h) or "—"
    problems = []
    if "result" not in fields:
        problems.append(
            ValidationError(
                _("The file has no result column: name it 检测结果 (found: %(columns)s).")
                % {"columns": shown},
                code="no_result",
            )
        )
    if "id_number" not in fields and "tube_code" not in fields:
        problems.append(
            ValidationError(
                _(
                    "The file has neither a tube-code column nor an ID-number column, so no "
                    "row can be matched: name one 试管编码 or 身份证号 (found: %(columns)s)."
                )
                % {"columns": shown},
                code="no_identifier",
            )
        )
    if problems:
        raise ValidationError({"file": problems})
    return Columns(fields=fields, header=list(header))


@dataclass
class LabRow:
    row_number: int
    id_index: str = ""
    tube: str = ""
    result: str = ""
    sampled_at: dt.datetime | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, field_name: str, code: str, columns: Columns, **extra: Any) -> None:
        self.problems.append(
            {
                "row": self.row_number,
                "field": field_name,
                "column": columns.name(field_name),
                "code": code,
                **extra,
            }
        )


def _id_stored_as_number(value: Any) -> bool:
    """A number cell, scientific notation, or 18 digits ending in 000 that fail the check
    digit: what Excel leaves of an ID number kept as a number (15 significant digits)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    text = identity.normalize_digits(str(value))
    if _SCIENTIFIC.fullmatch(text):
        return True
    if re.fullmatch(r"\d{15}000", text):
        return identity.id_check_digit(text[:17]) != text[17]
    return False


def parse_result(value: Any) -> str | None:
    raw = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if raw in _RESULTS:
        return _RESULTS[raw]
    key = parsing._key(raw)
    return _RESULTS.get(key)


def parse_datetime(value: Any) -> dt.datetime:
    """A date-time cell, an Excel serial, or text such as 2022-03-14 08:30 or
    2022年3月14日 8时30分 (local time). Raises ValueError."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value <= 73050:
            raise ValueError("not a date")
        moment = dt.datetime.combine(parsing.EXCEL_EPOCH, dt.time()) + dt.timedelta(days=value)
        moment = moment.replace(microsecond=0)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = _DATETIME.match(text)
        if not match:
            if re.fullmatch(r"\d{1,5}(\.\d+)?", text):
                return parse_datetime(float(text))
            raise ValueError("not a date")
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        moment = dt.datetime(y, mo, d, h, mi, s)
    if not 2000 <= moment.year <= 2100:
        raise ValueError("out of range")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_row(row_number: int, values: Sequence[Any], columns: Columns, now: dt.datetime) -> LabRow:
    row = LabRow(row_number=row_number)

    def cell(name: str) -> Any:
        position = columns.fields.get(name)
        value = values[position] if position is not None and position < len(values) else None
        return None if isinstance(value, str) and not value.strip() else value

    raw_id = cell("id_number")
    if raw_id is not None:
        if _id_stored_as_number(raw_id):
            row.problem("id_number", "id_stored_as_number", columns)
        else:
            try:
                rid = identity.parse_resident_id(str(raw_id), check_division=False)
            except ValidationError:
                row.problem("id_number", "id_invalid", columns)
            else:
                row.id_index = register_rows.id_number_index(rid.number)
    raw_tube = cell("tube_code")
    if raw_tube is not None:
        tube = samples.normalize_tube_code(raw_tube)
        if samples.tube_code_problem(tube):
            row.problem("tube_code", "tube_invalid", columns)
        else:
            row.tube = tube
    if raw_id is None and raw_tube is None:
        row.problem("__all__", "no_identifier", columns)
    raw_result = cell("result")
    if raw_result is None:
        row.problem("result", "result_missing", columns)
    else:
        result = parse_result(raw_result)
        if result is None:
            row.problem("result", "result_unknown", columns)
        else:
            row.result = result
    raw_at = cell("sampled_at")
    if raw_at is not None:
        try:
            row.sampled_at = parse_datetime(raw_at)
        except (ValueError, OverflowError):
            row.problem("sampled_at", "sampled_at_invalid", columns)
        else:
            if row.sampled_at > now + samples.CLOCK_SKEW:
                row.problem("sampled_at", "sampled_at_future", columns)
    return row


def _limited(rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise TableFileError(
                "too_many_rows",
                _("A results file may have at most %(max)s rows; split the file."),
                {"max": f"{MAX_ROWS:,}"},
            )
        yield row


def read_rows(source: Any, filename: str) -> tuple[Columns, list[LabRow]]:
    now = clock.now()
    with read_table(source, filename=filename, max_bytes=UPLOAD_MAX_BYTES) as table:
        columns = map_columns(table.header)
        rows = [parse_row(n, values, columns, now) for n, values in _limited(table.rows())]
    if not rows:
        raise ValidationError({"file": [_("The file has a header but no rows.")]})
    return columns, rows


# --- matching and applying -------------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@dataclass
class Plan:
    outcomes: dict[int, str]  # row number -> outcome
    problems: list[dict[str, Any]]
    updates: dict[int, tuple[Sample, str]]  # sample id -> (sample, result)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(self.outcomes.values())
        counts = {outcome: counter.get(outcome, 0) for outcome in OUTCOMES}
        counts["rows"] = len(self.outcomes)
        counts["positive"] = sum(
            1 for _s, result in self.updates.values() if result == SampleResult.POSITIVE
        )
        return counts


def _pick(candidates: list[Sample], at: dt.datetime | None) -> Sample | None:
    """The sample a row by ID number means: among the person's PCR samples (sampled within
    a day of the row's time, when it gives one), the latest waiting one, else the latest."""
    if at is not None:
        candidates = [s for s in candidates if abs(s.sampled_at - at) <= DAY]
    if not candidates:
        return None
    waiting = [s for s in candidates if s.result == SampleResult.PENDING]
    pool = waiting or candidates
    return max(pool, key=lambda s: (s.sampled_at, s.pk))


def plan(*, area_path: str, rows: Sequence[LabRow], columns: Columns) -> Plan:
    """Each row's outcome and the results to write; the samples are locked (call inside a
    transaction)."""
    problems: list[dict[str, Any]] = []
    outcomes: dict[int, str] = {}
    good = [r for r in rows if not r.problems]
    for row in rows:
        if row.problems:
            outcomes[row.row_number] = MALFORMED
            problems.extend(row.problems)
    tubes = sorted({r.tube for r in good if r.tube})
    by_tube: dict[str, Sample] = {}
    for part in _chunks(tubes):
        for sample in (
            Sample.objects.select_for_update().filter(tube_code__in=part).within(area_path)
        ):
            by_tube[sample.tube_code] = sample
    indexes = sorted({r.id_index for r in good if r.id_index})
    person_of: dict[str, int] = {}
    for part in _chunks(indexes):
        person_of.update(
            Person.objects.filter(id_number_index__in=part)
            .within(area_path)
            .values_list("id_number_index", "pk")
        )
    samples_of: dict[int, list[Sample]] = {}
    person_ids = sorted(set(person_of.values()))
    for part in _chunks(person_ids):
        for sample in (
            Sample.objects.select_for_update()
            .filter(person_id__in=part, kind=SampleKind.PCR)
            .within(area_path)
        ):
            samples_of.setdefault(sample.person_id, []).append(sample)

    def fail(row: LabRow, field_name: str, code: str, **extra: Any) -> None:
        row.problem(field_name, code, columns, **extra)
        outcomes[row.row_number] = PROBLEM_OUTCOME[code]
        problems.append(row.problems[-1])

    targets: dict[int, list[tuple[LabRow, Sample]]] = {}
    for row in good:
        person_id = person_of.get(row.id_index) if row.id_index else None
        if row.id_index and person_id is None:
            fail(row, "id_number", "unknown_id")
            continue
        found: Sample | None
        if row.tube:
            found = by_tube.get(row.tube)
            if found is None:
                fail(row, "tube_code", "unknown_tube")
                continue
            if row.id_index and person_id != found.person_id:
                fail(row, "tube_code", "mismatch")
                continue
        else:
            assert person_id is not None
            found = _pick(samples_of.get(person_id, []), row.sampled_at)
            if found is None:
                fail(row, "id_number", "no_pending")
                continue
        sample = found
        targets.setdefault(sample.pk, []).append((row, sample))

    updates: dict[int, tuple[Sample, str]] = {}
    for sample_id, pairs in targets.items():
        sample = pairs[0][1]
        results = {row.result for row, _s in pairs}
        if len(results) > 1:
            first = pairs[0][0].row_number
            for row, _s in pairs:
                other = first if row.row_number != first else pairs[1][0].row_number
                fail(row, "result", "conflict_rows", other=other)
            continue
        (result,) = results
        for position, (row, _s) in enumerate(pairs):
            if sample.result == SampleResult.PENDING and position == 0:
                outcomes[row.row_number] = MATCHED
                updates[sample_id] = (sample, result)
            elif sample.result == result or sample_id in updates:
                outcomes[row.row_number] = ALREADY
            else:
                fail(row, "result", "conflict")
    problems.sort(key=lambda p: (p.get("row") or 0, p.get("field", "")))
    return Plan(outcomes=outcomes, problems=problems, updates=updates)


def apply_rows(
    *, batch: LabBatch, actor: Actor, rows: Sequence[LabRow], columns: Columns
) -> LabBatch:
    """Match the rows and write every matched result, the batch's report, the watch-list
    entries of positives and the audit entry; inside the caller's transaction."""
    result_plan = plan(area_path=batch.area_path, rows=rows, columns=columns)
    now = clock.now()
    changed: list[Sample] = []
    for sample, result in result_plan.updates.values():
        sample.result, sample.result_at, sample.lab_batch = result, now, batch
        sample.updated_at = now
        changed.append(sample)
    for part in _chunks(changed):
        Sample.objects.bulk_update(part, ["result", "result_at", "lab_batch", "updated_at"])
    positives = [s for s in changed if s.result == SampleResult.POSITIVE]
    if positives:
        samples.watch_for_positive(actor=actor, samples=positives)
    counts = result_plan.counts
    batch.status = LabStatus.APPLIED
    batch.counts = counts
    batch.problems = result_plan.problems
    batch.save(update_fields=["status", "counts", "problems", "updated_at"])
    audit_record(
        actor=actor,
        action="lab_batch.apply",
        obj=batch,
        object_label=f"#{batch.pk}",
        area_path=batch.area_path,
        fields=["result"] if changed else [],
        purpose=system_purpose("lab_counts", **counts),
    )
    person_ids = sorted({s.person_id for s in changed})
    if person_ids:
        transaction.on_commit(
            lambda: health_inputs_changed.send(sender=Sample, person_ids=person_ids)
        )
    return batch


def _community_of(area: Area) -> Area:
    if area.kind == AreaKind.COMMUNITY:
        return area
    found = Area.objects.filter(
        kind=AreaKind.COMMUNITY, path__in=scope.ancestors(area.path)
    ).first()
    return found or area


def _sha256(file: Any) -> str:
    digest = hashlib.sha256()
    for chunk in uploads._chunks(file):
        digest.update(chunk)
    return digest.hexdigest()


def _file_path(batch_id: int) -> str:
    return f"{FOLDER}/batch-{batch_id}"


@transaction.atomic
def lab_file_upload(*, actor: Actor, area: Area, file: Any, filename: str = "") -> LabBatch:
    """Load a lab's results file for `area` (a community or a grid where the actor records
    tests). A file that cannot be read, or lacks the columns, is refused on `file` and
    nothing is kept. A small file is applied now (all its matched rows in this transaction,
    or none); a large one is stored and applied by the worker."""
    access.require(actor, Perm.HEALTH_RECORD, area.path)
    errors: dict[str, list[Any]] = {}
    if area.kind not in (AreaKind.COMMUNITY, AreaKind.GRID):
        errors.setdefault("area", []).append(_("Choose a community or a grid."))
    if file is None:
        errors.setdefault("file", []).append(_("Choose the lab's results file (XLSX or CSV)."))
    raise_errors(errors)
    filename = os.path.basename(str(filename or getattr(file, "name", "") or "results"))[:200]
    size = getattr(file, "size", None)
    if size is None:
        size = len(file) if isinstance(file, bytes | bytearray) else UPLOAD_MAX_BYTES + 1
    inline = size <= INLINE_MAX_BYTES
    if inline:
        columns, rows = read_rows(file, filename)
        stored = uploads.StoredFile(path="", size=size, sha256=_sha256(file))
    else:
        with read_table(file, filename=filename, max_bytes=UPLOAD_MAX_BYTES) as table:
            map_columns(table.header)
        stored = uploads.store(file, folder=FOLDER, suffix="", max_bytes=UPLOAD_MAX_BYTES)
    batch = LabBatch.objects.create(
        community=_community_of(area),
        area_path=area.path,
        filename=filename,
        file_sha256=stored.sha256,
        status=LabStatus.APPLYING if inline else LabStatus.QUEUED,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="lab_batch.upload",
        obj=batch,
        object_label=f"#{batch.pk}",
        area_path=area.path,
        purpose=system_purpose("lab_upload", bytes=stored.size),
    )
    if inline:  # read already: the plaintext file is never written
        return apply_rows(batch=batch, actor=actor, rows=rows, columns=columns)
    try:
        os.replace(uploads.absolute(stored.path), uploads.absolute(_file_path(batch.pk)))
    except BaseException:
        uploads.remove(stored.path)
        raise
    _enqueue(batch.pk)
    return batch


def _enqueue(batch_id: int) -> None:
    from gongzhi.health.lab_tasks import apply_lab_batch

    transaction.on_commit(lambda: apply_lab_batch.enqueue(batch_id))


def _claim(batch_id: int) -> LabBatch | None:
    with transaction.atomic():
        batch = LabBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != LabStatus.QUEUED:
            return None
        batch.status = LabStatus.APPLYING
        batch.save(update_fields=["status", "updated_at"])
    return batch


def lab_batch_apply(*, batch_id: int) -> LabBatch:
    """The worker's part for a large file: read, match and apply it, all or nothing; then
    delete the stored file. Safe to run twice (only a queued batch is taken)."""
    batch = _claim(batch_id)
    if batch is None:
        return LabBatch.objects.get(pk=batch_id)
    relative = _file_path(batch.pk)
    try:
        with transaction.atomic():
            try:
                path = uploads.absolute(relative)
            except ValueError:
                path = None
            if path is None or not path.exists():
                raise ValidationError(
                    {"file": [_("The uploaded file is gone; upload the results again.")]}
                )
            columns, rows = read_rows(path, batch.filename)
            apply_rows(batch=batch, actor=None, rows=rows, columns=columns)
    except ValidationError as exc:
        _fail(batch, [m for ms in field_errors(exc).values() for m in ms])
    except Exception as exc:
        logger.exception("applying lab batch %s failed", batch.pk)
        _fail(
            batch,
            [
                _("Applying stopped with an unexpected error (%(error)s); upload the file again.")
                % {"error": type(exc).__name__}
            ],
        )
    finally:
        uploads.remove(relative)  # the file holds ID numbers: never kept past this
    return LabBatch.objects.get(pk=batch_id)


def _fail(batch: LabBatch, messages: list[str]) -> None:
    with transaction.atomic():
        LabBatch.objects.filter(pk=batch.pk).update(
            status=LabStatus.FAILED,
            counts={},
            problems=[
                {"row": None, "field": "file", "code": "file", "message": m} for m in messages
            ],
            updated_at=clock.now(),
        )
        audit_record(
            actor=None,
            action="lab_batch.failed",
            obj=batch,
            object_label=f"#{batch.pk}",
            area_path=batch.area_path,
            fields=["file"],
        )
