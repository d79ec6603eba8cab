"""What the check learnt about each row, kept for the commit so it need not read and check
the file again (that was a third of the commit's time).

One JSON line per chunk of rows in `<upload>.staged` beside the upload (mode 0600): a row that
passed the cell checks as the values the register stores — the ID number and phone as
their ciphertexts (encrypted with their purposes, as the model field would) and blind
indexes, never the plaintext — or a row's problems. The first line names the file's hash
and the mapping it was made with; a commit uses the staged rows only when both still
match, and otherwise reads the file. What depends on the register (who is already there,
which household) is always decided at commit time, against the register as it is then;
so is whether each building is still there and in the committer's area.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from gongzhi.core.fields import Sealed
from gongzhi.imports.rows import Buildings, RowPlan
from gongzhi.registry import rows as row_rules

FORMAT = 3  # 2: a line per chunk, not per row; 3: warnings and new buildings


class StageWriter:
    def __init__(self, path: Path, header: dict[str, Any]):
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        self.handle.write(json.dumps({"format": FORMAT, **header}) + "\n")

    def write(self, plans: list[RowPlan]) -> None:
        records: list[list[Any]] = []
        for plan in plans:
            if plan.problems:
                # Its warnings too: the commit lists them with its problems, as the check.
                listed = (*plan.problems, *plan.warnings)
                records.append([plan.row, 0, [list(p) for p in listed]])
                continue
            records.append(
                [
                    plan.row,
                    1,
                    plan.name,
                    plan.name_pinyin,
                    plan.name_initials,
                    _token(plan.id_number, row_rules.seal_id_number),
                    plan.id_index,
                    plan.id_masked,
                    plan.birth_date.isoformat() if plan.birth_date else None,
                    plan.gender,
                    _token(plan.phone, row_rules.seal_phone) if plan.phone else None,
                    plan.phone_index,
                    plan.phone_masked,
                    plan.building.pk if plan.building else None,
                    plan.unit,
                    plan.room,
                    plan.relation,
                    plan.residency,
                    plan.ethnicity,
                    sorted(plan.tags) if plan.tags is not None else None,
                    plan.moved_in_on.isoformat() if plan.moved_in_on else None,
                    plan.notes,
                    [list(w) for w in plan.warnings],
                    # A building to be made (if confirmed): found again by its names.
                    list(plan.place[1:3]) if plan.place and plan.building is None else None,
                ]
            )
        self.handle.write(json.dumps(records, ensure_ascii=False) + "\n")

    def close(self, *, keep: bool) -> None:
        self.handle.close()
        if keep:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _token(value: Any, seal: Callable[[str], Sealed]) -> str:
    """The ciphertext of a value the engine sealed already, or of a plain one."""
    return value.token if isinstance(value, Sealed) else seal(value).token


def staged_rows(path: Path, header: dict[str, Any]) -> Iterator[list[Any]] | None:
    """The staged rows, if the file exists and was made for this file and mapping."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the generator
    except OSError:
        return None
    first = handle.readline()
    try:
        made = json.loads(first)
    except ValueError:
        made = None
    if made != {"format": FORMAT, **header}:
        handle.close()
        return None

    def rows() -> Iterator[list[Any]]:
        with handle:
            for line in handle:
                yield from json.loads(line)

    return rows()


def plan_of(record: list[Any], buildings: Buildings) -> RowPlan:
    """A staged row as the plan the engine settles; its building checked again."""
    if not record[1]:
        plan = RowPlan(row=record[0])
        plan.problems = [tuple(p) for p in record[2]]
        return plan
    (row, _ok, name, pinyin, initials, id_token, id_index, id_masked, birth, gender,
     phone_token, phone_index, phone_masked, building_id, unit, room, relation, residency,
     ethnicity, tags, moved_in, notes, warnings, new_building) = record  # fmt: skip
    plan = RowPlan(
        row=row,
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        id_number=row_rules.sealed_id_number(id_token),
        id_index=id_index,
        id_masked=id_masked,
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        gender=gender,
        phone=row_rules.sealed_phone(phone_token) if phone_token else None,
        phone_index=phone_index,
        phone_masked=phone_masked or "",
        unit=unit,
        room=room,
        relation=relation,
        residency=residency,
        ethnicity=ethnicity,
        tags=frozenset(tags) if tags is not None else None,
        moved_in_on=dt.date.fromisoformat(moved_in) if moved_in else None,
        notes=notes,
        warnings=[tuple(w) for w in warnings],
    )
    if building_id is None and new_building:
        # Waiting for a new building: made by now if the importer confirmed it.
        plan.building = buildings.resolve(plan, *new_building)
        return plan
    building = buildings.by_id.get(building_id)
    if building is None:
        plan.problem(
            "building", "unknown_building", _("This building is no longer in the register.")
        )
    elif not buildings.allows(building):
        plan.problem(
            "building",
            "out_of_scope",
            _("Building “%(building)s” is outside your area; you may not import into it.")
            % {"building": building.name},
        )
    else:
        plan.building = building
    return plan
