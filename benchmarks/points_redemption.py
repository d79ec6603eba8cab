"""Redemption throughput (能量仓) under concurrency, with the invariants checked at the end,
against a bare conditional UPDATE of the stock in the same run; SQLite and PostgreSQL.

    .venv/bin/python benchmarks/points_redemption.py                       # both, 8 threads
    .venv/bin/python benchmarks/points_redemption.py --threads 16 --stock 1000 --only postgresql

Setup (not timed), per database: a fresh SQLite file (WAL, IMMEDIATE transactions, as in
settings) or an emptied PostgreSQL database (`--database-url`, default the local `gongzhi`
role's `gongzhi_bench_redeem`, created if missing); `gongzhi migrate`; then, in a child
process: the test world of `gongzhi.testing` (two communities), --holders volunteers of
community A with points for 5.5 items each, and two rewards of --stock items.

Measured, with --threads threads, each with its own database connection, released at once:
1. **bare**: `UPDATE points_reward SET stock = stock - 1 WHERE id = %s AND stock > 0`, one
   autocommit statement per attempt, until the stock is gone (the floor: one row, one
   write, nothing else);
2. **redeem**: `points.rewards.redeem` for stock × 1.2 attempts (each holder six times,
   round robin): the stock UPDATE, the redemption with its voucher code, the ledger entry
   and the balance's conditional UPDATE, one transaction each. Every attempt past the
   stock or past a holder's points is refused.
Then the invariants: stock 0 and never negative, exactly --stock redemptions, each with its
ledger entry, each holder's balance equal to the sum of their entries and never negative.
Reports attempts/s and successful operations/s, p50 / p99 per attempt, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, child_env, percentile, print_machine, reset_postgres, run_gongzhi

DEFAULT_URL = "postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_redeem"
PRICE = 10


# --- the child: Django set up, measure ------------------------------------------------------


def _threads(work, items: list, threads: int) -> tuple[float, list[float], list[str]]:
    """Run work(item) for every item on `threads` threads released together; wall time,
    per-call latencies, outcomes."""
    from django.db import connections

    start = threading.Event()
    lock = threading.Lock()
    queue = list(reversed(items))
    latencies: list[float] = []
    outcomes: list[str] = []

    def loop() -> None:
        try:
            start.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    item = queue.pop()
                began = time.perf_counter()
                outcome = work(item)
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    outcomes.append(outcome)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    start.set()
    for thread in pool:
        thread.join()
    return time.perf_counter() - began, latencies, outcomes


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.db.models import Sum

    from gongzhi.accounts.models import Role, User
    from gongzhi.accounts.services import membership_grant, user_create
    from gongzhi.points import ledger, rewards
    from gongzhi.points.models import EntryKind, LedgerEntry, PointsAccount, Redemption, Reward
    from gongzhi.testing import build_world

    world = build_world()
    holders = []
    for i in range(args.holders):
        user = user_create(username=f"bench_{i}", password=None, display_name=f"bench {i}")
        membership_grant(user=user, area=world.community_a, role=Role.VOLUNTEER)
        ledger.entry_post(
            holder=user, kind=EntryKind.AWARD, points=PRICE * 11 // 2, source=f"bench:{i}"
        )
        holders.append(user.pk)
    bare = rewards.reward_create(
        actor=None, community=world.community_a, name="bare", price=PRICE, stock=args.stock
    )
    served = rewards.reward_create(
        actor=None, community=world.community_a, name="served", price=PRICE, stock=args.stock
    )
    table = Reward._meta.db_table
    connection.close()

    # 1. The bare conditional UPDATE, autocommit, until the stock is gone (+ threads misses).
    def bare_take(_item: int) -> str:
        from django.db import connection as conn

        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET stock = stock - 1 WHERE id = %s AND stock > 0",
                [bare.pk],
            )
            return "taken" if cursor.rowcount == 1 else "none left"

    attempts = args.stock * 6 // 5
    bare_wall, bare_lat, bare_out = _threads(bare_take, list(range(attempts)), args.threads)

    # 2. The real service.
    users = {u.pk: u for u in User.objects.filter(pk__in=holders)}

    def redeem(user_id: int) -> str:
        try:
            rewards.redeem(actor=users[user_id], reward=served.pk)
            return "redeemed"
        except ValidationError as exc:
            return "refused " + ",".join(sorted(exc.message_dict))
        except Exception as exc:  # counted, and fails the invariants below
            return f"error {type(exc).__name__}: {exc}"

    order = [holders[i % len(holders)] for i in range(attempts)]
    wall, lat, out = _threads(redeem, order, args.threads)

    # The invariants.
    problems = []
    stock = {r.pk: r.stock for r in Reward.objects.filter(pk__in=[bare.pk, served.pk])}
    if stock != {bare.pk: 0, served.pk: 0}:
        problems.append(f"stock left {stock}")
    done = Redemption.objects.filter(reward=served)
    if done.count() != args.stock or out.count("redeemed") != args.stock:
        problems.append(f"{done.count()} redemptions, {out.count('redeemed')} reported")
    if done.filter(entry=None).exists():
        problems.append("a redemption without its ledger entry")
    debits = LedgerEntry.objects.filter(kind=EntryKind.REDEMPTION)
    if debits.count() != done.count() or debits.aggregate(s=Sum("points"))["s"] != -PRICE * (
        args.stock
    ):
        problems.append("ledger debits do not match the redemptions")
    if PointsAccount.objects.filter(balance__lt=0).exists():
        problems.append("a balance below zero")
    for user in users.values():
        if ledger.balance_of(user) != ledger.sum_of(user):
            problems.append(f"balance of {user.pk} is not the sum of its entries")
    errors = [o for o in out + bare_out if o.startswith("error")]
    result = {
        "vendor": connection.vendor,
        "threads": args.threads,
        "stock": args.stock,
        "attempts": attempts,
        "bare": {
            "seconds": bare_wall,
            "taken": bare_out.count("taken"),
            "attempts_per_s": attempts / bare_wall,
            "taken_per_s": bare_out.count("taken") / bare_wall,
            "p50_ms": percentile(bare_lat, 50) * 1000,
            "p99_ms": percentile(bare_lat, 99) * 1000,
        },
        "redeem": {
            "seconds": wall,
            "redeemed": out.count("redeemed"),
            "attempts_per_s": attempts / wall,
            "redeemed_per_s": out.count("redeemed") / wall,
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "outcomes": {o: out.count(o) for o in sorted(set(out))},
        },
        "errors": errors[:5],
        "invariants": "held" if not problems and not errors else problems,
    }
    print("RESULT " + json.dumps(result))


# --- the parent: databases, child processes, the table ---------------------------------------


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
    command = [
        sys.executable, __file__, "--child", "--threads", str(args.threads),
        "--stock", str(args.stock), "--holders", str(args.holders),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{vendor}: the measuring child failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def report(result: dict) -> None:
    bare, served = result["bare"], result["redeem"]
    print(f"\n{result['vendor']}: {result['threads']} threads, stock {result['stock']}, "
          f"{result['attempts']} attempts each")  # fmt: skip
    print(f"  bare UPDATE:  {bare['taken_per_s']:8.1f} items/s  "
          f"({bare['attempts_per_s']:.1f} attempts/s, {bare['seconds']:.2f} s), "
          f"p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms")  # fmt: skip
    print(f"  redeem():     {served['redeemed_per_s']:8.1f} redemptions/s  "
          f"({served['attempts_per_s']:.1f} attempts/s, {served['seconds']:.2f} s), "
          f"p50 {served['p50_ms']:.1f} ms, p99 {served['p99_ms']:.1f} ms")  # fmt: skip
    print(f"  outcomes: {served['outcomes']}")
    print(f"  ratio bare / redeem (successful per second): "
          f"{bare['taken_per_s'] / served['redeemed_per_s']:.1f}x")  # fmt: skip
    print(f"  invariants: {result['invariants']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stock", type=int, default=500)
    parser.add_argument("--holders", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    info = print_machine()
    vendors = [args.only] if args.only else ["sqlite", "postgresql"]
    results = []
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-redeem-") as tmp:
        for vendor in vendors:
            result = measure(vendor, args, Path(tmp))
            report(result)
            results.append(result)
    print("\nload average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps({"machine": info, "results": results}))
    if any(r["invariants"] != "held" for r in results):
        raise SystemExit("invariants broken")


if __name__ == "__main__":
    main()
