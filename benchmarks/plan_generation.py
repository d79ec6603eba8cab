"""Emergency plan generation for Qifu (启福社区, the demo's largest community: ~22,000
persons in 1 + 22 + 255 grids), against a bare COUNT of the community's persons measured
in the same run.

    .venv/bin/python benchmarks/plan_generation.py                 # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/plan_generation.py --only sqlite
    .venv/bin/python benchmarks/plan_generation.py --database-url postgres://u:p@host/db

Setup (not timed), per database: a fresh SQLite file (WAL, as in settings) or an emptied
PostgreSQL database (`--database-url`, default the local `gongzhi` role's
`gongzhi_bench_plans`, created if missing); `gongzhi keys init` and `gongzhi migrate`; then,
in a child process, Qifu's register exactly as `gongzhi demo` builds it (its areas, its
households and persons with their tags, through the demo's own loader), the demo's staff
accounts, and a few reserved spaces and supplies.

Measured in the child, each the median of --repeat runs:
1. **baseline**: `Person.objects.within(qifu).filter(residency in living, tenant).count()`
   — the least any figure of the community costs;
2. **profile**: `plan_profile.community_profile(qifu)` — every figure per building and
   grid, helpers with skills, spaces, supplies, contacts;
3. **draft**: `plans.plan_draft(...)` — the profile, the sections written from it, the
   plan and its first version saved, the audit entry;
4. **refresh**: `plans.plan_refresh(...)` of that plan;
5. **pdf** / **docx**: the approved version's document (`plan_export.plan_document`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, child_env, print_machine, reset_postgres, run_gongzhi

DEFAULT_URL = "postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_plans"
SEED = 20240601


def build_qifu():
    """Qifu's register as the demo builds it, and its staff logins."""
    from gongzhi.demo import load as demo_load
    from gongzhi.demo import logins
    from gongzhi.demo.people import Registry
    from gongzhi.demo.spec import QIFU
    from gongzhi.registry.models import Area, AreaKind
    from gongzhi.testing import ensure_reference_data

    ensure_reference_data()
    root = Area.objects.get(kind=AreaKind.ROOT)
    plan = demo_load.plan_community(QIFU, seed=SEED, scale=1.0)
    loaded = demo_load._create_areas(QIFU, plan, root, seed=SEED)
    demo_load._fill(plan, loaded, seed=SEED, registry=Registry(), builder=demo_load.RowBuilder())
    logins.create_logins([loaded])
    return loaded


def add_spaces_and_supplies(community) -> None:
    from gongzhi.emergency.models import Space, SupplyItem

    for n, (kind, capacity) in enumerate(
        [("assembly", 800), ("assembly", 500), ("isolation", 12), ("sampling", 40)], start=1
    ):
        Space.objects.create(
            area=community, area_path=community.path, name=f"基准场所{n}", kind=kind,
            capacity=capacity, location=f"社区{n}号场地",
        )  # fmt: skip
    for n in range(20):
        SupplyItem.objects.create(
            area=community, area_path=community.path, name=f"基准物资{n}", unit="件",
            quantity=100 + n, minimum=50,
        )  # fmt: skip


def timed(call, repeat: int) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        runs.append(time.perf_counter() - began)
    return statistics.median(runs), result


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    from django.db import connection, transaction

    from gongzhi.emergency import plan_export, plan_profile, plans
    from gongzhi.registry.models import Household, Person

    began = time.perf_counter()
    with transaction.atomic():
        loaded = build_qifu()
        community = loaded.community
        add_spaces_and_supplies(community)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - began
    persons = Person.objects.within(community.path).count()
    households = Household.objects.within(community.path).count()
    print(f"  built Qifu: {households:,} households, {persons:,} persons in {built:.0f} s",
          file=sys.stderr, flush=True)  # fmt: skip

    repeat = args.repeat
    living = ("living", "tenant")
    result: dict = {"vendor": connection.vendor, "persons": persons, "households": households}
    result["baseline"], _n = timed(
        lambda: Person.objects.within(community.path).filter(residency__in=living).count(),
        repeat,
    )
    result["profile"], profile = timed(lambda: plan_profile.community_profile(community), repeat)
    result["buildings"] = profile["building_count"]
    result["grids"] = len(profile["grids"])
    result["draft"], plan = timed(
        lambda: plans.plan_draft(actor=None, area=community, kind="epidemic", title="基准预案"),
        repeat,
    )
    result["refresh"], _v = timed(lambda: plans.plan_refresh(actor=None, plan=plan), repeat)
    plans.plan_approve(actor=None, plan=plan)
    version = plans.latest_version(plan)
    for fmt in ("pdf", "docx"):
        result[fmt], body = timed(
            lambda fmt=fmt: plan_export.plan_document(
                actor=None, plan=plan, version=version, fmt=fmt
            ),
            max(1, repeat // 2),
        )
        result[f"{fmt}_bytes"] = len(body)
    print("RESULT " + json.dumps(result))


def ensure_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    reset_postgres(url)


def measure(vendor: str, args: argparse.Namespace, tmp: Path) -> dict:
    data = tmp / vendor
    data.mkdir()
    if vendor == "postgresql":
        url = args.database_url
        ensure_postgres(url)
    else:
        url = f"sqlite:///{data / 'bench.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["keys", "init"], env)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    print(f"\n{vendor}: building Qifu and measuring …", flush=True)
    command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat)]
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{vendor}: the measuring child failed")
    return json.loads(lines[-1][len("RESULT ") :])


def report(result: dict) -> None:
    base = result["baseline"]
    print(
        f"{result['vendor']}: Qifu, {result['households']:,} households, "
        f"{result['persons']:,} persons, {result['grids']} grids with buildings, "
        f"{result['buildings']} buildings"
    )
    print(f"  baseline COUNT of persons: {base * 1000:8.1f} ms")
    for key, label in (
        ("profile", "community_profile"),
        ("draft", "plan_draft"),
        ("refresh", "plan_refresh"),
        ("pdf", "PDF document"),
        ("docx", "DOCX document"),
    ):
        extra = f" ({result[key + '_bytes'] / 1024:.0f} KiB)" if key + "_bytes" in result else ""
        print(
            f"  {label:18s}: {result[key] * 1000:8.1f} ms = {result[key] / base:6.1f}× baseline{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    info = print_machine()
    vendors = [args.only] if args.only else ["sqlite", "postgresql"]
    results = []
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-plans-") as tmp:
        for vendor in vendors:
            result = measure(vendor, args, Path(tmp))
            report(result)
            results.append(result)
    print("\nload average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps({"machine": info, "results": results}))


if __name__ == "__main__":
    main()
