"""HTTP downloads of a table (kept here only until every caller uses `gongzhi.web.exports`)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import BadRequest
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from gongzhi.core.tabular.writing import csv_chunks, write_xlsx

EXPORT_FORMATS = ("xlsx", "csv", "csv-gbk")


def export_format(value: str | None) -> str:
    """A requested export format, checked: "xlsx", "csv" or "csv-gbk" (400 otherwise)."""
    fmt = (value or "xlsx").lower()
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"unknown export format {value!r}")
    return fmt


def export_response(
    *, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], fmt: str
) -> StreamingHttpResponse:
    """A download of the table: XLSX (built in a temporary file, then streamed) or CSV
    (UTF-8 with BOM, or GB18030 for "csv-gbk", streamed as the rows are produced).

    `filename` may be Chinese and may omit the extension. An unknown `fmt` is a 400.
    """
    fmt = export_format(fmt)
    stem = re.sub(r"\.(xlsx|csv)$", "", filename, flags=re.IGNORECASE) or "export"
    stem = re.sub(r"[\\/:*?\"<>|\r\n]", "_", stem)
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        write_xlsx(spool, header, rows, sheet_title=stem)
        spool.seek(0)
        response: StreamingHttpResponse = FileResponse(
            spool,
            as_attachment=True,
            filename=f"{stem}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        encoding = "gb18030" if fmt == "csv-gbk" else "utf-8-sig"
        charset = "gb18030" if fmt == "csv-gbk" else "utf-8"
        response = StreamingHttpResponse(
            csv_chunks(header, rows, encoding), content_type=f"text/csv; charset={charset}"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}.csv")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
