"""Person search on a register of a million persons, through the real selector.

    .venv/bin/python benchmarks/person_search.py --keep /tmp/gz-1m        # build + measure
    .venv/bin/python benchmarks/person_search.py --reuse /tmp/gz-1m       # measure again
    .venv/bin/python benchmarks/person_search.py --reuse /tmp/gz-1m --database-url postgresql://…

Build: `gongzhi migrate` and `gongzhi demo --scale S` in a child process on a new SQLite
file (or an emptied PostgreSQL database), with S chosen for --persons persons: the demo's
own bulk path, so every row is encrypted and blind-indexed exactly like a real one.

Measure (in this process, against that database): `registry.selectors.person_search_for`
evaluated as `list(qs[:20])`, for a full ID number, a full-pinyin name, the initials, and a
surname's pinyin (a broad prefix), as a community-level user (qifu-secretary: the largest
community) and a street-level user (`street`: all three streets). Each configuration runs
--queries different queries (or until --budget seconds have passed, for a slow one) after
a warm-up. The baseline, measured in the same run, is the bare indexed lookup
`SELECT id FROM registry_person WHERE id_number_index = ?` (and the bare pinyin range
scans); the report gives selector / baseline. EXPLAIN shows which index each query uses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import child_env, machine, median, percentile, reset_postgres, run_gongzhi

PERSONS_AT_SCALE_1 = 43_932  # what `gongzhi demo` makes with its default seed
TARGET_ID_MS = 20.0


def build(data: Path, url: str, persons: int) -> dict:
    scale = round(persons / PERSONS_AT_SCALE_1, 3)
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    print(f"Building ~{persons:,} persons: gongzhi demo --scale {scale} …", flush=True)
    run = run_gongzhi(["demo", "--scale", str(scale)], env)
    for line in run.stdout.splitlines():
        if "leaf grids" in line or "Loaded the demo" in line:
            print("  " + line)
    print(f"  wall {run.seconds:.0f} s, peak RSS {run.peak_rss_mb:.0f} MB", flush=True)
    return {"scale": scale, "seconds": round(run.seconds, 1), "peak_rss_mb": round(run.peak_rss_mb)}


def setup_django(data: Path, url: str) -> None:
    for key in [k for k in os.environ if k.startswith("GONGZHI_KEYRING")]:
        del os.environ[key]
    os.environ["GONGZHI_DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def timed(fn, queries: list, budget: float, warmup: int = 20) -> tuple[list[float], list[int]]:
    for q in queries[:warmup]:
        fn(q)
    times, hits = [], []
    deadline = time.perf_counter() + budget
    for q in queries:
        started = time.perf_counter()
        found = fn(q)
        times.append((time.perf_counter() - started) * 1000)
        hits.append(found)
        if time.perf_counter() > deadline and len(times) >= 50:
            break
    return times, hits


def measure(args: argparse.Namespace) -> dict:
    from django.db import connection

    from gongzhi.accounts.models import User
    from gongzhi.core.crypto import blind_index
    from gongzhi.registry.models import Area, Person
    from gongzhi.registry.selectors import letters_successor, person_search_for

    total = Person.objects.count()
    community = Area.objects.get(code="410102005012")  # 启福社区
    community_user = User.objects.get(username="qifu-secretary")
    street_user = User.objects.get(username="street")
    rng = random.Random(1)
    n = args.queries + 20

    def sample(scope_path: str | None) -> list[Person]:
        people = Person.objects.all()
        if scope_path:
            people = people.filter(area_path__startswith=scope_path)
        low = people.order_by("pk").values_list("pk", flat=True).first()
        high = people.order_by("-pk").values_list("pk", flat=True).first()
        picks = rng.sample(range(low, high + 1), min(n * 2, high - low + 1))
        found = list(
            people.filter(pk__in=picks).only(
                "pk", "id_number", "name_pinyin", "name_initials", "name"
            )
        )
        rng.shuffle(found)
        return found[:n]

    community_people = sample(community.path)
    all_people = sample(None)

    def surname_pinyin(person: Person) -> str:
        from gongzhi.core.text import pinyin_keys

        return pinyin_keys(person.name[:1])[0]

    kinds = {
        "id number": lambda p: p.id_number.reveal(),
        "full pinyin": lambda p: p.name_pinyin,
        "initials": lambda p: p.name_initials,
        "surname pinyin (broad)": surname_pinyin,
    }
    users = {"community (qifu-secretary)": community_user, "street (street)": street_user}
    people_of = {
        "community (qifu-secretary)": community_people,
        "street (street)": all_people,
    }

    def run_selector(user):
        def fn(q: str) -> int:
            return len(list(person_search_for(user=user, q=q)[:20]))

        return fn

    def baseline_id(index: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM registry_person WHERE id_number_index = %s", [index])
            return len(cursor.fetchall())

    def baseline_prefix(column: str):
        def fn(prefix: str) -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM registry_person WHERE {column} >= %s AND {column} < %s "
                    "LIMIT 20",
                    [prefix, letters_successor(prefix)],
                )
                return len(cursor.fetchall())

        return fn

    def run_alternative(user):
        """Not the product's code: the same name search written as `pk IN (name match)`
        within the scope, so SQLite drives it from the name indexes (see the doc)."""
        from gongzhi.accounts import access
        from gongzhi.accounts.policy import Perm
        from gongzhi.core.text import normalize_query
        from gongzhi.registry.selectors import _letters_prefix

        def query(q: str):
            text = normalize_query(q)
            match = Person.objects.filter(
                _letters_prefix("name_pinyin", text) | _letters_prefix("name_initials", text)
            )
            people = Person.objects.filter(pk__in=match.values("pk"))
            return access.restrict(people, user, Perm.REGISTER_VIEW, "area_path")[:20]

        def fn(q: str) -> int:
            return len(list(query(q)))

        fn.query = query
        return fn

    results = []
    plans = {}
    for user_label, user in users.items():
        people = people_of[user_label]
        for kind, make in kinds.items():
            if args.only and args.only not in kind:
                continue
            queries = [make(p) for p in people]
            times, hits = timed(run_selector(user), queries, args.budget)
            row = {
                "kind": kind,
                "user": user_label,
                "queries": len(times),
                "median_ms": round(median(times), 3),
                "p99_ms": round(percentile(times, 99), 3),
                "mean_rows": round(sum(hits) / len(hits), 1),
            }
            if kind == "id number":
                indexes = [blind_index(q, "person.id_number") for q in queries]
                base, _ = timed(baseline_id, indexes, args.budget)
                # The same lookup through the ORM, no scope: what the ORM alone costs.
                orm, _ = timed(
                    lambda i: len(list(Person.objects.filter(id_number_index=i)[:20])),
                    indexes,
                    args.budget,
                )
                row["orm_lookup_median_ms"] = round(median(orm), 3)
            elif kind == "initials":
                base, _ = timed(baseline_prefix("name_initials"), queries, args.budget)
            else:
                base, _ = timed(baseline_prefix("name_pinyin"), queries, args.budget)
            row["baseline_median_ms"] = round(median(base), 3)
            row["baseline_p99_ms"] = round(percentile(base, 99), 3)
            row["ratio_median"] = round(row["median_ms"] / row["baseline_median_ms"], 1)
            results.append(row)
            print(
                f"  {kind:<24} {user_label:<28} n={row['queries']:<5} median "
                f"{row['median_ms']:>8.2f} ms  p99 {row['p99_ms']:>8.2f} ms  baseline "
                f"{row['baseline_median_ms']:>6.3f} ms  ratio {row['ratio_median']:>7.1f}  "
                f"rows {row['mean_rows']}"
                + (
                    f"  (ORM lookup without scope {row['orm_lookup_median_ms']:.3f} ms)"
                    if "orm_lookup_median_ms" in row
                    else ""
                ),
                flush=True,
            )
            plans[f"{kind} / {user_label}"] = person_search_for(user=user, q=queries[0])[
                :20
            ].explain()
            if args.alternative and kind != "id number":
                alternative = run_alternative(user)
                alt_times, _ = timed(alternative, queries, args.budget)
                alt = {
                    "kind": f"{kind} [alternative: pk IN name match]",
                    "user": user_label,
                    "queries": len(alt_times),
                    "median_ms": round(median(alt_times), 3),
                    "p99_ms": round(percentile(alt_times, 99), 3),
                    "mean_rows": row["mean_rows"],
                    "baseline_median_ms": row["baseline_median_ms"],
                    "baseline_p99_ms": row["baseline_p99_ms"],
                }
                alt["ratio_median"] = round(alt["median_ms"] / alt["baseline_median_ms"], 1)
                results.append(alt)
                print(
                    f"    alternative pk IN (name match): n={alt['queries']} median "
                    f"{alt['median_ms']:.2f} ms  p99 {alt['p99_ms']:.2f} ms",
                    flush=True,
                )
                plans[f"{kind} / {user_label} [alternative]"] = alternative.query(
                    queries[0]
                ).explain()
    with connection.cursor() as cursor:
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        cursor.execute(
            f"{explain} SELECT id FROM registry_person WHERE id_number_index = %s", ["x" * 32]
        )
        plans["baseline id lookup"] = "\n".join(" ".join(map(str, r)) for r in cursor.fetchall())
    return {"persons": total, "results": results, "plans": plans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per configuration")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (emptied on build)")
    parser.add_argument("--keep", type=Path, help="build into this directory and keep it")
    parser.add_argument("--reuse", type=Path, help="measure a register built before")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE before measuring")
    parser.add_argument("--only", default="", help="measure only kinds containing this text")
    parser.add_argument(
        "--alternative",
        action="store_true",
        help="also time name searches written as pk IN (name match) within the scope",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = machine()
    print("Machine:", json.dumps(info, ensure_ascii=False))
    data = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="gongzhi-bench-search-"))
    data.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{data / 'search.sqlite3'}"
    built = None
    if not args.reuse:
        if args.database_url:
            reset_postgres(args.database_url)
        built = build(data, url, args.persons)
    setup_django(data, url)
    from django.db import connection

    if args.analyze:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"ANALYZE took {time.perf_counter() - started:.1f} s")
    print(f"Measuring on {connection.vendor} …", flush=True)
    result = measure(args)
    result.update(backend=connection.vendor, build=built, machine=info, analyzed=args.analyze)
    print("\nQuery plans:")
    for label, plan in result["plans"].items():
        print(f"-- {label}\n{plan}")
    slow = [
        r for r in result["results"] if r["kind"] == "id number" and r["median_ms"] >= TARGET_ID_MS
    ]
    print(
        "\nID lookup "
        + ("MISSES" if slow else "meets")
        + f" the {TARGET_ID_MS:.0f} ms target (median)."
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
