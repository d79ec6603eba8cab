"""Upstream lists for tests: CSV or XLSX bytes built from rows, uploaded and matched
through the real services."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from gongzhi.health import services
from gongzhi.health.models import UpstreamList, WatchEntry

HEADER = ["姓名", "身份证号", "手机号", "来源地", "到达日期", "现住址"]


def csv_bytes(
    rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, encoding="utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def person_row(person, *, address: str = "", origin: str = "武汉市", arrival: str = "2022-03-14"):
    """A list row naming a registered person by their real ID number and phone."""
    return [
        person.name,
        person.id_number.reveal(),
        person.phone.reveal() if person.phone else "",
        origin,
        arrival,
        address,
    ]


def upload(
    area, rows, *, actor=None, header=HEADER, name="测试名单", fmt="csv", **extra
) -> UpstreamList:
    data = xlsx_bytes(rows, header) if fmt == "xlsx" else csv_bytes(rows, header)
    return services.upstream_list_upload(
        actor=actor, area=area, file=data, filename=f"{name}.{fmt}", name=name, **extra
    )


def matched(area, rows, **kwargs) -> UpstreamList:
    upstream_list = upload(area, rows, **kwargs)
    return services.upstream_list_match(upstream_list_id=upstream_list.pk)


def entry_for(person, area, **kwargs) -> WatchEntry:
    """The watch entry of a one-row list naming `person`, matched in `area`."""
    upstream_list = matched(area, [person_row(person)], **kwargs)
    return upstream_list.entries.get()
