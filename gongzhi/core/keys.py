"""Key management: find every encrypted column, re-encrypt it, recompute blind indexes.

Encrypted columns are found by field type (`EncryptedTextField`) across all installed
models, so a new app's personal data is rotated without this module knowing about it.
A field that names its blind-index column (`blind_index_field`) gets that recomputed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField, Sealed


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    return [
        EncryptedColumn(model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def _rows(column: EncryptedColumn, batch: int) -> Iterator[list[tuple[int, str]]]:
    """(pk, token) of every non-empty value, in pk order, a batch at a time."""
    name = column.field.attname
    last = None
    base = column.model._default_manager.exclude(**{name: ""}).order_by("pk")
    while True:
        page = base.filter(pk__gt=last) if last is not None else base
        rows = [(pk, value.token) for pk, value in page.values_list("pk", name)[:batch]]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def key_usage() -> dict[str, Counter[str]]:
    """For each encrypted column: how many values each key id encrypts."""
    ring = crypto.keyring()
    usage: dict[str, Counter[str]] = {}
    for column in encrypted_columns():
        counts: Counter[str] = Counter()
        for rows in _rows(column, 5000):
            counts.update(ring.key_id_of(token) for _, token in rows)
        usage[column.label] = counts
    return usage


def reencrypt(*, only_key: str | None = None, batch: int = 2000) -> int:
    """Re-encrypt values with the active key (all values, or those under `only_key`).

    Each batch is its own transaction, so a large table does not hold one long lock and an
    interrupted run can simply be started again: values already under the active key are
    skipped.
    """
    ring = crypto.keyring()
    changed = 0
    for column in encrypted_columns():
        purpose = column.field.purpose
        for rows in _rows(column, batch):
            todo = [
                (pk, token)
                for pk, token in rows
                if ring.key_id_of(token) != ring.active
                and (only_key is None or ring.key_id_of(token) == only_key)
            ]
            if not todo:
                continue
            with transaction.atomic():
                objects = []
                for pk, token in todo:
                    plain = ring.decrypt(token, purpose)
                    obj = column.model(pk=pk)
                    setattr(
                        obj,
                        column.field.attname,
                        Sealed(ring.encrypt(plain, purpose), purpose, column.field.mask),
                    )
                    objects.append(obj)
                column.model._default_manager.bulk_update(objects, [column.field.attname])
            changed += len(todo)
    return changed


def reindex(*, batch: int = 2000) -> int:
    """Recompute every blind index from the decrypted values (after an index-key change)."""
    ring = crypto.keyring()
    changed = 0
    for column in encrypted_columns():
        index_field = column.field.blind_index_field
        if not index_field:
            continue
        purpose = column.field.purpose
        for rows in _rows(column, batch):
            with transaction.atomic():
                objects = []
                for pk, token in rows:
                    obj = column.model(pk=pk)
                    # Services store values normalised, so the plaintext is the index input.
                    value = ring.decrypt(token, purpose)
                    setattr(obj, index_field, ring.blind_index(value, purpose))
                    objects.append(obj)
                column.model._default_manager.bulk_update(objects, [index_field])
            changed += len(rows)
    return changed
