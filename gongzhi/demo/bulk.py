"""Plain multi-row INSERTs for the demo's tens of thousands of rows.

`QuerySet.bulk_create` spends most of its time preparing each value of each row through
the field classes; for ~45,000 persons that is most of the demo's load time (and of the
million-person benchmark's). Here each column gets one converter chosen once: dates and
times through the backend's own adapters, encrypted fields through the field's own
`get_prep_value` (which encrypts with the field's purpose), everything else as is.
Columns left out get the field's default, or now() for auto_now fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.db import connection, models

from gongzhi.core import clock
from gongzhi.core.fields import EncryptedTextField


class Inserter:
    """INSERTs into one model's table, given each row as a mapping of attribute names."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        opts = model._meta
        self.fields = [f for f in opts.concrete_fields if not f.primary_key]
        given = set(columns)
        unknown = given - {f.attname for f in self.fields}
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        self.columns = list(columns)
        self._given = [f for f in self.fields if f.attname in given]
        self._given.sort(key=lambda f: self.columns.index(f.attname))
        self._fixed = [f for f in self.fields if f.attname not in given]
        self._convert = [self._converter(f) for f in self._given]
        now = clock.now()
        self._fixed_values = tuple(
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                # A default may be a callable or a model instance: get_default resolves it.
                else f.get_default(),
                connection,
            )
            for f in self._fixed
        )
        quote = connection.ops.quote_name
        # A concrete field always has its column (the stubs allow None for the others).
        names = ", ".join(quote(cast(str, f.column)) for f in [*self._given, *self._fixed])
        # Table and column names come from the model, quoted; values are all parameters.
        self._head = f"INSERT INTO {quote(opts.db_table)} ({names}) VALUES "  # noqa: S608
        self._one = "(" + ", ".join(["%s"] * (len(self._given) + len(self._fixed))) + ")"

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any] | None:
        ops = connection.ops
        if isinstance(field, EncryptedTextField):
            return field.get_prep_value  # encrypts with the field's purpose; "" stays ""
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        return None

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """One row as the database takes it, from values in the order of `columns`."""
        out = [
            value if convert is None or value is None else convert(value)
            for value, convert in zip(values, self._convert, strict=True)
        ]
        return (*out, *self._fixed_values)

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Insert already converted rows (from `row`): one prepared statement, executed
        for many rows (SQLite reuses the statement; psycopg pipelines the executions)."""
        rows = list(rows)
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self._head + self._one, rows)
        return len(rows)
