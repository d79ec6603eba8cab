"""Spreadsheets for import tests, and a way to run a phase as the worker would."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.utils import translation

from gongzhi.core.tabular import write_csv
from gongzhi.imports import services
from gongzhi.imports.models import ImportBatch

HEADER = ["姓名", "身份证号", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "标签"]


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER, encoding="utf-8-sig") -> bytes:
    out = io.BytesIO()
    # write_csv escapes formula triggers, which a person's data never starts with.
    write_csv(out, header, rows, encoding=encoding)
    return out.getvalue()


def upload(actor, data: bytes, filename: str = "register.xlsx", **kwargs) -> ImportBatch:
    return services.import_upload(actor=actor, file=io.BytesIO(data), filename=filename, **kwargs)


def run(batch: ImportBatch, phase: str, actor) -> ImportBatch:
    """Ask for a phase and run it right away, as `gongzhi worker` would."""
    batch = services.import_request(actor=actor, batch=batch, phase=phase)
    services.import_run(
        batch_id=batch.pk, phase=phase, attempt=batch.attempt, language=translation.get_language()
    )
    batch.refresh_from_db()
    return batch


def check_and_commit(batch: ImportBatch, actor) -> ImportBatch:
    batch = run(batch, "check", actor)
    return run(batch, "commit", actor)


def outcomes(batch: ImportBatch, phase: str | None = None) -> dict[int, list[Any]]:
    return {o[0]: o for o in services.import_outcomes(batch, phase=phase)}


@pytest.fixture
def row_for(world):
    """A row of the standard header for building 1栋 of 玉岭花园 (grid A1)."""

    def make(name, id_number, phone="", unit="1", room="301", relation="户主", tags="", **kw):
        building = kw.get("building", "1栋")
        compound = kw.get("compound", "玉岭花园")
        return [name, id_number, phone, compound, building, unit, room, relation, tags]

    return make
