"""The big screen's data for a street of 15 communities and 150,000 households, through the
real `emergency.screen.screen_data`.

    .venv/bin/python benchmarks/screen_street.py                      # SQLite
    .venv/bin/python benchmarks/screen_street.py --database-url postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_screen

Build (not timed, but reported): a new SQLite file (or a PostgreSQL database of its own,
created if missing, emptied, and dropped at the end unless --keep), `gongzhi keys init` and
`gongzhi migrate` in a child process; then here: a street of --communities communities of
--grids grids (square outlines, for the map) of --buildings buildings each, through
`area_create`; and straight into the tables (COPY on PostgreSQL, executemany on SQLite):
--households households, 1.6 persons each on average (12% of households one person tagged
elderly_alone), --orders work orders over the last 180 days (8% open, a third of those past
their deadline), --entries watch-list entries over 30 days, --checkins venue check-ins over
14 days, shopping lists, supply items (a quarter below minimum), team cases and a running
outreach campaign's recipients. Then ANALYZE (VACUUM ANALYZE on PostgreSQL).

Measure (in this process), each --runs times, median and worst:
1. `screen_data(street)` cold: the cache cleared before each call;
2. `screen_data(street)` cached: the same call again;
3. `screen_data(community)` cold, for one community;
4. the baseline: a bare `SELECT COUNT(*)` of the street's households (one range scan);
ratios against the baseline; also each query of one cold street call with its time (the
slowest first) and, on PostgreSQL, EXPLAIN ANALYZE of the slowest.
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

DEFAULT_URL = ""


def setup_django(data: Path, url: str) -> None:
    for key in [k for k in os.environ if k.startswith("GONGZHI_KEYRING")]:
        del os.environ[key]
    os.environ["GONGZHI_DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def _admin_url(url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def ensure_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    reset_postgres(url)


def drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --- loading -------------------------------------------------------------------------------


def load(model, columns: list[str], rows, *, first_id: int = 1) -> int:
    """Rows (values in the order of `columns`) into `model`'s table with ids from
    `first_id`; the model's other columns get their defaults (`demo.bulk.Inserter`)."""
    from django.db import connection, transaction

    from gongzhi.demo.bulk import Inserter

    inserter = Inserter(model, columns)
    names = ["id"] + [f.column for f in [*inserter._given, *inserter._fixed]]
    table = model._meta.db_table
    count = 0
    batch: list[tuple] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for pk, values in enumerate(rows, start=first_id):
                    copy.write_row((pk, *inserter.row(values)))
                    count += 1
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        else:
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
            for pk, values in enumerate(rows, start=first_id):
                batch.append((pk, *inserter.row(values)))
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def square(lon: float, lat: float, size: float = 0.004) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def build_tree(communities: int, grids: int, buildings: int):
    from gongzhi.registry import services
    from gongzhi.registry.models import Area, AreaKind

    create = services.area_create
    parent = Area.objects.get(kind=AreaKind.ROOT)
    for kind, name, code in [
        ("province", "湖北省", "420000"),
        ("city", "荆州市", "421000"),
        ("district", "松滋市", "421087"),
        ("street", "新江口街道", "421087001"),
    ]:
        parent = create(actor=None, parent=parent, kind=kind, name=name, code=code)
    street = parent
    community_rows, grid_rows, building_rows = [], [], []
    for c in range(communities):
        code = f"421087001{c + 1:03d}"
        community = create(
            actor=None, parent=street, kind="community", name=f"基准社区{c + 1}", code=code
        )
        compound = create(
            actor=None, parent=community, kind="compound", name="基准小区", code=code + "C001"
        )
        community_rows.append(community)
        for g in range(grids):
            grid = create(
                actor=None, parent=community, kind="grid", name=f"第{g + 1}网格",
                code=f"{code}{g + 1:03d}",
            )  # fmt: skip
            grid.geometry = square(111.7 + 0.005 * g, 30.1 + 0.005 * c)
            grid.save(update_fields=["geometry"])
            grid_rows.append(grid)
            for b in range(buildings):
                building_rows.append(
                    create(
                        actor=None,
                        parent=grid,
                        kind="building",
                        name=f"{g * buildings + b + 1}栋",
                        code=f"{code}C001B{g * buildings + b + 1:03d}",
                        compound=compound,
                    )
                )
    return street, community_rows, grid_rows, building_rows


def build_rows(args, street, communities, grids, buildings) -> dict:
    """Everything else, in bulk. Returns the counts written."""
    from django.db import connection

    from gongzhi.core import clock
    from gongzhi.emergency.models import CareCase, ShoppingList, SupplyItem
    from gongzhi.health.models import CheckIn, Venue, WatchEntry
    from gongzhi.outreach.models import Campaign, Recipient
    from gongzhi.registry.models import Household, Person, PersonTag, Tag
    from gongzhi.workorders.models import Category, WorkOrder

    rng = random.Random(15)
    now = clock.now()
    community_of = {
        b.pk: next(c for c in communities if b.path.startswith(c.path)) for b in buildings
    }
    grid_of = {b.pk: b.parent_id for b in buildings}
    counts: dict[str, int] = {}

    # Households: round-robin over the buildings.
    homes: list[tuple[int, int, str]] = []  # (household id, building id, path)

    def households():
        for n in range(args.households):
            b = buildings[n % len(buildings)]
            homes.append((n + 1, b.pk, b.path))
            yield (community_of[b.pk].pk, b.pk, "1", f"{n // len(buildings) + 101}", b.path,
                   f"基准街道{b.name}{n}号", "active")  # fmt: skip

    counts["households"] = load(
        Household,
        ["community_id", "building_id", "unit", "room", "area_path", "address", "status"],
        households(),
    )
    # Persons: one per household, a second in 60% of those not living alone.
    alone: list[int] = []
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

    def persons():
        pk = 0
        for hid, _bid, path in homes:
            living_alone = rng.random() < 0.12
            for k in range(1 if living_alone else (2 if rng.random() < 0.6 else 1)):
                pk += 1
                if living_alone:
                    alone.append(pk)
                birth = dt.date(
                    1940 if living_alone else 1960 + (pk % 40), 1 + pk % 12, 1 + pk % 28
                )
                name = rng.choice(surnames) + "某"
                yield (hid, path, name, "mou", "m", "male" if pk % 2 else "female", birth,
                       "head" if k == 0 else "spouse", "living")  # fmt: skip

    counts["persons"] = load(
        Person,
        ["household_id", "area_path", "name", "name_pinyin", "name_initials", "gender",
         "birth_date", "relation", "residency"],
        persons(),
    )  # fmt: skip
    tag = Tag.objects.get(code="elderly_alone")
    counts["elderly_alone"] = load(
        PersonTag, ["person_id", "tag_id", "added_at"], ((p, tag.pk, now) for p in alone)
    )
    # Work orders over 180 days: 8% open, a third of those overdue.
    category = Category.objects.order_by("code").first()

    def orders():
        for _n in range(args.orders):
            _hid, bid, path = homes[rng.randrange(len(homes))]
            submitted = now - dt.timedelta(seconds=rng.random() * 180 * 86400)
            roll = rng.random()
            if roll < 0.08:
                status = rng.choice(["new", "dispatched", "escalated"])
                due = (
                    now - dt.timedelta(hours=5)
                    if rng.random() < 0.33
                    else now + dt.timedelta(hours=5)
                )
            else:
                status, due = "closed", None
            grid = grid_of[bid]
            yield (category.pk, status, "基准工单", bid, path, grid, grid, grid_path[grid],
                   submitted, due)  # fmt: skip

    grid_path = {g.pk: g.path for g in grids}
    counts["orders"] = load(
        WorkOrder,
        ["category_id", "status", "description", "place_id", "area_path", "grid_id", "level_id",
         "level_path", "submitted_at", "due_at"],
        orders(),
    )  # fmt: skip
    # Watch-list entries over 30 days (executemany: JSON columns).
    statuses = ["to_review", "to_verify", "verified", "closed", "closed"]
    entry_rows = []
    for _n in range(args.entries):
        _hid, _bid, path = homes[rng.randrange(len(homes))]
        entry_rows.append((path, rng.choice(statuses), "none"))
    counts["entries"] = (
        load(WatchEntry, ["area_path", "status", "tier"], entry_rows)
        if connection.vendor == "sqlite"
        else _insert_plain(WatchEntry, ["area_path", "status", "tier"], entry_rows)
    )
    # created_at spread over 30 days (the trend).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {WatchEntry._meta.db_table}")
        ids = [r[0] for r in cursor.fetchall()]
        cursor.executemany(
            f"UPDATE {WatchEntry._meta.db_table} SET created_at = %s WHERE id = %s",
            [(connection.ops.adapt_datetimefield_value(now - dt.timedelta(seconds=rng.random() * 30 * 86400)), i) for i in ids],
        )  # fmt: skip
    # Venues: one per grid; check-ins over 14 days.
    venues = [
        Venue.objects.create(area=g, area_path=g.path, name="基准场所", code=f"bench{g.pk}")
        for g in grids
    ]

    def checkins():
        for _n in range(args.checkins):
            v = venues[rng.randrange(len(venues))]
            yield (v.pk, v.area_path, now - dt.timedelta(seconds=rng.random() * 14 * 86400))

    counts["checkins"] = load(CheckIn, ["venue_id", "area_path", "at"], checkins())
    # Shopping lists, supply items, team cases.
    lists = []
    for _n in range(args.households // 50):
        hid, _bid, path = homes[rng.randrange(len(homes))]
        lists.append(
            (hid, hid, path, rng.choice(["open", "in_run", "delivered", "received", "cancelled"]))
        )
    # person ids: the first person of household n is not n; take any person of the household.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT household_id, MIN(id) FROM {Person._meta.db_table} GROUP BY household_id"
        )
        first_person = dict(cursor.fetchall())
    counts["shopping_lists"] = load(
        ShoppingList,
        ["household_id", "person_id", "area_path", "status"],
        [(h, first_person[h], path, st) for h, _p, path, st in lists],
    )
    items = []
    for c in communities:
        for k in range(20):
            quantity = rng.randrange(0, 200)
            items.append(
                (c.pk, c.path, f"物资{k}", "件", quantity, quantity + 10 if k % 4 == 0 else 0)
            )
    counts["supply_items"] = load(
        SupplyItem, ["area_id", "area_path", "name", "unit", "quantity", "minimum"], items
    )
    cases = []
    for _n in range(args.households // 500):
        hid, _bid, path = homes[rng.randrange(len(homes))]
        cases.append(
            (first_person[hid], path, rng.choice(["screening", "isolation", "released"]), now)
        )
    counts["care_cases"] = load(CareCase, ["person_id", "area_path", "step", "opened_at"], cases)
    campaign = Campaign.objects.create(
        area=street, area_path=street.path, name="基准外呼", pace_per_minute=100,
        status="running", channels=["sms"], audience={"kind": "tag", "tag": "elderly_alone"},
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.area_path FROM {Person._meta.db_table} p JOIN "
            f"{PersonTag._meta.db_table} t ON t.person_id = p.id"
        )
        targets = cursor.fetchall()
    counts["recipients"] = load(
        Recipient,
        ["campaign_id", "person_id", "area_path", "state"],
        [
            (campaign.pk, pid, path, "answered" if rng.random() < 0.6 else "waiting")
            for pid, path in targets
        ],
    )
    return counts


def _insert_plain(model, columns, rows) -> int:
    """executemany through `demo.bulk.Inserter` (JSON columns that COPY would not adapt)."""
    from django.db import transaction

    from gongzhi.demo.bulk import Inserter

    inserter = Inserter(model, columns)
    with transaction.atomic():
        return inserter.insert(inserter.row(r) for r in rows)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- measuring -----------------------------------------------------------------------------


def baseline(street) -> int:
    from django.db import connection

    from gongzhi.core import scope
    from gongzhi.registry.models import Household

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Household._meta.db_table} WHERE area_path >= %s AND area_path < %s",
            [street.path, scope.successor(street.path)],
        )
        return cursor.fetchone()[0]


def timed(fn, runs: int, before=None) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def ms(values: list[float]) -> dict:
    return {"median_ms": round(median(values) * 1000, 1), "max_ms": round(max(values) * 1000, 1)}


def queries_of_one_call(area) -> list[tuple[float, str]]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongzhi.emergency.screen import screen_data

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        screen_data(area)
    return sorted(((float(q["time"]), q["sql"]) for q in captured.captured_queries), reverse=True)


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=15)
    parser.add_argument("--grids", type=int, default=8, help="grids per community")
    parser.add_argument("--buildings", type=int, default=10, help="buildings per grid")
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--entries", type=int, default=6_000)
    parser.add_argument("--checkins", type=int, default=140_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL (its own database!)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-screen-"))
    if args.database_url:
        ensure_database(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{data / 'screen.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["keys", "init"], env)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    setup_django(data, url)
    from django.core.cache import cache

    from gongzhi.emergency.screen import screen_data

    results: dict = {"machine": info, "backend": "postgresql" if args.database_url else "sqlite"}
    try:
        started = time.perf_counter()
        street, communities, grids, buildings = build_tree(
            args.communities, args.grids, args.buildings
        )
        results["build_tree_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        results["rows"] = build_rows(args, street, communities, grids, buildings)
        results["load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        analyze()
        results["analyze_s"] = round(time.perf_counter() - started, 1)
        results["tree"] = {"communities": len(communities), "grids": len(grids),
                           "buildings": len(buildings)}  # fmt: skip
        print(
            f"Built in {results['build_tree_s']} + {results['load_s']} s: {results['rows']}",
            flush=True,
        )

        base_times, households = timed(lambda: baseline(street), args.runs + 1)
        base = base_times[1:]  # the first reads the table into the cache
        screen_data(street, fresh=True)  # warm-up: connections, plans, the first read
        cold, result = timed(lambda: screen_data(street), args.runs, before=cache.clear)
        cached, _ = timed(lambda: screen_data(street), args.runs)
        community = communities[len(communities) // 2]
        one, _ = timed(lambda: screen_data(community), args.runs, before=cache.clear)
        assert result["totals"]["households"] == households, "the screen counts every household"
        results["baseline_count_households"] = {**ms(base), "households": households}
        results["street_cold"] = {
            **ms(cold),
            "ratio_to_baseline": round(median(cold) / median(base), 1),
        }
        results["street_cached"] = {
            **ms(cached),
            "ratio_to_cold": round(median(cached) / median(cold), 4),
        }
        results["community_cold"] = {
            **ms(one),
            "ratio_to_baseline": round(median(one) / median(base), 1),
        }
        results["totals"] = result["totals"]
        per_query = queries_of_one_call(street)
        results["queries_per_call"] = len(per_query)
        results["slowest_queries_ms"] = [
            (round(t * 1000, 1), sql[:160]) for t, sql in per_query[:6]
        ]
        results["explain_slowest"] = explain(per_query[0][1])
        results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(json.dumps(results, indent=2, ensure_ascii=False), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        if args.database_url and not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
