"""Rankings over 1,000,000 ledger entries, through the real `points.rankings.ranking_for`.

    .venv/bin/python benchmarks/points_rankings.py                      # SQLite
    .venv/bin/python benchmarks/points_rankings.py --database-url postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_rankings

Build (not timed, but reported): a new SQLite file (or an emptied PostgreSQL database,
created if missing), `gongzhi migrate` in a child process, then here: 3 communities of
--grids grids of 4 buildings each (through `area_create`), --holders accounts (User rows
in bulk, no password), a secretary of the street, and --entries ledger entries written
straight into the table (executemany on SQLite, COPY on PostgreSQL; the benchmark measures
reads, and `entry_post`'s cost per write is not in question here): spread over the 12
months of one year, each holder on one building; 84% awards (with hours), 5%
adjustments, 9% redemptions, 2% reversals of an earlier award of the same holder.

Measure (in this process), each the median of --runs runs after one warm-up:
1. a community's month, a grid's month, a community's year: `ranking_for` (the grouped
   query, shared places, the secretary's scope, the names of the top 10 of each list; after ANALYZE, on PostgreSQL VACUUM ANALYZE);
2. the same range through a bare `SELECT holder_id, SUM(points) … GROUP BY holder_id`
   without the counted-kinds filter, names or scope: the floor the ranking is measured
   against (ratio = ranking / baseline).
Also EXPLAIN of the ranking's grouped query for a community's month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import child_env, median, print_machine, reset_postgres, run_gongzhi

YEAR = 2025


def setup_django(data: Path, url: str) -> None:
    for key in [k for k in os.environ if k.startswith("GONGZHI_KEYRING")]:
        del os.environ[key]
    os.environ["GONGZHI_DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def ensure_database(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    reset_postgres(url)


def build_tree(grids: int) -> tuple[object, list, list, list]:
    """A street of 3 communities, each of `grids` grids of 4 buildings."""
    from gongzhi.registry import services
    from gongzhi.registry.models import Area, AreaKind

    create = services.area_create
    root = Area.objects.get(kind=AreaKind.ROOT)
    parent = root
    for kind, name, code in [
        ("province", "湖北省", "420000"),
        ("city", "荆州市", "421000"),
        ("district", "松滋市", "421087"),
        ("street", "新江口街道", "421087001"),
    ]:
        parent = create(actor=None, parent=parent, kind=kind, name=name, code=code)
    street = parent
    communities, grid_rows, buildings = [], [], []
    for c in range(3):
        code = f"421087001{c + 1:03d}"
        community = create(
            actor=None, parent=street, kind="community", name=f"基准社区{c + 1}", code=code
        )
        compound = create(
            actor=None, parent=community, kind="compound", name="基准小区", code=code + "C001"
        )
        communities.append(community)
        for g in range(grids):
            grid = create(
                actor=None, parent=community, kind="grid", name=f"第{g + 1}网格",
                code=f"{code}{g + 1:03d}",
            )  # fmt: skip
            grid_rows.append(grid)
            for b in range(4):
                buildings.append(
                    create(
                        actor=None,
                        parent=grid,
                        kind="building",
                        name=f"{g * 4 + b + 1}栋",
                        code=f"{code}C001B{g * 4 + b + 1:03d}",
                        compound=compound,
                    )
                )
    return street, communities, grid_rows, buildings


def build_holders(count: int) -> list[int]:
    """`count` accounts in bulk (no password: they never sign in)."""
    from django.db import connection, transaction

    from gongzhi.accounts.models import User

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "明华建国秀英海燕志强丽娟伟芳军红"
    rng = random.Random(11)
    table = User._meta.db_table
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            f"bench{n:06d}",
            "!",
            rng.choice(surnames) + rng.choice(given) + rng.choice(given),
            False,
            False,
            True,
            False,
            False,
            "",
            "",
            "",
            "",
            "",
            now,
        )
        for n in range(count)
    ]
    columns = (
        "username, password, display_name, is_superuser, is_staff, is_active, is_demo, "
        "elder_mode, first_name, last_name, email, phone, phone_index, date_joined"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 14)})", rows
        )
    return list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))


def entry_rows(count: int, holders: list[int], buildings: list) -> list[tuple]:
    from zoneinfo import ZoneInfo

    rng = random.Random(7)
    tz = ZoneInfo("Asia/Shanghai")
    kinds = ["resident"] * 60 + ["volunteer"] * 25 + ["party_member"] * 15
    home = {h: rng.choice(buildings).path for h in holders}
    kind_of = {h: rng.choice(kinds) for h in holders}
    awards: dict[int, list[int]] = {}
    reversed_ids: set[int] = set()
    start = dt.datetime(YEAR, 1, 1, tzinfo=tz)
    span = (dt.datetime(YEAR + 1, 1, 1, tzinfo=tz) - start).total_seconds()
    rows = []
    for pk in range(1, count + 1):
        holder = rng.choice(holders)
        at = start + dt.timedelta(seconds=rng.random() * span)
        roll = rng.random()
        reverses = None
        hours = 0
        if roll < 0.84:
            kind, points, hours = "award", rng.choice((5, 10, 10, 20, 30)), rng.choice((1, 2, 3))
            awards.setdefault(holder, []).append(pk)
        elif roll < 0.89:
            kind, points = "adjustment", rng.choice((-5, 5, 10))
        elif roll < 0.98:
            kind, points = "redemption", -rng.choice((10, 20, 50))
        else:
            earlier = [a for a in awards.get(holder, []) if a not in reversed_ids]
            if not earlier:
                kind, points, hours = "award", 10, 1
                awards.setdefault(holder, []).append(pk)
            else:
                reverses = rng.choice(earlier)
                reversed_ids.add(reverses)
                kind, points, hours = "reversal", -10, -1
        rows.append(
            (pk, holder, kind, points, hours, f"bench:{pk}", reverses, "", home[holder],
             kind_of[holder], at)
        )  # fmt: skip
    rows.sort(key=lambda r: r[10])  # written in time order, as a ledger is
    return rows


COLUMNS = [
    "id", "holder_id", "kind", "points", "hours", "source", "reverses_id", "reason",
    "area_path", "holder_kind", "at",
]  # fmt: skip


def insert_entries(rows: list[tuple]) -> None:
    from django.db import connection, transaction

    from gongzhi.points.models import LedgerEntry

    table = LedgerEntry._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        else:
            placeholders = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
            for i in range(0, len(rows), 50_000):
                cursor.executemany(
                    sql, [(*r[:10], r[10].isoformat()) for r in rows[i : i + 50_000]]
                )
    with connection.cursor() as cursor:
        # Statistics for the planner; on PostgreSQL also the visibility map, so the covering
        # index is read without the table (autovacuum does both on a live database).
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def baseline(path_lo: str, path_hi: str, start: dt.datetime, end: dt.datetime) -> int:
    from django.db import connection

    from gongzhi.points.models import LedgerEntry

    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT holder_id, SUM(points) FROM {table} WHERE area_path >= %s AND area_path < %s"
            " AND at >= %s AND at < %s GROUP BY holder_id",
            [path_lo, path_hi, start, end],
        )
        return len(cursor.fetchall())


def timed_median(fn, runs: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return median(times), result


def explain(area, period) -> str:
    from django.db import connection

    from gongzhi.points.models import LedgerEntry
    from gongzhi.points.rankings import _grouped

    entries = LedgerEntry.objects.within(area.path).filter(at__gte=period.start, at__lt=period.end)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    out = []
    for qs in (_grouped(entries),):
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            out.append("\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()))
    return "\n--\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--holders", type=int, default=20_000)
    parser.add_argument("--grids", type=int, default=8, help="grids per community")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL (emptied!)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-rankings-"))
    if args.database_url:
        ensure_database(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{data / 'rankings.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    setup_django(data, url)
    from gongzhi.accounts.models import Role, User
    from gongzhi.accounts.services import membership_grant
    from gongzhi.core import scope
    from gongzhi.points.models import LedgerEntry
    from gongzhi.points.rankings import Period, ranking_for

    results: dict = {"machine": info, "backend": "postgresql" if args.database_url else "sqlite"}
    started = time.perf_counter()
    street, communities, grids, buildings = build_tree(args.grids)
    holders = build_holders(args.holders)
    secretary = User.objects.create(username="bench-secretary", display_name="书记")
    membership_grant(user=secretary, area=street, role=Role.STREET_OFFICER)
    results["build_tree_holders_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    rows = entry_rows(args.entries, holders, buildings)
    results["generate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    insert_entries(rows)
    results["insert_s"] = round(time.perf_counter() - started, 1)
    results["entries"] = LedgerEntry.objects.count()
    results["holders"] = len(holders)
    results["communities"], results["grids"] = len(communities), len(grids)
    print(
        f"Built {results['entries']:,} entries for {len(holders):,} holders: generated in "
        f"{results['generate_s']} s, inserted in {results['insert_s']} s",
        flush=True,
    )

    community, grid = communities[1], grids[len(grids) // 2]
    month, year = Period(YEAR, 6), Period(YEAR)
    cases = [("community_month", community, month), ("grid_month", grid, month),
             ("community_year", community, year)]  # fmt: skip
    for label, area, period in cases:
        ranked, ranking = timed_median(
            lambda a=area, p=period: ranking_for(user=secretary, area=a, period=p, top=10),
            args.runs,
        )
        bare, groups = timed_median(
            lambda a=area, p=period: baseline(a.path, scope.successor(a.path), p.start, p.end),
            args.runs,
        )
        in_range = (
            LedgerEntry.objects.within(area.path)
            .filter(at__gte=period.start, at__lt=period.end)
            .count()
        )
        ranked_holders = sum(len(v) for v in ranking.lists.values())
        results[label] = {
            "entries_in_range": in_range,
            "holders_in_range": groups,
            "ranking_ms": round(ranked * 1000, 1),
            "baseline_ms": round(bare * 1000, 1),
            "ratio": round(ranked / bare, 2) if bare else None,
            "places_shown": ranked_holders,
        }
        print(f"{label}: {json.dumps(results[label])}", flush=True)
    results["explain_community_month"] = explain(community, month)
    results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
