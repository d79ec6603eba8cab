"""Applying a checked spreadsheet to the register, a few thousand rows at a time.

The same code runs twice: as a *check* (`write=False`: nothing is written, every row's
outcome is computed — new, updated with which fields, unchanged, or its problems) and as
the *commit* (`write=True`, inside the caller's one transaction). Rows are matched with
the register by the blind index of their ID number; households by building, unit and
room. What is written is what the services store: the rows and history entries come
from `registry.rows`, as `registry.services.person_create` and `household_create` make
them (the same encrypted columns with their purposes, blind indexes, pinyin keys, area
paths, addresses, masked history values); this module adds the batching.
`tests/test_consistency.py` compares the two paths column by column.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import sqlite3
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, models
from django.utils.translation import gettext as _

from gongzhi.core import clock, scope
from gongzhi.imports.bulk import Inserter, Keys
from gongzhi.imports.mapping import column_labels
from gongzhi.imports.rows import (
    Buildings,
    RowPlan,
    Vocabulary,
    building_key,
    compound_key,
    parse_row,
)
from gongzhi.imports.staging import StageWriter, plan_of
from gongzhi.registry import rows as row_rules
from gongzhi.registry.models import (
    Area,
    Household,
    HouseholdStatus,
    Person,
    PersonTag,
    RegisterChange,
    Relation,
    Residency,
    Tag,
)
from gongzhi.registry.rows import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from gongzhi.registry.services import REGISTERED_ELSEWHERE

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

_PERSON = connection.ops.quote_name(Person._meta.db_table)
_HOUSEHOLD = connection.ops.quote_name(Household._meta.db_table)
_PERSON_TAG = connection.ops.quote_name(PersonTag._meta.db_table)
_TAG = connection.ops.quote_name(Tag._meta.db_table)
_EXISTING_SQL = (
    "SELECT p.id, p.id_number_index, p.household_id, p.area_path, p.name, p.phone, "  # noqa: S608
    "p.phone_index, p.relation, p.residency, p.ethnicity, p.notes, p.moved_in_on, "
    "p.version, h.address, h.head_id, h.building_id "
    f"FROM {_PERSON} p JOIN {_HOUSEHOLD} h ON h.id = p.household_id WHERE"
)
_TAGS_SQL = (
    f"SELECT pt.person_id, t.code FROM {_PERSON_TAG} pt "  # noqa: S608
    f"JOIN {_TAG} t ON t.id = pt.tag_id WHERE"
)

CHUNK_ROWS = 2000
BUILDING_CACHE = 256  # buildings whose households are kept in memory (files go by building)

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"

# How the commit learns the keys of the rows it adds (see `Engine._insert_new`).
PREDICT, READ_BACK, RETURNING, BULK_CREATE = "predict", "read_back", "returning", "bulk_create"
NEW_KEYS = ""  # "": the measured best for the database; the benchmark sets the others


def new_keys_method() -> str:
    if NEW_KEYS:
        return NEW_KEYS
    return PREDICT if connection.vendor == "sqlite" else READ_BACK


CHANGE_COLUMNS = ("at", "actor_id", "household_id", "person_id", "action", "changes", "note")
TAG_COLUMNS = ("person_id", "tag_id", "added_by_id")


@dataclass(slots=True)
class Dwelling:
    household_id: int  # negative: a household this check would create
    head_id: int | None
    address: str
    area_path: str
    new: bool = False


@dataclass(slots=True)
class Existing:
    pk: int
    household_id: int
    area_path: str
    name: str
    phone_token: str
    phone_index: str
    relation: str
    residency: str
    ethnicity: str
    notes: str
    moved_in_on: dt.date | None
    version: int
    household_address: str
    household_head_id: int | None
    building_id: int
    tags: set[str] = field(default_factory=set)


@dataclass
class Counts:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    households: int = 0
    warned: int = 0  # imported rows with a value left out, listed for correction


# A note on a row that is not a warning (the row's values are all imported).
NOTE_CODES = frozenset({"possible_duplicate"})


def warned(outcome: list[Any]) -> bool:
    """Was the row imported (or would it be) with a value left out for correction?"""
    return outcome[1] != ERROR and any(
        isinstance(d, list) and d[1] not in NOTE_CODES for d in outcome[3] or ()
    )


Outcome = list[Any]  # [row, outcome, person id | None, details]


class Engine:
    def __init__(
        self,
        *,
        community: Area,
        scope_paths: list[str],
        mapping: dict[str, int],
        write: bool,
        actor: Actor = None,
        note: str = "",
        processes: int = 1,
        stage: StageWriter | None = None,
        header: list[str] | None = None,
    ):
        self.processes = processes
        # The file's own header of each mapped field, for messages naming a column.
        self.labels = column_labels(mapping, header) if header is not None else {}
        # Buildings the rows name that are not in the area: proposed ("new") or asked
        # about ("questions"), with their row counts (see `places`).
        self.new_buildings: dict[tuple[str, str], dict[str, Any]] = {}
        self.questions: dict[tuple[str, str], dict[str, Any]] = {}
        self.stage = stage
        self.community = community
        self.scope_paths = scope_paths
        self.mapping = mapping
        self.write = write
        self.actor_id = getattr(actor, "pk", None)
        self.note = note[: row_rules.HISTORY_NOTE_MAX]
        self.today = clock.today()
        self.now = clock.now()
        self.buildings = Buildings(community, scope_paths)
        self.vocabulary = Vocabulary()
        self.tag_ids = {code: pk for pk, code in _tag_rows()}
        self.seen: SeenIds | None = SeenIds()
        self.dwellings: OrderedDict[int, dict[tuple[str, str], Dwelling]] = OrderedDict()
        self.counts = Counts()
        self._fake_household = 0
        self._building_by_id: dict[int, Area] = {}
        # How the commit learns the keys of the rows it adds: see `_insert_new`.
        self.new_keys = new_keys_method() if write else ""
        if self.new_keys == PREDICT:
            self.keys: dict[type[models.Model], Keys] = {
                Person: Keys(Person),
                Household: Keys(Household),
            }
        if write:
            pk = ("id",) if self.new_keys == PREDICT else ()
            self.persons = Inserter(Person, pk + PERSON_COLUMNS)
            self.households = Inserter(Household, pk + HOUSEHOLD_COLUMNS)
            # `at` is the same for every history row: adapted once, given as is.
            self.changes = Inserter(RegisterChange, CHANGE_COLUMNS, prepared=("at",))
            self.now_db = connection.ops.adapt_datetimefield_value(self.now)
            self.person_tags = Inserter(PersonTag, TAG_COLUMNS)
            self._inserted = 0
            self._analyze_at = 10 * CHUNK_ROWS

    # --- driving ---------------------------------------------------------------------------
    def run(
        self,
        rows: Iterable[tuple[int, list[Any]]],
        on_chunk: Callable[[list[Outcome], Counts], None],
    ) -> Counts:
        """Process every row; `on_chunk` gets each chunk's outcomes (to store them).

        With `processes` > 1 the rows are read and checked (ID numbers, phones, names,
        blind indexes: the CPU-bound part) in that many forked processes, a few chunks
        ahead, while this process compares with the register and writes.
        """
        try:
            if self.processes <= 1:
                for chunk in _chunks(rows, CHUNK_ROWS):
                    on_chunk(self.chunk(chunk), self.counts)
                return self.counts
            _FORKED.update(engine=self)
            context = multiprocessing.get_context("fork")
            with context.Pool(self.processes) as pool:
                pending: deque[Any] = deque()
                for chunk in _chunks(rows, CHUNK_ROWS):
                    pending.append(pool.apply_async(_parse_forked, (chunk,)))
                    if len(pending) > self.processes * 2:
                        plans = self._unpack(pending.popleft().get())
                        on_chunk(self.settle(plans), self.counts)
                while pending:
                    on_chunk(self.settle(self._unpack(pending.popleft().get())), self.counts)
            _FORKED.clear()
            return self.counts
        finally:
            if self.seen is not None:
                self.seen.close()

    def run_staged(
        self,
        records: Iterable[list[Any]],
        on_chunk: Callable[[list[Outcome], Counts], None],
    ) -> Counts:
        """Process the rows as the check staged them (see `staging`): no file to read,
        no cells to check again; the register is compared and written as in `run`."""
        # The check staged a row repeating an earlier ID number as a row with a problem:
        # the staged rows' ID numbers are unique, no need to look for repeats again.
        self.seen = None
        for chunk in _chunks(records, CHUNK_ROWS):
            on_chunk(self.settle([plan_of(r, self.buildings) for r in chunk]), self.counts)
        return self.counts

    def parse(self, rows: list[tuple[int, list[Any]]]) -> list[RowPlan]:
        plans = [
            parse_row(n, v, self.mapping, self.buildings, self.vocabulary, self.today, self.labels)
            for n, v in rows
        ]
        if self.stage is not None:
            # The staged rows carry ciphertexts: encrypt here, where (with `processes` >
            # 1) the forked readers do it, not the process that writes.
            for plan in plans:
                if not plan.problems:
                    plan.id_number = row_rules.seal_id_number(plan.id_number)
                    if plan.phone:
                        plan.phone = row_rules.seal_phone(plan.phone)
        return plans

    def _unpack(self, plans: list[RowPlan]) -> list[RowPlan]:
        """Plans from a forked process carry building ids: the buildings again."""
        by_id = self.buildings.by_id
        for plan in plans:
            if plan.building is not None:
                plan.building = by_id[plan.building]  # type: ignore[index]
        return plans

    def chunk(self, rows: list[tuple[int, list[Any]]]) -> list[Outcome]:
        return self.settle(self.parse(rows))

    def settle(self, plans: list[RowPlan]) -> list[Outcome]:
        """Compare checked rows with the register; write them when committing."""
        self.counts.total += len(plans)
        # Rows with other problems count too: their ID number is in the file, so a later
        # row repeating it is a duplicate now, not on the next upload.
        repeats = (
            self.seen.repeats([(p.id_index, p.row) for p in plans if p.id_index])
            if self.seen is not None
            else {}
        )
        for plan in plans:
            first = repeats.get(plan.row)
            if first is not None:
                plan.problem(
                    "id_number",
                    "duplicate_in_file",
                    _("The same ID number is on row %(row)d of this file.") % {"row": first},
                )
        if self.stage is not None:
            self.stage.write(plans)
        for plan in plans:
            if plan.place is not None:
                self._place(plan)
        valid = [p for p in plans if not p.problems]
        existing = self._existing([p.id_index for p in valid])
        self._load_dwellings({p.building.pk for p in valid if p.building is not None})
        work = _Work()
        outcomes: dict[int, Outcome] = {}
        for plan in plans:
            if not plan.problems:
                self._plan_row(plan, existing.get(plan.id_index), work)
            if plan.problems:
                self.counts.failed += 1
                details = [list(p) for p in (*plan.problems, *plan.warnings)]
                outcomes[plan.row] = [plan.row, ERROR, None, details]
        twins = self._look_alikes([plan for plan, _pk in work.created])
        if self.write:
            self._apply(work)
        for plan, person_id in work.created:
            self.counts.created += 1
            pk = person_id or work.new_ids.get(plan.id_index)
            outcomes[plan.row] = [plan.row, CREATED, pk, twins.get(plan.row, [])]
        for plan, person, changed in work.updated:
            self.counts.updated += 1
            outcomes[plan.row] = [plan.row, UPDATED, person.pk, sorted(changed)]
        for plan, person in work.unchanged:
            self.counts.unchanged += 1
            outcomes[plan.row] = [plan.row, UNCHANGED, person.pk, []]
        for plan in valid:
            if plan.warnings and not plan.problems:
                self.counts.warned += 1
                outcomes[plan.row][3].extend(list(w) for w in plan.warnings)
        return [outcomes[p.row] for p in plans]

    def _place(self, plan: RowPlan) -> None:
        """A row whose building is not in the area: counted with its building; a row
        waiting for a new building is held unless the building was made (the commit
        makes confirmed ones before it starts, so they resolve as any other)."""
        kind, compound, building, extra = plan.place  # type: ignore[misc]
        key = (compound_key(compound), building_key(building))  # 5栋 and 5号楼: one building
        if kind == "question":
            entry = self.questions.setdefault(
                key, {"compound": compound, "building": building, "where": extra, "rows": 0}
            )
            entry["rows"] += 1
            return
        if plan.problems or plan.building is not None:
            return
        entry = self.new_buildings.setdefault(
            key, {"compound": compound, "building": building, "new_compound": extra, "rows": 0}
        )
        entry["rows"] += 1
        if self.write:
            message = _(
                "Building “%(building)s” of %(compound)s is not in the register and was not "
                "created (the new buildings were not confirmed): the row is not imported."
            )
        else:
            message = _(
                "Building “%(building)s” of %(compound)s is not in the register: it will be "
                "created if you confirm the new buildings; otherwise the row is not imported."
            )
        plan.problem(
            "building", "new_building", message % {"building": building, "compound": compound}
        )

    def places(self) -> dict[str, Any]:
        """The buildings to propose and to ask about, for the preview (sorted by name)."""
        return {
            "new": [self.new_buildings[k] for k in sorted(self.new_buildings)],
            "questions": [self.questions[k] for k in sorted(self.questions)],
        }

    # --- reading the register ------------------------------------------------------------------
    def _existing(self, indexes: list[str]) -> dict[str, Existing]:
        """The registered persons with these ID indexes (locked when committing), with
        their tags: two plain queries a chunk (the ORM's handling of an `IN` of a few
        thousand values cost more than the queries)."""
        if not indexes:
            return {}
        lock = " FOR UPDATE OF p" if self.write and connection.vendor == "postgresql" else ""
        rows = _select_in(
            _EXISTING_SQL,
            "p.id_number_index",
            indexes,
            lock,
        )
        found: dict[str, Existing] = {}
        by_pk: dict[int, Existing] = {}
        for pk, index, household, path, name, phone, phone_index, *rest in rows:
            person = Existing(pk, household, path, name, phone or "", phone_index, *rest)
            if isinstance(person.moved_in_on, str):  # SQLite gives dates as text
                person.moved_in_on = dt.date.fromisoformat(person.moved_in_on)
            found[index] = by_pk[pk] = person
        if by_pk:
            tags = _select_in(
                _TAGS_SQL,
                "pt.person_id",
                list(by_pk),
            )
            for person_id, code in tags:
                by_pk[person_id].tags.add(code)
        return found

    def _look_alikes(self, plans: list[RowPlan]) -> dict[int, list[list[str]]]:
        """New rows that look like someone already registered (same name, birth date and
        phone, another ID number): proposed for merging once imported."""
        by_phone = {p.phone_index: p for p in plans if p.phone_index}
        if not by_phone:
            return {}
        found: dict[int, list[list[str]]] = {}
        rows = _select_in(
            f"SELECT phone_index, name, birth_date, id FROM {_PERSON} WHERE",  # noqa: S608
            "phone_index",
            list(by_phone),
        )
        for phone_index, name, birth_date, pk in rows:
            plan = by_phone[phone_index]
            if isinstance(birth_date, str):
                birth_date = dt.date.fromisoformat(birth_date)
            if plan.name == name and plan.birth_date == birth_date:
                message = _(
                    "Looks like person #%(id)d of the register (same name, birth date and "
                    "phone, another ID number): it will be proposed for merging."
                ) % {"id": pk}
                found.setdefault(plan.row, []).append(["id_number", "possible_duplicate", message])
        return found

    def _load_dwellings(self, building_ids: set[int]) -> None:
        missing = [b for b in building_ids if b not in self.dwellings]
        for building_id in building_ids - set(missing):
            self.dwellings.move_to_end(building_id)
        if not missing:
            return
        for building_id in missing:
            self.dwellings[building_id] = {}
        rows = (
            Household.objects.filter(building_id__in=missing)
            .exclude(status=HouseholdStatus.CLOSED)
            .values_list("building_id", "unit", "room", "pk", "head_id", "address", "area_path")
        )
        for building_id, unit, room, pk, head, address, path in rows:
            self.dwellings[building_id][(unit, room)] = Dwelling(pk, head, address, path)
        while len(self.dwellings) > BUILDING_CACHE:
            self.dwellings.popitem(last=False)

    def _dwelling(self, plan: RowPlan, work: _Work) -> Dwelling:
        building = plan.building
        assert building is not None
        if building.pk not in self.dwellings:
            self._load_dwellings({building.pk})
        homes = self.dwellings[building.pk]
        found = homes.get((plan.unit, plan.room))
        if found is None:
            self._fake_household -= 1
            found = Dwelling(
                self._fake_household,
                None,
                row_rules.address_of(building, plan.unit, plan.room),
                building.path,
                new=True,
            )
            homes[(plan.unit, plan.room)] = found
            work.new_households.append((building, plan.unit, plan.room, found))
            self.counts.households += 1
        return found

    # --- deciding ---------------------------------------------------------------------------
    def _plan_row(self, plan: RowPlan, person: Existing | None, work: _Work) -> None:
        if person is not None and not scope.within(person.area_path, self.scope_paths):
            # Names no community, as the register's own answer (registry.services).
            plan.problem("id_number", "registered_elsewhere", REGISTERED_ELSEWHERE)
            return
        if person is not None and person.residency == Residency.DECEASED:
            plan.problem(
                "id_number", "deceased", _("This person is recorded as deceased in the register.")
            )
            return
        home = self._dwelling(plan, work)
        if person is None:
            work.created.append((plan, None))
            work.create_homes.append(home)
            return
        changes: dict[str, list[Any]] = {}
        values: dict[str, Any] = {}
        if plan.name != person.name:
            changes["name"] = [person.name, plan.name]
            values.update(
                name=plan.name, name_pinyin=plan.name_pinyin, name_initials=plan.name_initials
            )
        if plan.phone is not None and plan.phone_index != person.phone_index:
            old = row_rules.sealed_phone(person.phone_token).masked if person.phone_token else None
            changes["phone"] = [old, plan.phone_masked]
            values.update(phone=plan.phone, phone_index=plan.phone_index)
        for name in ("relation", "ethnicity", "notes", "moved_in_on"):
            new = getattr(plan, name)
            old = getattr(person, name)
            if new is not None and new != old:
                changes[name] = [row_rules.shown(old), row_rules.shown(new)]
                values[name] = new
        residency = plan.residency
        if residency is None and person.residency == Residency.MOVED_OUT:
            residency = Residency.LIVING  # on the list again: moved back in
        if residency is not None and residency != person.residency:
            changes["residency"] = [person.residency, residency]
            values["residency"] = residency
            if person.residency == Residency.MOVED_OUT and residency != Residency.MOVED_OUT:
                values["moved_out_on"] = None
        moved = home.household_id != person.household_id
        if moved:
            changes["household"] = [person.household_address, home.address]
        if plan.tags is not None and set(plan.tags) != person.tags:
            changes["tags"] = [sorted(person.tags), sorted(plan.tags)]
        if not changes:
            work.unchanged.append((plan, person))
            return
        work.updated.append((plan, person, list(changes)))
        work.updates.append((plan, person, home, values, changes, moved))

    # --- writing ------------------------------------------------------------------------------
    def _apply(self, work: _Work) -> None:
        history: list[tuple[Any, ...]] = []
        if work.new_households:
            new = work.new_households

            def households_read_back() -> list[int]:
                ids = {
                    (b, u, r): pk
                    for pk, b, u, r in Household.objects.filter(
                        building_id__in={b.pk for b, *_ in new}
                    )
                    .exclude(status=HouseholdStatus.CLOSED)
                    .values_list("pk", "building_id", "unit", "room")
                }
                return [ids[(b.pk, unit, room)] for b, unit, room, _home in new]

            keys = self._insert_new(
                self.households,
                ("building_id", "unit", "room"),
                [
                    row_rules.household_row(
                        community_id=self.community.pk, building=b, unit=unit, room=room
                    )
                    for b, unit, room, _home in new
                ],
                households_read_back,
            )
            for (*_where, home), key in zip(new, keys, strict=True):
                home.household_id = key
            for _building, _unit, _room, home in work.new_households:
                home.new = False
                history.append(
                    self.changes.row(
                        (
                            self.now_db, self.actor_id, home.household_id, None, "household.create",
                            row_rules.household_created(address=home.address), self.note,
                        )
                    )
                )  # fmt: skip
        # New persons.
        if work.created:
            new_values = [
                row_rules.person_values(_given(plan), today=self.today)
                for plan, _pk in work.created
            ]
            values = [
                row_rules.person_row(
                    household_id=home.household_id, area_path=home.area_path, values=person
                )
                for person, home in zip(new_values, work.create_homes, strict=True)
            ]
            indexes = [plan.id_index for plan, _pk in work.created]

            def persons_read_back() -> list[int]:
                found = _ids_by_index(indexes)
                return [found[index] for index in indexes]

            keys = self._insert_new(self.persons, ("id_number_index",), values, persons_read_back)
            work.new_ids = dict(zip(indexes, keys, strict=True))
            tags: list[tuple[Any, ...]] = []
            heads: list[tuple[int, int]] = []
            for (plan, _pk), home, person in zip(
                work.created, work.create_homes, new_values, strict=True
            ):
                person_id = work.new_ids[plan.id_index]
                relation = person["relation"]
                changes = row_rules.person_created(
                    name=plan.name,
                    id_masked=plan.id_masked,
                    phone_masked=plan.phone_masked,
                    relation=relation,
                    residency=person["residency"],
                    tags=plan.tags or (),
                )
                if plan.tags:
                    tags.extend(
                        self.person_tags.row((person_id, self.tag_ids[c], self.actor_id))
                        for c in sorted(plan.tags)
                    )
                history.append(
                    self.changes.row(
                        (self.now_db, self.actor_id, home.household_id, person_id, "person.create",
                         changes, self.note)
                    )
                )  # fmt: skip
                if relation == Relation.HEAD and home.head_id is None:
                    home.head_id = person_id
                    heads.append((person_id, home.household_id))
            self.person_tags.insert(tags)
            self._set_heads(heads)
        # Changed persons.
        for plan, existing, home, fields, changed, moved in work.updates:
            self._update(plan, existing, home, fields, changed, moved, history)
        self.changes.insert(history)
        self._analyze(len(work.created))

    def _insert_new(
        self,
        table: Inserter,
        natural: tuple[str, ...],
        values: list[tuple[Any, ...]],
        read_back: Callable[[], list[int]],
    ) -> list[int]:
        """Insert new rows (`values` in `table`'s columns, without the key) and give their
        primary keys, in order.

        Measured (docs/benchmarks.md §3, "How the commit learns the new rows' keys";
        `benchmarks/import_register.py --new-keys`), commit time of the same file:
        - SQLite: the keys predicted (`bulk.Keys`, safe only because the commit holds the
          write lock from BEGIN) and rows inserted with `executemany`: 1.00; multi-row
          INSERT … RETURNING (SQLite 3.35+): 1.19 on a quiet machine (1.05–1.07 in CPU
          time on a loaded one); the rows read back by their ID index: 1.15 in CPU time;
          Django's `bulk_create` (RETURNING, values prepared field by field): 2.5 in CPU
          time. So SQLite keeps the prediction.
        - PostgreSQL: COPY, then read back: 1.00; INSERT … RETURNING: 1.78;
          `bulk_create`: 1.80 (COPY is what makes the difference). So it reads back.
        The other methods stay for the benchmark, and the consistency test runs each.
        RETURNING gives rows in no promised order: they are matched by `natural`."""
        if self.new_keys == BULK_CREATE:
            model = table.model
            names = [c for c in table.columns if c != "id"]
            objects = [model(**dict(zip(names, row, strict=True))) for row in values]
            model._default_manager.bulk_create(objects)
            return [obj.pk for obj in objects]
        if self.new_keys == RETURNING:
            columns = [c for c in table.columns if c != "id"]
            where = [columns.index(c) for c in natural]
            returned = table.insert_returning([table.row(row) for row in values], ("id", *natural))
            by_natural = {tuple(found[1:]): found[0] for found in returned}
            return [by_natural[tuple(row[i] for i in where)] for row in values]
        if self.new_keys == PREDICT:
            keyer = self.keys[table.model]
            keys = [keyer.take() for _row in values]
            table.insert(table.row((key, *row)) for key, row in zip(keys, values, strict=True))
            return keys
        table.insert(table.row(row) for row in values)
        return read_back()

    def _analyze(self, inserted: int) -> None:
        """On PostgreSQL, refresh the planner's statistics of the tables the next chunks
        look up, each time this import has doubled the rows it added. Autovacuum cannot
        see rows of a transaction not yet committed: a register loaded from empty was
        planned as the empty table it was, and each chunk's lookups then read the whole
        table. ANALYZE within the transaction counts its own rows."""
        if connection.vendor != "postgresql" or not inserted:
            return
        self._inserted += inserted
        if self._inserted < self._analyze_at:
            return
        self._analyze_at = self._inserted * 2
        with connection.cursor() as cursor:
            for table in (_PERSON, _HOUSEHOLD, _PERSON_TAG):
                cursor.execute(f"ANALYZE {table}")

    def _update(
        self,
        plan: RowPlan,
        person: Existing,
        home: Dwelling,
        values: dict[str, Any],
        changes: dict[str, list[Any]],
        moved: bool,
        history: list[tuple[Any, ...]],
    ) -> None:
        now = self.now
        if moved:
            values["household_id"] = home.household_id
            values["area_path"] = home.area_path
            # As person_move_in: the old household loses its head if it was this person.
            if person.household_head_id == person.pk:
                Household.objects.filter(pk=person.household_id, head_id=person.pk).update(
                    head=None, updated_at=now
                )
                for other in self.dwellings.get(person.building_id, {}).values():
                    if other.household_id == person.household_id:
                        other.head_id = None
        if values:
            values["version"] = person.version + 1
            values["updated_at"] = now
            Person.objects.filter(pk=person.pk).update(**values)
        if "tags" in changes:
            wanted = set(plan.tags or ())
            PersonTag.objects.filter(person_id=person.pk).exclude(tag__code__in=wanted).delete()
            self.person_tags.insert(
                self.person_tags.row((person.pk, self.tag_ids[c], self.actor_id))
                for c in sorted(wanted - person.tags)
            )
            if not values:
                Person.objects.filter(pk=person.pk).update(
                    version=person.version + 1, updated_at=now
                )
        relation = values.get("relation", person.relation)
        if moved and relation == Relation.HEAD and home.head_id is None:
            home.head_id = person.pk
            self._set_heads([(person.pk, home.household_id)])
        history.append(
            self.changes.row(
                (self.now_db, self.actor_id, home.household_id, person.pk, "person.update", changes,
                 self.note)
            )
        )  # fmt: skip

    def _set_heads(self, heads: list[tuple[int, int]]) -> None:
        if not heads:
            return
        # One statement for the chunk: a CASE over the households' ids.
        now = connection.ops.adapt_datetimefield_value(self.now)
        table = connection.ops.quote_name(Household._meta.db_table)
        cases = " ".join("WHEN %s THEN %s" for _pair in heads)
        marks = ", ".join("%s" for _pair in heads)
        params: list[Any] = [v for person, household in heads for v in (household, person)]
        params += [now, *(household for _person, household in heads)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET head_id = CASE id {cases} END, updated_at = %s "  # noqa: S608
                f"WHERE id IN ({marks}) AND head_id IS NULL",
                params,
            )


class SeenIds:
    """The ID numbers (blind indexes) met so far in a file, with the first row of each, for
    the in-file duplicate check. Kept in a private temporary SQLite database (on disk
    beyond a small page cache, deleted when closed), not in a dict, so that the import's
    memory stays flat however many rows the file has."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def repeats(self, pairs: list[tuple[str, int]]) -> dict[int, int]:
        """`{row: first row with the same ID}` for the rows of `pairs` (in file order)
        whose ID number came before, in an earlier chunk or in this one."""
        if not pairs:
            return {}
        if self._db is None:
            self._db = sqlite3.connect("", isolation_level=None)  # "": temporary, on disk
            self._db.execute("PRAGMA cache_size = -8192")  # 8 MiB, then pages go to disk
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("BEGIN")  # one transaction, never committed: no page writes
            self._db.execute(
                "CREATE TABLE seen (id_index TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID"
            )
        marks = ", ".join("?" * len(pairs))
        first = dict(
            self._db.execute(
                f"SELECT id_index, row FROM seen WHERE id_index IN ({marks})",  # noqa: S608
                [key for key, _row in pairs],
            )
        )
        repeats: dict[int, int] = {}
        new: list[tuple[str, int]] = []
        for key, row in pairs:
            earlier = first.get(key)
            if earlier is None:
                first[key] = row
                new.append((key, row))
            else:
                repeats[row] = earlier
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", new)
        return repeats

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclass
class _Work:
    created: list[tuple[RowPlan, int | None]] = field(default_factory=list)
    create_homes: list[Dwelling] = field(default_factory=list)
    new_households: list[tuple[Area, str, str, Dwelling]] = field(default_factory=list)
    updated: list[tuple[RowPlan, Existing, list[str]]] = field(default_factory=list)
    updates: list[tuple[RowPlan, Existing, Dwelling, dict, dict, bool]] = field(
        default_factory=list
    )
    unchanged: list[tuple[RowPlan, Existing]] = field(default_factory=list)
    new_ids: dict[str, int] = field(default_factory=dict)


def _ids_by_index(indexes: list[str]) -> dict[str, int]:
    """`{id_number_index: pk}` of the persons just inserted."""
    return dict(
        _select_in(
            f"SELECT id_number_index, id FROM {_PERSON} WHERE",  # noqa: S608
            "id_number_index",
            indexes,
        )
    )


_HEX = re.compile(r"[0-9a-f]+")


def _select_in(sql: str, column: str, values: list[Any], suffix: str = "") -> list[tuple]:
    """Rows of `sql` (ending in WHERE) whose `column` is one of `values`, in one plain
    query: an array parameter on PostgreSQL (one value to bind and plan, where 2,000
    placeholders were most of the server's time), placeholders on SQLite.

    On PostgreSQL, keys (whole numbers, or blind indexes: hex digits) go as one text
    that the server splits: psycopg quotes a list parameter element by element in
    Python, which was 7 % of a check's time."""
    if connection.vendor == "postgresql":
        if all(type(v) is int for v in values):
            where = f"{column} = ANY(string_to_array(%s, ',')::bigint[])"
            params: list[Any] = [",".join(map(str, values))]
        elif all(type(v) is str and _HEX.fullmatch(v) for v in values):
            where, params = f"{column} = ANY(string_to_array(%s, ','))", [",".join(values)]
        else:
            where, params = f"{column} = ANY(%s)", [list(values)]
    else:
        where, params = f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {where}{suffix}", params)  # names from the models; values bound
        return cursor.fetchall()


# The engine of the phase being run, for forked processes (inherited, never pickled).
_FORKED: dict[str, Engine] = {}


def _parse_forked(rows: list[tuple[int, list[Any]]]) -> list[RowPlan]:
    plans = _FORKED["engine"].parse(rows)
    for plan in plans:
        if plan.building is not None:
            plan.building = plan.building.pk  # type: ignore[assignment]
    return plans


_OPTIONAL = ("ethnicity", "relation", "residency", "moved_in_on", "notes")


def _given(plan: RowPlan) -> dict[str, Any]:
    """What a checked row gives of a new person (None: the file does not say)."""
    given = {
        "name": plan.name,
        "name_pinyin": plan.name_pinyin,
        "name_initials": plan.name_initials,
        "gender": plan.gender,
        "birth_date": plan.birth_date,
        "id_number": plan.id_number,
        "id_number_index": plan.id_index,
    }
    if plan.phone:
        given["phone"], given["phone_index"] = plan.phone, plan.phone_index
    for name in _OPTIONAL:
        value = getattr(plan, name)
        if value is not None:
            given[name] = value
    return given


def _tag_rows() -> list[tuple[int, str]]:
    return list(Tag.objects.values_list("pk", "code"))


_Row = TypeVar("_Row")


def _chunks(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
