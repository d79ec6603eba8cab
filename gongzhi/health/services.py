"""Writes of the health module: upstream lists and their matching, the follow-up of
watch-list entries, vaccinations.

Each service checks the actor's permission through `accounts.access` (`actor=None` is the
system: the worker, the demo), validates every field (all problems at once, by field),
writes and appends its audit entry in one transaction; task enqueues run on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose, typed_purpose
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, IllegalTransition, field_errors
from gongzhi.core.fields import reveal
from gongzhi.core.tabular import MiB, TableFileError, read_table
from gongzhi.core.validation import merge_errors, raise_errors
from gongzhi.health import matching, parsing, selectors, uploads
from gongzhi.health.models import UpstreamList, Vaccination, WatchEntry, WatchEvent
from gongzhi.health.routing import AddressRouter
from gongzhi.health.states import (
    ALLOWED_TRANSITIONS,
    CLOSING_OUTCOMES,
    OPEN_STATUSES,
    Action,
    EntryStatus,
    ListKind,
    ListStatus,
    Outcome,
    Tier,
    VerificationMethod,
)
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person
from gongzhi.registry.services import reveal_purpose

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

logger = logging.getLogger(__name__)

UPLOAD_MAX_BYTES = 20 * MiB
MAX_ROWS = 500_000
NAME_MAX = 100
SOURCE_MAX = 100
NOTE_MIN = 2
NOTE_MAX = 500
STALE_MATCHING = dt.timedelta(minutes=30)  # a match running this long has died
UPLOAD_FOLDER = "uploads/upstream"
BATCH = 2000


def _clean_text(value: Any) -> str:
    return parsing._text(value)


# --- upstream lists ----------------------------------------------------------------------------


@transaction.atomic
def upstream_list_upload(
    *,
    actor: Actor,
    area: Area,
    file: Any,
    filename: str = "",
    name: str = "",
    kind: str = ListKind.ARRIVALS,
    source: str = "",
) -> UpstreamList:
    """Store an upstream list for `area` and queue its match (after commit).

    The file is checked now (a spreadsheet, not too large, a header with an ID-number or
    phone column); its rows are read, normalised and matched by the worker.
    """
    if actor is not None and not access.can(actor, Perm.WATCHLIST_UPLOAD, area.path):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    filename = Path(_clean_text(filename or getattr(file, "name", "") or "")).name[:200]
    name = _clean_text(name) or Path(filename).stem or _("Upstream list")
    if len(name) > NAME_MAX:
        errors.setdefault("name", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": NAME_MAX, "count": len(name)}
        )
    source = _clean_text(source)
    if len(source) > SOURCE_MAX:
        errors.setdefault("source", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": SOURCE_MAX, "count": len(source)}
        )
    if kind not in ListKind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of list."))
    if area.kind in (AreaKind.BUILDING, AreaKind.COMPOUND, AreaKind.ROOT):
        errors.setdefault("area", []).append(
            _("Upload a list for a community, a street or a grid.")
        )
    if file is None:
        errors.setdefault("file", []).append(_("Choose the list's file (XLSX or CSV)."))
        raise_errors(errors)
    columns: parsing.ColumnMap | None = None
    fmt = ""
    try:
        with read_table(file, filename=filename, max_bytes=UPLOAD_MAX_BYTES) as table:
            columns = parsing.map_columns(table.header)
            fmt = table.format
    except ValidationError as exc:  # TableFileError, or no ID / phone column
        merge_errors(errors, exc)
    raise_errors(errors)
    assert columns is not None
    stored = uploads.store(file, folder=UPLOAD_FOLDER, suffix=f".{fmt}", max_bytes=UPLOAD_MAX_BYTES)
    try:
        upstream_list = UpstreamList.objects.create(
            area=area,
            area_path=area.path,
            name=name,
            kind=kind,
            source=source,
            filename=filename or f"list.{fmt}",
            file_path=stored.path,
            file_size=stored.size,
            file_sha256=stored.sha256,
            file_format=fmt,
            columns=columns.as_json(),
            uploaded_by=actor,
        )
        audit_record(
            actor=actor,
            action="upstream_list.upload",
            obj=upstream_list,
            area_path=area.path,
            fields=sorted(columns.fields),
        )
    except BaseException:
        uploads.remove(stored.path)
        raise
    _enqueue_match(upstream_list)
    return upstream_list


def _enqueue_match(upstream_list: UpstreamList) -> None:
    from gongzhi.health.tasks import match_upstream_list

    list_id = upstream_list.pk
    transaction.on_commit(lambda: match_upstream_list.enqueue(list_id))


@transaction.atomic
def upstream_list_rematch(*, actor: Actor, upstream_list: UpstreamList) -> UpstreamList:
    """Queue the match again: after it failed, died while running, or was never picked up
    by a worker (the match is claimed under a row lock, so queueing twice is harmless)."""
    upstream_list = UpstreamList.objects.select_for_update().get(pk=upstream_list.pk)
    access.require(actor, Perm.WATCHLIST_UPLOAD, upstream_list.area_path)
    if not _may_run(upstream_list, clock.now()):
        if upstream_list.status == ListStatus.MATCHED:
            message = _("This list is already matched; its watch list is complete.")
        else:
            message = _("This list is being matched now.")
        raise ValidationError({"status": [ValidationError(message, code="not_failed")]})
    if not upstream_list.file_path:
        raise ValidationError({"file": [_("The uploaded file is gone; upload the list again.")]})
    upstream_list.status = ListStatus.UPLOADED
    upstream_list.errors = {}
    upstream_list.save(update_fields=["status", "errors", "updated_at"])
    audit_record(
        actor=actor,
        action="upstream_list.rematch",
        obj=upstream_list,
        area_path=upstream_list.area_path,
    )
    _enqueue_match(upstream_list)
    return upstream_list


def _may_run(upstream_list: UpstreamList, now: dt.datetime) -> bool:
    if upstream_list.status in (ListStatus.UPLOADED, ListStatus.FAILED):
        return True
    started = upstream_list.match_started_at
    return upstream_list.status == ListStatus.MATCHING and (
        started is None or now - started > STALE_MATCHING
    )


def _claim(list_id: int) -> UpstreamList | None:
    with transaction.atomic():
        upstream_list = UpstreamList.objects.select_for_update().filter(pk=list_id).first()
        if upstream_list is None or not _may_run(upstream_list, clock.now()):
            return None
        upstream_list.status = ListStatus.MATCHING
        upstream_list.match_started_at = clock.now()
        upstream_list.attempts += 1
        upstream_list.save(update_fields=["status", "match_started_at", "attempts", "updated_at"])
    return upstream_list


def _fail(upstream_list: UpstreamList, errors: dict[str, list[str]]) -> None:
    with transaction.atomic():
        UpstreamList.objects.filter(pk=upstream_list.pk).update(
            status=ListStatus.FAILED, errors=errors, updated_at=clock.now()
        )
        audit_record(
            actor=None,
            action="upstream_list.match_failed",
            obj=upstream_list,
            area_path=upstream_list.area_path,
            fields=sorted(errors),
        )


def upstream_list_match(*, upstream_list_id: int) -> UpstreamList:
    """Read, match and route the list's rows into its watch list, all or nothing.

    Safe to run twice: a list that is matched (or being matched) is left alone. A failure
    leaves no entry, marks the list failed with the reason, and keeps the file for
    `upstream_list_rematch`.
    """
    upstream_list = _claim(upstream_list_id)
    if upstream_list is None:
        return UpstreamList.objects.get(pk=upstream_list_id)
    try:
        with transaction.atomic():
            rows = _read_rows(upstream_list)
            match_rows(upstream_list=upstream_list, rows=rows)
    except ValidationError as exc:
        _fail(upstream_list, field_errors(exc))
    except Exception as exc:
        logger.exception("matching upstream list %s failed", upstream_list.pk)
        _fail(
            upstream_list,
            {
                "__all__": [
                    _("The match stopped with an unexpected error (%(error)s); run it again.")
                    % {"error": type(exc).__name__}
                ]
            },
        )
    else:
        path = upstream_list.file_path
        UpstreamList.objects.filter(pk=upstream_list.pk).update(file_path="")
        # Matched: the rows live on encrypted in the entries; the plaintext file goes.
        transaction.on_commit(lambda: uploads.remove(path))
    return UpstreamList.objects.get(pk=upstream_list_id)


def _limited(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise TableFileError(
                "too_many_rows",
                _("A list may have at most %(max)s rows; split the file."),
                {"max": f"{MAX_ROWS:,}"},
            )
        yield row


def _read_rows(upstream_list: UpstreamList) -> list[parsing.Row]:
    if not upstream_list.file_path:
        raise ValidationError({"file": [_("The uploaded file is gone; upload the list again.")]})
    try:
        path = uploads.absolute(upstream_list.file_path)
    except ValueError:
        raise ValidationError({"file": [_("The uploaded file is gone.")]}) from None
    if not path.exists():
        raise ValidationError({"file": [_("The uploaded file is gone; upload the list again.")]})
    with read_table(path, filename=upstream_list.filename, max_bytes=UPLOAD_MAX_BYTES) as table:
        columns = parsing.map_columns(table.header)
        rows = parsing.parse_rows(_limited(table.rows()), columns)
    if not rows:
        raise ValidationError({"file": [_("The list has a header but no rows.")]})
    return rows


def match_rows(*, upstream_list: UpstreamList, rows: Sequence[parsing.Row]) -> list[WatchEntry]:
    """Match parsed rows against the list area's register and write the watch list.

    Call inside a transaction (`upstream_list_match` does). Entries already written for
    the list (a re-run) are replaced.
    """
    plan = plan_entries(upstream_list=upstream_list, rows=rows)
    WatchEntry.objects.filter(upstream_list=upstream_list).delete()
    joined = _join_open_entries(upstream_list, plan.entries)
    if joined:
        plan.counts["merged"] = len(joined)
    for start in range(0, len(plan.entries), BATCH):
        WatchEntry.objects.bulk_create(plan.entries[start : start + BATCH])
    _record_joined(upstream_list, joined)
    now = clock.now()
    upstream_list.status = ListStatus.MATCHED
    upstream_list.counts = plan.counts
    upstream_list.errors = {}
    upstream_list.matched_at = now
    upstream_list.save(update_fields=["status", "counts", "errors", "matched_at", "updated_at"])
    audit_record(
        actor=None,
        action="upstream_list.match",
        obj=upstream_list,
        area_path=upstream_list.area_path,
        fields=["entries"],
        purpose=system_purpose(
            "match_counts", counts=", ".join(f"{k} {v}" for k, v in sorted(plan.counts.items()))
        ),
    )
    return plan.entries


def _join_open_entries(
    upstream_list: UpstreamList, entries: Sequence[WatchEntry]
) -> list[WatchEntry]:
    """Rows about a person who already has an open entry (from a declaration or an earlier
    list) join it (`merged_into`): the watch list shows one task per person, not two."""
    person_ids = sorted({e.person_id for e in entries if e.person_id})
    open_by_person: dict[int, int] = {}
    for start in range(0, len(person_ids), BATCH):
        found = (
            WatchEntry.objects.filter(
                person_id__in=person_ids[start : start + BATCH],
                status__in=OPEN_STATUSES,
                merged_into__isnull=True,
            )
            .exclude(upstream_list=upstream_list)
            .order_by("created_at", "pk")
            .values_list("person_id", "pk")
        )
        for person_id, entry_id in found:
            open_by_person.setdefault(person_id, entry_id)
    joined = []
    for entry in entries:
        if entry.person_id in open_by_person:
            entry.merged_into_id = open_by_person[entry.person_id]
            joined.append(entry)
    return joined


def _record_joined(upstream_list: UpstreamList, joined: Sequence[WatchEntry]) -> None:
    now = clock.now()
    events = [
        WatchEvent(
            entry_id=entry.merged_into_id,
            at=now,
            action="listed",
            data={"upstream_list": upstream_list.pk, "row": entry.row_number, "entry": entry.pk},
        )
        for entry in joined
        if entry.merged_into_id is not None
    ]
    for start in range(0, len(events), BATCH):
        WatchEvent.objects.bulk_create(events[start : start + BATCH])


@dataclass
class Placement:
    """One row per upstream row, in row order: `matching.match`'s columns (row, person_id,
    tier, candidates, id_conflict) and where the row is followed up (area_path, grid_id,
    assignee_id: the responsible grid worker)."""

    frame: pl.DataFrame


def place_rows(*, area_path: str, rows: Sequence[parsing.Row]) -> Placement:
    """Match rows (in row order) against the register under `area_path`, route the rows
    that match nobody by their address, and find each one's responsible grid worker.

    Matched rows are placed in Polars (the person's building; its grid is the building's
    parent); only the unmatched rows go through the address router in Python.
    """
    register = matching.register_frame(area_path)
    result = matching.match(matching.upstream_frame(rows), register)
    placed = result.with_row_index("i").join(
        register.select("person_id", "area_path"),
        on="person_id",
        how="left",
        maintain_order="left",
    )
    unmatched = placed.filter(pl.col("area_path").is_null()).select("i", "tier", "candidates")
    ambiguous = unmatched.filter(pl.col("tier") == Tier.AMBIGUOUS)
    candidate_ids = set(ambiguous.get_column("candidates").explode().drop_nulls().to_list())
    candidate_paths = (
        dict(Person.objects.filter(pk__in=candidate_ids).values_list("pk", "area_path"))
        if candidate_ids
        else {}
    )
    options = dict(
        zip(
            ambiguous.get_column("i").to_list(),
            ambiguous.get_column("candidates").to_list(),
            strict=True,
        )
    )
    router = AddressRouter(area_path)
    routed: list[str] = []
    indexes = unmatched.get_column("i").to_list()
    for i in indexes:
        destination = router.route(rows[i].address)
        if destination is not None:
            routed.append(destination.area_path)
            continue
        where = {candidate_paths.get(pid) for pid in options.get(i, ())}
        only = where.pop() if len(where) == 1 else None
        routed.append(only if only is not None else area_path)
    routes = pl.DataFrame(
        {"i": indexes, "routed": routed}, schema={"i": pl.UInt32, "routed": pl.String}
    )
    grids = dict(
        Area.objects.filter(kind=AreaKind.GRID).within(area_path).values_list("path", "pk")
    )
    workers = selectors.responsible_grid_workers(grids)
    lookup = pl.DataFrame(
        {
            "grid_path": list(grids),
            "grid_id": list(grids.values()),
            "assignee_id": [getattr(workers.get(p), "pk", None) for p in grids],
        },
        schema={"grid_path": pl.String, "grid_id": pl.Int64, "assignee_id": pl.Int64},
    )
    # A building's grid is its tree parent; a row routed to a grid (or left at the list's
    # area) is its own "grid path", and has a grid only if that is a grid.
    frame = (
        placed.join(routes, on="i", how="left", maintain_order="left")
        .with_columns(pl.coalesce("area_path", "routed").alias("area_path"))
        .with_columns(
            pl.when(pl.col("area_path").is_in(lookup.get_column("grid_path").implode()))
            .then(pl.col("area_path"))
            .otherwise(pl.col("area_path").str.head(-scope.STEP))
            .alias("grid_path")
        )
        .join(lookup, on="grid_path", how="left", maintain_order="left")
        .drop("i", "routed", "grid_path")
    )
    return Placement(frame=frame)


class Plan:
    def __init__(self, entries: list[WatchEntry], counts: dict[str, int]):
        self.entries = entries
        self.counts = counts


def plan_entries(*, upstream_list: UpstreamList, rows: Sequence[parsing.Row]) -> Plan:
    """The entries the rows become (unsaved): matched, routed and assigned."""
    frame = place_rows(area_path=upstream_list.area_path, rows=rows).frame
    entries: list[WatchEntry] = []
    counts: Counter[str] = Counter()
    for row, path, grid_id, assignee_id, person_id, tier, candidates, conflict in zip(
        rows,
        *(
            frame.get_column(c).to_list()
            for c in (
                "area_path",
                "grid_id",
                "assignee_id",
                "person_id",
                "tier",
                "candidates",
                "id_conflict",
            )
        ),
        strict=True,
    ):
        counts[tier] += 1
        counts["rows"] += 1
        if row.problems:
            counts["with_problems"] += 1
        if grid_id is None:
            counts["unrouted"] += 1
        if assignee_id is None:
            counts["unassigned"] += 1
        entries.append(
            WatchEntry(
                upstream_list=upstream_list,
                row_number=row.row_number,
                name=row.name,
                id_number=row.id_number,
                id_number_index=row.id_index,
                phone=row.phone,
                phone_index=row.phone_index,
                birth_date=row.birth_date,
                origin=row.origin,
                arrival_date=row.arrival_date,
                source=row.source or upstream_list.source,
                address=row.address,
                problems=row.problems,
                tier=tier,
                person_id=person_id,
                candidates=list(candidates) if tier == Tier.AMBIGUOUS else [],
                id_conflict=bool(conflict),
                area_path=path,
                grid_id=grid_id,
                assignee_id=assignee_id,
            )
        )
    return Plan(entries, dict(counts))


# --- following an entry up -------------------------------------------------------------------


def _note(errors: dict[str, list[str]], data: Mapping[str, Any], required: bool) -> str:
    note = _clean_text(data.get("note"))
    if required and len(note) < NOTE_MIN:
        errors.setdefault("note", []).append(
            _("Write what was found, in at least %(min)d characters.") % {"min": NOTE_MIN}
        )
    if len(note) > NOTE_MAX:
        errors.setdefault("note", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": NOTE_MAX, "count": len(note)}
        )
    return note[:NOTE_MAX]


def _place_at_person(entry: WatchEntry, person: Person) -> None:
    entry.person = person
    entry.area_path = person.area_path
    grid_path = person.area_path[: -scope.STEP]
    entry.grid = Area.objects.filter(path=grid_path, kind=AreaKind.GRID).first()
    entry.assignee = selectors.responsible_grid_workers([grid_path])[grid_path]


@transaction.atomic
def watch_entry_transition(
    *, actor: Actor, entry: WatchEntry, action: str, data: Mapping[str, Any] | None = None
) -> WatchEntry:
    """Move an entry along review → verification → outcome (or dismiss, or reopen).

    `data` per action: review — `note`, and for an ambiguous entry optionally `person`
    (one of its candidates' ids); dismiss — `note`; verify — `method`, `found` (bool),
    `note`, `verified_on` (default today); close — `outcome`, `note`; reopen — `note`.
    """
    data = data or {}
    entry = WatchEntry.objects.select_for_update().get(pk=entry.pk)
    perm = Perm.WATCHLIST_UPLOAD if action == Action.REOPEN else Perm.WATCHLIST_FOLLOW_UP
    access.require(actor, perm, entry.area_path)
    if action not in ALLOWED_TRANSITIONS:
        raise ValidationError({"action": [ValidationError(_("Unknown action."), code="unknown")]})
    sources, target = ALLOWED_TRANSITIONS[action]
    if entry.status not in sources:
        # Like a work order's: the entry moved on meanwhile (409), not a field's problem.
        raise IllegalTransition(
            _("“%(action)s” is not possible for an entry that is “%(status)s”.")
            % {"action": Action(action).label, "status": EntryStatus(entry.status).label}
        )
    errors: dict[str, list[str]] = {}
    now = clock.now()
    fields: list[str] = ["status"]
    event_data: dict[str, Any] = {}
    if action == Action.REVIEW:
        note = _note(errors, data, required=True)
        chosen = data.get("person")
        person = None
        if chosen not in (None, "", 0):
            try:
                chosen_id = int(chosen)
            except (TypeError, ValueError):
                chosen_id = -1
            if entry.tier != Tier.AMBIGUOUS or chosen_id not in entry.candidates:
                errors.setdefault("person", []).append(
                    _("Choose one of the persons this entry may be.")
                )
            else:
                person = Person.objects.filter(pk=chosen_id).first()
        raise_errors(errors)
        entry.review_note, entry.reviewed_at = note, now
        fields += ["review_note"]
        if person is not None:
            _place_at_person(entry, person)
            entry.tier = Tier.NAME_BIRTH if entry.birth_date else Tier.NAME_PHONE
            fields += ["person", "area_path", "assignee"]
            event_data["person"] = person.pk
    elif action == Action.DISMISS:
        note = _note(errors, data, required=True)
        raise_errors(errors)
        entry.review_note, entry.reviewed_at = note, now
        entry.outcome, entry.closed_at = Outcome.DISMISSED, now
        fields += ["review_note", "outcome"]
    elif action == Action.VERIFY:
        note = _note(errors, data, required=True)
        method = data.get("method") or ""
        if method not in VerificationMethod.values:
            errors.setdefault("method", []).append(_("Choose how the verification was made."))
        found = data.get("found")
        if not isinstance(found, bool):
            errors.setdefault("found", []).append(
                _("Say whether the person was found at the address.")
            )
        verified_on = data.get("verified_on") or clock.today()
        if not isinstance(verified_on, dt.date):
            errors.setdefault("verified_on", []).append(_("Enter a date as YYYY-MM-DD."))
        elif verified_on > clock.today():
            errors.setdefault("verified_on", []).append(_("The date cannot be in the future."))
        raise_errors(errors)
        entry.verification_method, entry.found = method, found
        entry.verification_note, entry.verified_on = note, verified_on
        fields += ["verification_method", "found", "verification_note", "verified_on"]
        event_data.update(method=method, found=found, verified_on=verified_on.isoformat())
    elif action == Action.CLOSE:
        note = _note(errors, data, required=False)
        outcome = data.get("outcome") or ""
        if outcome not in CLOSING_OUTCOMES:
            errors.setdefault("outcome", []).append(_("Choose the outcome."))
        raise_errors(errors)
        entry.outcome, entry.outcome_note, entry.closed_at = outcome, note, now
        fields += ["outcome", "outcome_note"]
        event_data["outcome"] = outcome
    else:  # reopen
        note = _note(errors, data, required=True)
        raise_errors(errors)
        entry.outcome, entry.outcome_note, entry.closed_at = "", "", None
        entry.review_note, entry.reviewed_at = "", None
        entry.verification_method, entry.found = "", None
        entry.verification_note, entry.verified_on = "", None
        fields += ["outcome"]
    previous = entry.status
    entry.status = target
    entry.save()
    WatchEvent.objects.create(
        entry=entry,
        at=now,
        actor=actor,
        action=action,
        from_status=previous,
        to_status=target,
        note=note,
        data=event_data,
    )
    audit_record(
        actor=actor,
        action=f"watchlist.{action}",
        obj=entry,
        area_path=entry.area_path,
        fields=fields,
    )
    return entry


@transaction.atomic
def watch_entry_assign(
    *, actor: Actor, entry: WatchEntry, grid: Area | None = None, assignee: Any = None
) -> WatchEntry:
    """Route an unmatched entry to a grid, and/or give the entry to another follower.

    Without `assignee`, the grid's responsible grid worker takes it. A matched entry stays
    where its person lives; only its assignee can change.
    """
    entry = (
        WatchEntry.objects.select_for_update(of=("self",))
        .select_related("upstream_list")
        .get(pk=entry.pk)
    )
    access.require(actor, Perm.WATCHLIST_UPLOAD, entry.area_path)
    errors: dict[str, list[str]] = {}
    if grid is None and assignee is None:
        errors.setdefault("grid", []).append(_("Choose a grid or a person to follow it up."))
    if grid is not None:
        if entry.person_id is not None:
            errors.setdefault("grid", []).append(
                _("This entry is a registered person's; it stays with the person's grid.")
            )
        elif grid.kind != AreaKind.GRID or not grid.path.startswith(selectors.entry_home(entry)):
            errors.setdefault("grid", []).append(_("Choose a grid of the list's area."))
        else:
            access.require(actor, Perm.WATCHLIST_UPLOAD, grid.path)
    if entry.status == EntryStatus.CLOSED:
        errors.setdefault("grid", []).append(_("A closed entry is not reassigned; reopen it."))
    raise_errors(errors)
    old = (entry.area_path, entry.assignee_id)
    if grid is not None:
        entry.area_path, entry.grid = grid.path, grid
        if assignee is None:
            entry.assignee = selectors.responsible_grid_workers([grid.path])[grid.path]
    if assignee is not None:
        if not access.can(assignee, Perm.WATCHLIST_FOLLOW_UP, entry.area_path):
            raise ValidationError(
                {"assignee": [_("No one with this id may follow up entries in this area.")]}
            )
        entry.assignee = assignee
    entry.save()
    WatchEvent.objects.create(
        entry=entry,
        at=clock.now(),
        actor=actor,
        action="assign",
        from_status=entry.status,
        to_status=entry.status,
        data={
            "grid": entry.grid_id,
            "assignee": entry.assignee_id,
            "was": {"area_path": old[0], "assignee": old[1]},
        },
    )
    audit_record(
        actor=actor,
        action="watchlist.assign",
        obj=entry,
        area_path=entry.area_path,
        fields=["grid", "assignee"],
    )
    return entry


REVEALABLE = ("phone", "id_number")


@transaction.atomic
def watch_entry_reveal(*, actor: Actor, entry: WatchEntry, field: str, purpose: str) -> str:
    """The list's own full phone or ID number of an entry (for a call or a visit), for a
    role that may reveal the register's there, with the purpose audited — as
    `registry.services.person_reveal`, whose rules on the purpose it shares."""
    if field not in REVEALABLE:
        raise ValidationError({"field": [_("Only the ID number or the phone can be revealed.")]})
    access.require(actor, Perm.REGISTER_REVEAL, entry.area_path)
    purpose = reveal_purpose(purpose)
    audit_record(
        actor=actor,
        action="watchlist.reveal",
        obj=entry,
        area_path=entry.area_path,
        fields=[field],
        purpose=typed_purpose(purpose),
    )
    return reveal(getattr(entry, field))


# --- vaccinations ------------------------------------------------------------------------------

VACCINE_MAX = 60
SITE_MAX = 100
MAX_DOSE = 5


@transaction.atomic
def vaccination_record(
    *,
    actor: Actor,
    person: Person,
    dose: int,
    vaccine: str,
    vaccinated_on: dt.date,
    site: str = "",
) -> Vaccination:
    """Record a dose given to a person (entered by staff, or on the resident's behalf)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    # The register's keepers, and whoever records health (the doctor at a session).
    if not access.can(actor, Perm.HEALTH_RECORD, person.area_path):
        access.require(actor, Perm.REGISTER_EDIT, person.area_path)
    errors: dict[str, list[str]] = {}
    vaccine = _clean_text(vaccine)
    site = _clean_text(site)
    if not vaccine:
        errors.setdefault("vaccine", []).append(_("Enter the vaccine."))
    elif len(vaccine) > VACCINE_MAX:
        errors.setdefault("vaccine", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": VACCINE_MAX, "count": len(vaccine)}
        )
    if len(site) > SITE_MAX:
        errors.setdefault("site", []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": SITE_MAX, "count": len(site)}
        )
    if person.residency not in PRESENT_RESIDENCY:
        errors.setdefault("person", []).append(_("This person is no longer registered here."))
    if not isinstance(dose, int) or not 1 <= dose <= MAX_DOSE:
        errors.setdefault("dose", []).append(
            _("The dose is a number from 1 to %(max)d.") % {"max": MAX_DOSE}
        )
        dose = 0
    if not isinstance(vaccinated_on, dt.date):
        errors.setdefault("vaccinated_on", []).append(_("Enter a date as YYYY-MM-DD."))
    elif vaccinated_on > clock.today():
        errors.setdefault("vaccinated_on", []).append(_("The date cannot be in the future."))
    elif vaccinated_on < person.birth_date:
        errors.setdefault("vaccinated_on", []).append(
            _("The date cannot be before the birth date.")
        )
    if dose:
        given = dict(person.vaccinations.values_list("dose", "vaccinated_on"))
        if dose in given:
            errors.setdefault("dose", []).append(
                _("Dose %(dose)d is already recorded for this person.") % {"dose": dose}
            )
        elif dose > 1 and dose - 1 not in given:
            errors.setdefault("dose", []).append(
                _("Record dose %(previous)d first.") % {"previous": dose - 1}
            )
        elif dose > 1 and isinstance(vaccinated_on, dt.date) and vaccinated_on <= given[dose - 1]:
            errors.setdefault("vaccinated_on", []).append(
                _("A dose comes after the previous one (%(date)s).")
                % {"date": given[dose - 1].isoformat()}
            )
    raise_errors(errors)
    vaccination = Vaccination.objects.create(
        person=person,
        dose=dose,
        vaccine=vaccine,
        vaccinated_on=vaccinated_on,
        site=site,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="vaccination.record",
        obj=vaccination,
        object_label=f"{person.audit_label} #{dose}",
        area_path=person.area_path,
        fields=["dose", "vaccine", "vaccinated_on", "site"],
    )
    return vaccination
