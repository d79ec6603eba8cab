"""Plain prepared INSERTs for the import's many rows (the idea of `demo/bulk.py`).

`bulk_create` prepares each value of each row through its field class; for a hundred
thousand persons that is most of the time. Here each column gets one converter, chosen
once: encrypted fields through the field's own `get_prep_value` (which encrypts with the
field's purpose), dates through the backend's adapters, JSON through the field; other
columns go as they are. Columns left out get the field's default, or now() when auto_now.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

from gongzhi.core import clock
from gongzhi.core.fields import EncryptedTextField


def _column(field: models.Field) -> str:
    """A concrete field's column (django-stubs allow None: only for fields without one)."""
    if field.column is None:
        raise ValueError(f"{field.name} has no column")
    return field.column


class Keys:
    """Primary keys for rows about to be inserted into `model`'s table, on SQLite, chosen
    as SQLite would (after the largest key and AUTOINCREMENT's counter), so that the
    caller need not read its rows back to learn them. Only while holding the database's
    write lock: the import's commit takes it at BEGIN (IMMEDIATE), so nobody else inserts
    until it commits."""

    def __init__(self, model: type[models.Model]):
        if connection.vendor != "sqlite" or not connection.in_atomic_block:
            raise RuntimeError("Keys are chosen on SQLite, in the transaction that inserts.")
        table = model._meta.db_table
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({quote(_column(model._meta.pk))}) FROM {quote(table)}")  # noqa: S608
            (largest,) = cursor.fetchone()
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            counted = cursor.fetchone()
        self.next = max(largest or 0, counted[0] if counted else 0) + 1

    def take(self) -> int:
        key = self.next
        self.next += 1
        return key


class Inserter:
    def __init__(
        self, model: type[models.Model], columns: Sequence[str], prepared: Sequence[str] = ()
    ):
        """`prepared`: columns whose values the caller gives already as the database
        takes them (a constant adapted once)."""
        self.model = model
        opts = model._meta
        fields = list(opts.concrete_fields)
        by_attname = {f.attname: f for f in fields}
        unknown = set(columns) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        self.columns = list(columns)
        given = [by_attname[c] for c in columns]
        # Not given: the primary key (the database's), the rest their defaults.
        fixed = [f for f in fields if not f.primary_key and f.attname not in set(columns)]
        self._convert = [None if f.attname in prepared else self._converter(f) for f in given]
        self._converting = [(i, c) for i, c in enumerate(self._convert) if c is not None]
        now = clock.now()
        self._fixed = tuple(
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default(),
                connection,
            )
            for f in fixed
        )
        quote = connection.ops.quote_name
        names = ", ".join(quote(_column(f)) for f in [*given, *fixed])
        marks = ", ".join(["%s"] * (len(given) + len(fixed)))
        # Table and column names come from the model, quoted; values are all parameters.
        self.sql = f"INSERT INTO {quote(opts.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        self._values = f"({marks})"
        self.copy_sql = f"COPY {quote(opts.db_table)} ({names}) FROM STDIN"

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any] | None:
        ops = connection.ops
        if isinstance(field, EncryptedTextField):
            return field.get_prep_value
        if isinstance(field, models.JSONField):
            if connection.vendor == "sqlite":
                # What adapt_json_value does (json.dumps with the field's encoder), with one
                # encoder made once instead of one per value.
                return (field.encoder or json.JSONEncoder)().encode
            return lambda value: ops.adapt_json_value(value, field.encoder)
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        return None

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        if len(values) != len(self._convert):
            raise ValueError(f"{len(values)} values for {len(self._convert)} columns")
        out = [*values, *self._fixed]
        for i, convert in self._converting:
            value = out[i]
            if value is not None:
                out[i] = convert(value)
        return tuple(out)

    def insert_returning(
        self, rows: Iterable[Sequence[Any]], columns: Sequence[str], per_statement: int = 500
    ) -> list[tuple[Any, ...]]:
        """Insert rows made by `row`; give back `columns` of each row inserted (the primary
        key and what tells the rows apart), in no particular order: multi-row INSERTs with
        RETURNING (PostgreSQL; SQLite 3.35 and later), whose order neither promises."""
        rows = list(rows)
        quote = connection.ops.quote_name
        by_attname = {f.attname: _column(f) for f in self.model._meta.concrete_fields}
        returning = " RETURNING " + ", ".join(quote(by_attname[c]) for c in columns)
        head = self.sql[: self.sql.index(" VALUES ")] + " VALUES "
        out: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for start in range(0, len(rows), per_statement):
                part = rows[start : start + per_statement]
                sql = head + ", ".join([self._values] * len(part)) + returning
                cursor.execute(sql, [value for row in part for value in row])
                out.extend(cursor.fetchall())
        return out

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Insert rows made by `row`: COPY on PostgreSQL (psycopg's executemany binds each
        parameter on the client, five times slower), one prepared statement executed for
        many rows on SQLite."""
        rows = list(rows)
        if not rows:
            return 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        return len(rows)
