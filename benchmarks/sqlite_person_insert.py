"""How fast SQLite takes prepared rows into `registry_person` with its indexes, by page
cache size, and with the indexes dropped and built again afterwards.

    .venv/bin/python benchmarks/sqlite_person_insert.py --rows 1000000
    .venv/bin/python benchmarks/sqlite_person_insert.py --rows 100000

The table is made by `gongzhi migrate` in a fresh database (so it has exactly the
project's indexes). The rows are synthetic but shaped like the register's: a 32-hex blind
index for the ID number and the phone (random, as HMACs are), an AES-GCM-sized token for
each, pinyin, initials, birth dates, area paths, household ids in runs of three. Each
variant starts from an empty copy of the same database and inserts every row with one
prepared INSERT (`executemany`) in one transaction, as the import does. Foreign keys are
off here (there are no households to point at); they are checked at COMMIT either way.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_env, print_machine, run_gongzhi

VARIANTS = [
    ("default cache (2 MiB)", 0, False),
    ("cache 64 MiB (settings)", 65536, False),
    ("cache 256 MiB", 262144, False),
    ("cache 64 MiB, indexes dropped and rebuilt", 65536, True),
]


def person_rows(n: int, columns: list[str]) -> list[tuple]:
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for i in range(n):
        pinyin = "".join(rng.choice(letters) for _ in range(rng.randint(6, 12)))
        values = {
            "id": i + 1,
            "created_at": "2026-11-29 12:00:00",
            "updated_at": "2026-11-29 12:00:00",
            "area_path": f"0001.0042.0007.{i // 30000:04d}.{i // 300:05d}.",
            "name": "王小明",
            "name_pinyin": pinyin,
            "name_initials": pinyin[:3],
            "gender": "male" if i % 2 else "female",
            "birth_date": f"{1930 + i % 90}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "id_number": "aes-0a1b2c3d:" + os.urandom(46).hex()[:62],
            "id_number_index": os.urandom(16).hex(),
            "phone": "aes-0a1b2c3d:" + os.urandom(39).hex()[:52],
            "phone_index": os.urandom(16).hex(),
            "ethnicity": "01",
            "relation": "head",
            "residency": "living",
            "moved_in_on": "2020-01-01",
            "moved_out_on": None,
            "notes": "",
            "version": 1,
            "household_id": i // 3 + 1,
        }
        out.append(tuple(values[c] for c in columns))
    return out


def measure(template: Path, rows: list[tuple], columns: list[str], cache: int, rebuild: bool):
    work = template.with_name("work.sqlite3")
    shutil.copy(template, work)
    db = sqlite3.connect(work, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if cache:
        db.execute(f"PRAGMA cache_size=-{cache}")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name = 'registry_person' AND sql IS NOT NULL"
    ).fetchall()
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO registry_person ({', '.join(columns)}) VALUES ({marks})"
    started, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    if rebuild:
        for name, _sql in indexes:
            db.execute(f'DROP INDEX "{name}"')
    db.executemany(sql, rows)
    if rebuild:
        for _name, create in indexes:
            db.execute(create)
    db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    work.unlink()
    return seconds, time.process_time() - cpu, len(indexes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-insert-"))
    try:
        template = data / "template.sqlite3"
        env = child_env(data, f"sqlite:///{template}")
        run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
        db = sqlite3.connect(template)
        columns = [r[1] for r in db.execute("PRAGMA table_info(registry_person)")]
        db.close()
        rows = person_rows(args.rows, columns)
        print(f"{args.rows:,} rows into registry_person")
        base = None
        for label, cache, rebuild in VARIANTS:
            seconds, cpu, count = measure(template, rows, columns, cache, rebuild)
            rate = args.rows / seconds
            base = base or rate
            print(
                f"  {label}: {seconds:.1f} s, {rate:,.0f} rows/s ({rate / base:.2f}x the "
                f"default; CPU {cpu:.1f} s; {count} indexes)"
            )
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
