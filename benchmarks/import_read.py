"""Reading spreadsheets with `core.tabular`: rows/s and peak memory by format and reader,
to choose when python-calamine (fast, holds the sheet in memory) gives way to a streaming
reader (flat memory), and to compare the two streaming readers in the same run:
`core.tabular.xlsx_stream` ("stream") and openpyxl's public read-only reader ("openpyxl",
`load_workbook(read_only=True)`, each cell cleaned as `read_table` cleans it).

    .venv/bin/python benchmarks/import_read.py --rows 20000 100000 400000

Each measurement runs in its own child process (peak RSS by wait4): generate the file
once, then read every row of it through `read_table` with the reader forced.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, print_machine


def child(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    from gongzhi.core import tabular
    from gongzhi.core.tabular import xlsx_reader

    step, path = argv[0], Path(argv[1])
    if step == "generate":
        from import_register import HEADER, rows

        fmt = path.suffix.lstrip(".")
        writer = tabular.write_csv if fmt == "csv" else tabular.write_xlsx
        writer(path, HEADER, rows(int(argv[2])))
        print("RESULT " + json.dumps({"bytes": path.stat().st_size}))
        return
    if step == "openpyxl":
        import openpyxl

        from gongzhi.core.tabular.common import _clean_value

        started = time.perf_counter()
        count = 0
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        next(rows)  # the header
        for values in rows:
            if any(v is not None for v in (_clean_value(v) for v in values)):
                count += 1
        book.close()
        print("RESULT " + json.dumps({"rows": count, "seconds": time.perf_counter() - started}))
        return
    if step == "stream":
        xlsx_reader.CALAMINE_MAX_BYTES = 0
    elif step == "calamine":
        xlsx_reader.CALAMINE_MAX_BYTES = 1 << 40
    started = time.perf_counter()
    count = 0
    with tabular.read_table(path, max_bytes=1 << 40) as table:
        for _row in table.rows():
            count += 1
    print("RESULT " + json.dumps({"rows": count, "seconds": time.perf_counter() - started}))


def run(*args: str) -> tuple[dict, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.stdout.read(), proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(err[-3000:])
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:]), usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    args = parser.parse_args()
    print_machine()
    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-read-"))
    print("| rows | format | reader | file MB | seconds | rows/s | peak RSS MB |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: |")
    for n in args.rows:
        for fmt, readers in (("csv", ["csv"]), ("xlsx", ["calamine", "stream", "openpyxl"])):
            path = work / f"r{n}.{fmt}"
            made, _ = run("generate", str(path), str(n))
            for reader in readers:
                result, rss = run(reader, str(path))
                print(
                    f"| {n:,} | {fmt} | {reader} | {made['bytes'] / 1e6:.1f} | "
                    f"{result['seconds']:.1f} | {result['rows'] / result['seconds']:,.0f} | {rss:.0f} |"
                )
            path.unlink()
    work.rmdir()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
