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
from django.db.models import CharField
from django.db.models.functions import Cast

from gongzhi.core import scope
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
    straight from the cursor (no model instances: a million rows in about a second)."""
    # The birth date as text: SQLite's date converter would parse a million of them one by
    # one in Python; Polars parses the column at once.
    people = (
        Person.objects.filter(
            scope.q_within("area_path", [area_path]), residency__in=PRESENT_RESIDENCY
        )
        .annotate(birth_text=Cast("birth_date", CharField()))
        .values_list("pk", "area_path", "name", "birth_text", "id_number_index", "phone_index")
    )
    sql, params = people.query.sql_with_params()
    names = ["person_id", "area_path", "name", "birth", "id_index", "phone_index"]
    frames = []
    # A server-side cursor on PostgreSQL (the rows come as they are read), a plain one on
    # SQLite.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        # In batches, each turned into a frame by Polars itself: a million rows as Python
        # column lists would cost twice the time and memory.
        while batch := cursor.fetchmany(FETCH_BATCH):
            frames.append(pl.DataFrame(batch, schema=names, orient="row"))
    if not frames:
        return pl.DataFrame(schema=REGISTER_SCHEMA)
    frame = pl.concat(frames, rechunk=True)
    return frame.with_columns(
        pl.col("person_id").cast(pl.Int64),
        pl.col("birth").cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d"),
        pl.col("id_index").cast(pl.String),
        pl.col("phone_index").cast(pl.String),
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
