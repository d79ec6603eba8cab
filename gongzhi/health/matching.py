"""Matching an upstream list against the register, with Polars, on blind indexes only.

Three tiers, strongest first; a row matched by one tier is not offered to the next:

1. the resident ID number's blind index (unique in the register);
2. name + the phone's blind index;
3. name + birth date (from the list's ID number when it is valid but not registered, or
   from a birth-date column).

Tiers 2 and 3 may find several persons (two 王伟 born the same day): the row is then
*ambiguous* and keeps the candidates for the online review. A tier-2 or tier-3 match whose
list ID number differs from the person's is flagged (`id_conflict`). The register is read
as its keys only (id, path, name, birth date, the two blind indexes): nothing is
decrypted. Rows that match nobody are routed by their stated address (`routing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import TextField, Value
from django.db.models.functions import Cast, Concat

from gongzhi.registry.models import PRESENT_RESIDENCY, Person

UPSTREAM_SCHEMA = {
    "row": pl.Int64,
    "name": pl.String,
    "id_index": pl.String,
    "phone_index": pl.String,
    "birth": pl.Date,
}
REGISTER_SCHEMA = {
    "person_id": pl.Int64,
    "area_path": pl.String,
    "name": pl.String,
    "birth": pl.Date,
    "id_index": pl.String,
    "phone_index": pl.String,
}
FETCH_BATCH = 100_000
_SEP = "\x1f"  # the unit separator: in no path, date, blind index or valid name
RESULT_SCHEMA = {
    "row": pl.Int64,
    "person_id": pl.Int64,
    "tier": pl.String,
    "candidates": pl.List(pl.Int64),
    "id_conflict": pl.Boolean,
}


def upstream_frame(rows: Sequence[Any]) -> pl.DataFrame:
    """The matching keys of parsed rows (`parsing.Row`, in ascending row order, as read);
    empty keys become nulls. `match` returns its result in the same order."""
    frame = pl.DataFrame(
        {
            "row": [r.row_number for r in rows],
            "name": [r.name or None for r in rows],
            "id_index": [r.id_index or None for r in rows],
            "phone_index": [r.phone_index or None for r in rows],
            "birth": [r.birth_date for r in rows],
        },
        schema=UPSTREAM_SCHEMA,
    )
    if not frame.get_column("row").is_sorted():
        raise ValueError("upstream rows must come in ascending row order")
    return frame


def register_frame(area_path: str) -> pl.DataFrame:
    """The keys of the persons registered (present) under `area_path`, read in one query
    straight from the cursor (no model instances: a million rows in a few seconds)."""
    # Each row comes as one text, its keys joined by a separator the database puts in, and
    # Polars splits each batch at once: one Python object a row instead of six. The name
    # comes last: it is the only key that could hold any character, and the split stops
    # at the fifth separator. No ORDER BY: the model's default ordering made the database
    # sort the whole register first, and `match` does not depend on the register's order
    # (docs/benchmarks.md, section 4).
    sep = Value(_SEP)
    key = Concat(
        Cast("pk", TextField()), sep, "area_path", sep, Cast("birth_date", TextField()), sep,
        "id_number_index", sep, "phone_index", sep, "name", output_field=TextField(),
    )  # fmt: skip
    people = (
        Person.objects.within(area_path)
        .filter(residency__in=PRESENT_RESIDENCY)
        .order_by()
        .annotate(register_key=key)
        .values_list("register_key")
    )
    sql, params = people.query.sql_with_params()
    frames = []
    # A server-side cursor on PostgreSQL (the rows come as they are read), a plain one on
    # SQLite. Each batch is split as it comes, so that only the keys are kept.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH_BATCH):
            frames.append(_split_keys(pl.Series([row[0] for row in batch], dtype=pl.String)))
    if not frames:
        return pl.DataFrame(schema=REGISTER_SCHEMA)
    return pl.concat(frames, rechunk=True)


def _split_keys(keys: pl.Series) -> pl.DataFrame:
    fields = ["person_id", "area_path", "birth", "id_index", "phone_index", "name"]
    frame = keys.str.splitn(_SEP, len(fields)).struct.rename_fields(fields).struct.unnest()
    return frame.select(
        pl.col("person_id").cast(pl.Int64),
        "area_path",
        "name",
        pl.col("birth").str.slice(0, 10).str.to_date("%Y-%m-%d"),
        "id_index",
        "phone_index",
    )


def _unique_or_ambiguous(found: pl.DataFrame, tier: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group a tier's join by upstream row: one person is a match, several are ambiguous."""
    grouped = found.group_by("row").agg(
        pl.col("person_id").unique().sort().alias("candidates"),
        pl.col("reg_id_index").first(),
        pl.col("id_index").first(),
    )
    grouped = grouped.with_columns(pl.col("candidates").list.len().alias("n"))
    unique = grouped.filter(pl.col("n") == 1).select(
        "row",
        pl.col("candidates").list.first().alias("person_id"),
        pl.lit(tier).alias("tier"),
        "candidates",
        (pl.col("id_index").is_not_null() & (pl.col("reg_id_index") != "")).alias("id_conflict"),
    )
    ambiguous = grouped.filter(pl.col("n") > 1).select(
        "row",
        pl.lit(None, dtype=pl.Int64).alias("person_id"),
        pl.lit("ambiguous").alias("tier"),
        "candidates",
        pl.lit(False).alias("id_conflict"),
    )
    return unique, ambiguous


def match(upstream: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """One result row per upstream row: person_id (or null), tier, candidates, id_conflict."""
    reg = register.rename({"id_index": "reg_id_index"})
    by_id = (
        upstream.filter(pl.col("id_index").is_not_null())
        .join(
            reg.filter(pl.col("reg_id_index") != "").select("reg_id_index", "person_id"),
            left_on="id_index",
            right_on="reg_id_index",
            how="inner",
        )
        .select(
            "row",
            "person_id",
            pl.lit("id_number").alias("tier"),
            pl.concat_list("person_id").alias("candidates"),
            pl.lit(False).alias("id_conflict"),
        )
    )
    rest = upstream.join(by_id.select("row"), on="row", how="anti")
    parts = [by_id]
    for tier, keys, usable in (
        ("name_phone", ["name", "phone_index"], reg.filter(pl.col("phone_index") != "")),
        ("name_birth", ["name", "birth"], reg),
    ):
        candidates = rest.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        found = candidates.select("row", "id_index", *keys).join(
            usable.select("person_id", "reg_id_index", *keys), on=keys, how="inner"
        )
        unique, ambiguous = _unique_or_ambiguous(found, tier)
        parts += [unique, ambiguous]
        rest = rest.join(found.select("row").unique(), on="row", how="anti")
    unmatched = rest.select(
        "row",
        pl.lit(None, dtype=pl.Int64).alias("person_id"),
        pl.lit("none").alias("tier"),
        pl.lit([], dtype=pl.List(pl.Int64)).alias("candidates"),
        pl.lit(False).alias("id_conflict"),
    )
    parts.append(unmatched)
    result = pl.concat([p.cast(RESULT_SCHEMA) for p in parts], how="vertical")  # type: ignore[arg-type]
    return result.sort("row")


def bare_join(upstream: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """The lower bound the benchmark compares against: one left join on the ID index."""
    return upstream.join(register.select("id_index", "person_id"), on="id_index", how="left")
