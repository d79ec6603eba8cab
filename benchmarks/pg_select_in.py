"""One register lookup of the import on PostgreSQL: 2,000 blind indexes as a list
parameter (psycopg quotes each element in Python) against one text the server splits
(`imports.engine._select_in`).

    .venv/bin/python benchmarks/pg_select_in.py \
        --database-url postgres://gongzhi:gongzhi@127.0.0.1:5432/gzbench_import

The database needs the project's tables (`gongzhi migrate`; the import benchmark's
database will do, with or without persons). Nothing is written. The two forms alternate,
`--rounds` times `--queries` queries each; CPU time is this process's (the quoting), wall
time includes the server.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import print_machine

SQL = "SELECT id_number_index, id FROM registry_person WHERE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("GONGZHI_DATA_DIR", tempfile.mkdtemp(prefix="gz-select-in-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    import django

    django.setup()
    from django.db import connection

    from gongzhi.imports import engine

    print_machine()
    keys = [secrets.token_hex(16) for _ in range(args.keys)]

    def as_list() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"{SQL} id_number_index = ANY(%s)", [list(keys)])
            cursor.fetchall()

    def as_text() -> None:
        engine._select_in(SQL, "id_number_index", keys)

    totals: dict[str, list[float]] = {"list parameter": [0, 0], "one text (engine)": [0, 0]}
    for _round in range(args.rounds):
        for name, query in (("list parameter", as_list), ("one text (engine)", as_text)):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.queries):
                query()
            totals[name][0] += time.process_time() - cpu
            totals[name][1] += time.perf_counter() - wall
    count = args.rounds * args.queries
    for name, (cpu, wall) in totals.items():
        print(
            f"{name:18}: CPU {1000 * cpu / count:.2f} ms, wall {1000 * wall / count:.2f} ms "
            f"a query of {args.keys:,} keys ({count} queries)"
        )


if __name__ == "__main__":
    main()
