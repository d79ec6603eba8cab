"""The SLA sweep over 100,000 open work orders, through the real `sweep.sla_sweep`.

    .venv/bin/python benchmarks/workorders_sla_sweep.py                      # SQLite
    .venv/bin/python benchmarks/workorders_sla_sweep.py --database-url postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_sla

Build (not timed): a new SQLite file (or an emptied PostgreSQL database), `gongzhi migrate`
and `gongzhi demo --scale 0.1` in a child process, then --orders open orders inserted in
bulk here, spread over the three communities' buildings, a third each waiting, dispatched
and accepted, all with deadlines in the future.

Measure (in this process), each after making the deadlines so:
1. nothing due: the sweep's cost when all is well (two indexed range queries);
2. --due orders past their deadline: each escalated one level through
   `workorder_transition` (row lock, timeline, audit chain, notification after commit);
3. --due orders at their reminder time: each reminded.
Also: a second sweep right after (nothing left to do), and EXPLAIN of the due query.
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

from _common import child_env, print_machine, reset_postgres, run_gongzhi


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


def build(count: int) -> None:
    from django.db import transaction

    from gongzhi.accounts.models import User
    from gongzhi.core import clock
    from gongzhi.registry.models import Area, AreaKind
    from gongzhi.workorders.models import Category, WorkOrder
    from gongzhi.workorders.states import Status

    rng = random.Random(7)
    buildings = list(Area.objects.filter(kind=AreaKind.BUILDING).select_related("parent"))
    categories = list(Category.objects.all())
    requester = User.objects.get(username="yuling-gridworker")
    volunteers = list(User.objects.filter(username__endswith="-volunteer"))
    now = clock.now()
    statuses = [Status.NEW, Status.DISPATCHED, Status.ACCEPTED]
    rows = []
    for n in range(count):
        building = buildings[n % len(buildings)]
        status = statuses[n % 3]
        due = now + dt.timedelta(hours=rng.uniform(2, 72))
        rows.append(
            WorkOrder(
                category=rng.choice(categories),
                status=status,
                description="基准测试工单",
                requester=requester,
                channel="staff",
                place=building,
                area_path=building.path,
                address=building.name,
                grid=building.parent,
                level=building.parent,
                level_path=building.parent.path,
                assignee=rng.choice(volunteers) if status == Status.ACCEPTED else None,
                submitted_at=now - dt.timedelta(hours=1),
                response_due=due,
                resolve_due=due + dt.timedelta(days=1),
                due_at=due,
                remind_at=due - dt.timedelta(hours=1),
            )
        )
    with transaction.atomic():
        WorkOrder.objects.bulk_create(rows, batch_size=2000)


def make_due(due: int, remind: int) -> tuple[dt.datetime, list[int], list[int]]:
    """`due` orders past their deadline and `remind` others at their reminder time."""
    from gongzhi.core import clock
    from gongzhi.workorders.models import WorkOrder

    now = clock.now()
    ids = list(
        WorkOrder.objects.filter(due_at__isnull=False)
        .order_by("?")
        .values_list("pk", flat=True)[: due + remind]
    )
    due_ids, remind_ids = ids[:due], ids[due:]
    WorkOrder.objects.filter(pk__in=due_ids).update(
        due_at=now - dt.timedelta(minutes=5), remind_at=None
    )
    WorkOrder.objects.filter(pk__in=remind_ids).update(
        remind_at=now - dt.timedelta(minutes=5), due_at=now + dt.timedelta(hours=1)
    )
    return now, due_ids, remind_ids


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def explain() -> str:
    from django.db import connection

    from gongzhi.core import clock
    from gongzhi.workorders.models import WorkOrder
    from gongzhi.workorders.states import DONE

    qs = (
        WorkOrder.objects.filter(due_at__lte=clock.now())
        .exclude(status__in=sorted(DONE))
        .order_by("due_at", "pk")
        .values_list("pk", "level__kind")[:20000]
    )
    sql, params = qs.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--remind", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="PostgreSQL (emptied!)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-sla-"))
    if args.database_url:
        ensure_database(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{data / 'sla.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    run_gongzhi(["demo", "--scale", "0.1"], env)
    setup_django(data, url)
    from gongzhi.workorders import sweep
    from gongzhi.workorders.models import TimelineEntry, WorkOrder

    seconds, _ = timed(lambda: build(args.orders))
    open_orders = WorkOrder.objects.filter(due_at__isnull=False).count()
    print(f"Built {open_orders:,} open orders in {seconds:.1f} s", flush=True)

    results: dict = {"machine": info, "backend": "postgresql" if args.database_url else "sqlite"}
    results["open_orders"] = open_orders
    sweep.sla_sweep()  # the demo's own overdue orders (one per community), and warm-up
    idle, report = timed(sweep.sla_sweep)
    results["nothing_due_s"] = round(idle, 3)
    assert report == sweep.SweepReport(0, 0, 0, 0), report

    _now, due_ids, _remind_ids = make_due(args.due, args.remind)
    swept, report = timed(sweep.sla_sweep)
    results["due"] = args.due
    results["remind"] = args.remind
    results["sweep_s"] = round(swept, 2)
    results["report"] = report.__dict__ if hasattr(report, "__dict__") else report._asdict()
    results["ms_per_step"] = round(swept * 1000 / max(1, args.due + args.remind), 2)
    again, report_again = timed(sweep.sla_sweep)
    results["second_sweep_s"] = round(again, 3)
    results["second_report"] = report_again.__dict__
    escalated = WorkOrder.objects.filter(pk__in=due_ids, status="escalated").count()
    results["escalated_checked"] = escalated
    results["timeline_entries"] = TimelineEntry.objects.count()
    results["explain_due_query"] = explain()
    results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
