"""Reading and writing the spreadsheets people already keep: XLSX and CSV.

`read_table` opens an upload (a path, bytes or a binary file), decides by its content
whether it is XLSX or CSV, refuses what is not a spreadsheet (with a `TableFileError` that
names the rule), finds the header row and then streams the data rows in constant memory:

    with read_table(upload, filename=upload.name) as table:
        table.header                        # ["姓名", "身份证号", …]
        for row_number, values in table.rows():
            ...                             # row_number as Excel shows it (1-based)

Values keep their cell types (text, whole numbers, decimals, dates, date-times) so the
importer can tell an ID number typed as text from one that Excel turned into a number.
Text is stripped and empty cells are `None`; wholly blank rows are skipped.

`write_xlsx` and `write_csv` write tables for people to open in Excel, every text cell
through `safe_cell`. Downloads over HTTP are not made here: every list export goes through
`gongzhi.web.exports`, which audits it.

Modules: `reading` (format, size, header), `csv_reader` (encodings incl. GBK, delimiter),
`xlsx_reader` (archive checks, python-calamine), `xlsx_stream` (large sheets in flat
memory), `writing`, `common`.
"""

from gongzhi.core.tabular.common import CHUNK, Cell, MiB, TableFileError, column_letter
from gongzhi.core.tabular.reading import DEFAULT_MAX_BYTES, Table, read_table
from gongzhi.core.tabular.writing import csv_chunks, safe_cell, write_csv, write_xlsx

__all__ = [
    "CHUNK",
    "DEFAULT_MAX_BYTES",
    "Cell",
    "MiB",
    "Table",
    "TableFileError",
    "column_letter",
    "csv_chunks",
    "read_table",
    "safe_cell",
    "write_csv",
    "write_xlsx",
]
