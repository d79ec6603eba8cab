"""Matching an upstream list of a million rows against a register of a million persons.

    .venv/bin/python benchmarks/match_upstream.py --keep /tmp/gz-match-1m     # build + measure
    .venv/bin/python benchmarks/match_upstream.py --reuse /tmp/gz-match-1m    # measure again
    .venv/bin/python benchmarks/match_upstream.py --reuse /tmp/gz-match-1m --database-url postgresql://…

Build (child processes, a new SQLite file or an emptied PostgreSQL database): `gongzhi
migrate`, `gongzhi keys init`, then the demo's register alone (`gongzhi.demo.load.load`,
the bulk path `gongzhi demo` uses, so every person is encrypted and blind-indexed exactly
like a real one) at the scale that gives --persons persons. The demo's other data
(vaccinations, lists, work orders) is not loaded: it plays no part here.

Measured in this process, each phase timed with its peak resident memory (sampled every
5 ms) above the process's size before it:

1. **register keys** — `matching.register_frame`: id, path, name, birth date and the two
   blind indexes of every present person, straight from the cursor into Polars;
2. **match** — `matching.match`: the three tiers (ID index; name + phone index; name +
   birth date) with ambiguity, on --rows upstream rows whose keys are already computed;
3. **bare join** — `matching.bare_join`: one left join of the upstream ID indexes on the
   register's, the lower bound for any matching on precomputed keys (same run, same data);
4. **place** — `services.place_rows`, the service's whole matching step: 1 + 2, then the
   rows nobody matched routed by address, and every row's responsible grid worker;
5. **parse** — `read_table` + `parsing.parse_rows` on a CSV of --rows synthetic rows:
   normalising, checking and blind-indexing each ID number and phone (what an upload
   costs before any matching; the upload itself is limited to 20 MB);
6. **write** — `plan_entries` + `bulk_create` of --write-rows watch entries (each ID number
   and phone encrypted), in a transaction rolled back afterwards.

4 and 5 run a second time inside `collector.bulk_job()` (fewer garbage collections, as
the import runs), for comparison: `upstream_list_match` does not use it.

The upstream rows are drawn from the register itself: 70 % by ID index, 10 % by name and
phone (with an ID that is not registered), 5 % by name and birth date, 15 % nobody (random
keys, an address of one of the demo's compounds or none).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path

from _common import child_env, machine, reset_postgres, run_gongzhi

PERSONS_AT_SCALE_1 = 43_932  # what `gongzhi demo` makes with its default seed
TARGET_SECONDS = 10.0
NAMES = [
    s + g
    for s in "王李张刘陈杨黄赵吴周徐孙马朱胡"
    for g in ("伟", "芳", "秀英", "建国", "晓明", "丽")
]


def build(data: Path, url: str, persons: int) -> dict:
    scale = round(persons / PERSONS_AT_SCALE_1, 3)
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    run_gongzhi(["keys", "init"], env)
    print(f"Building ~{persons:,} persons: the demo register at scale {scale} …", flush=True)
    code = (
        "from django.db import transaction\n"
        "from gongzhi.demo.load import load\n"
        "with transaction.atomic():\n"
        f"    load(seed=2023, scale={scale}, say=print)\n"
    )
    run = run_gongzhi(["shell", "-c", code], env)
    for line in run.stdout.splitlines():
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


# --- measuring ---------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


class Phase:
    """Wall time and peak RSS above the starting RSS of a block."""

    def __init__(self, name: str, results: dict):
        self.name, self.results = name, results

    def __enter__(self) -> Phase:
        self.start_rss = rss_mb()
        self.peak = self.start_rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.started = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        seconds = time.perf_counter() - self.started
        cpu = time.process_time() - self.cpu
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss_mb())
        self.results[self.name] = {
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_mb_above_start": round(self.peak - self.start_rss),
            "rss_mb_after": round(rss_mb()),
        }
        print(
            f"  {self.name:<14} {seconds:8.2f} s   peak +{self.peak - self.start_rss:6.0f} MB"
            f"   (CPU time {cpu:.2f} s, all threads)",
            flush=True,
        )


def upstream_rows(register, n: int, rng: random.Random) -> list:
    """Parsed rows (`parsing.Row`) drawn from the register's keys, in row order.

    The kinds of row are shuffled before the rows are made, so that the row objects lie in
    memory in row order, as rows read from a file do."""
    from gongzhi.health.parsing import Row
    from gongzhi.registry.models import Area, AreaKind

    compounds = list(Area.objects.filter(kind=AreaKind.COMPOUND).values_list("name", flat=True))
    taken = register.sample(n=min(int(n * 0.85), register.height), seed=1, shuffle=True)
    ids, names, births, phones = (
        taken.get_column(c).to_list() for c in ("id_index", "name", "birth", "phone_index")
    )
    order = list(range(n))
    rng.shuffle(order)
    by_id, by_phone = int(n * 0.70), int(n * 0.80)
    rows = []
    for number, i in enumerate(order, start=2):
        row = Row(row_number=number)
        if i < len(ids):
            row.name = names[i]
            if i < by_id:
                row.id_index = ids[i]
            elif i < by_phone and phones[i]:
                row.id_index, row.phone_index = rng.randbytes(16).hex(), phones[i]
            else:
                row.birth_date = births[i]
        else:
            row.name = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("新晨磊静敏伟")
            row.id_index, row.phone_index = rng.randbytes(16).hex(), rng.randbytes(16).hex()
            if compounds and i % 3:
                building = f"{rng.randrange(1, 12)}栋{rng.randrange(1, 4)}单元"
                row.address = rng.choice(compounds) + building
        rows.append(row)
    return rows


def synthetic_csv(path: Path, n: int, rng: random.Random) -> None:
    """A list as the big-data centre sends it: valid ID numbers (some typed with a lower-case
    x or full-width digits), mobiles, dates in three spellings."""
    import datetime as dt

    from gongzhi.core.identity import id_check_digit

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号码", "手机号码", "来源地", "到达日期", "现住址"])
        for i in range(n):
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 29000))
            first17 = f"420102{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
            number = first17 + id_check_digit(first17)
            if number.endswith("X") and i % 2:
                number = number[:-1] + "x"
            elif i % 50 == 0:
                number = number.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
            day = ("2022-03-14", "2022/3/14", "44634")[i % 3]
            writer.writerow(
                [NAMES[i % len(NAMES)], number, f"139{i:08d}"[:11], "武汉市", day, "玉岭花园3栋"]
            )


def measure(args: argparse.Namespace) -> dict:
    from django.db import transaction

    from gongzhi.core import collector
    from gongzhi.core.tabular import read_table
    from gongzhi.health import matching, parsing, services
    from gongzhi.health.models import UpstreamList
    from gongzhi.registry.models import Area, AreaKind, Person

    results: dict = {}
    root = Area.objects.get(kind=AreaKind.ROOT)
    total = Person.objects.count()
    print(f"Register: {total:,} persons; upstream list: {args.rows:,} rows", flush=True)
    rng = random.Random(1)

    with Phase("register keys", results):
        register = matching.register_frame(root.path)
    rows = upstream_rows(register, args.rows, rng)
    upstream = matching.upstream_frame(rows)
    with Phase("match", results):
        result = matching.match(upstream, register)
    with Phase("bare join", results):
        joined = matching.bare_join(upstream, register)
    tiers = result.get_column("tier").value_counts().sort("tier").to_dicts()
    results["tiers"] = {t["tier"]: t["count"] for t in tiers}
    results["bare join matches"] = joined.get_column("person_id").is_not_null().sum()
    print(f"  tiers: {results['tiers']}", flush=True)
    del register, result, joined

    with Phase("place", results):
        placement = services.place_rows(area_path=root.path, rows=rows)
    results["placed in a grid"] = placement.frame.get_column("grid_id").is_not_null().sum()
    del placement
    # The import runs inside collector.bulk_job(); matching does not (no gain measured):
    # the same step again inside it, for comparison.
    with Phase("place, inside bulk_job", results), collector.bulk_job():
        placement = services.place_rows(area_path=root.path, rows=rows)
    del placement

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        synthetic_csv(path, args.rows, rng)
        results["csv_mb"] = round(path.stat().st_size / 1024 / 1024, 1)
        for phase, job in (("parse", None), ("parse, inside bulk_job", collector.bulk_job)):
            with (
                Phase(phase, results),
                job() if job else nullcontext(),
                read_table(path, max_bytes=10**10) as table,
            ):
                columns = parsing.map_columns(table.header)
                parsed = parsing.parse_rows(table.rows(), columns)
            results["parse problems"] = sum(1 for r in parsed if r.problems)
            del parsed

    write_rows = rows[: args.write_rows]
    with transaction.atomic():
        upstream_list = UpstreamList.objects.create(
            area=root, area_path=root.path, name="benchmark", kind="arrivals",
            filename="bench.csv", file_sha256="-",
        )  # fmt: skip
        with Phase("write", results):
            services.match_rows(upstream_list=upstream_list, rows=write_rows)
        transaction.set_rollback(True)
    results["write rows"] = len(write_rows)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--write-rows", type=int, default=100_000)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="build into this directory and keep it")
    where.add_argument("--reuse", type=Path, help="measure a directory built before")
    parser.add_argument("--database-url", help="PostgreSQL instead of the SQLite file")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    info = {"machine": machine()}
    data = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="gz-match-"))
    url = args.database_url or f"sqlite:///{data / 'gongzhi.sqlite3'}"
    if not args.reuse:
        data.mkdir(parents=True, exist_ok=True)
        if args.database_url:
            reset_postgres(args.database_url)
        info["build"] = build(data, url, args.persons)
    setup_django(data, url)
    info["database"] = url.split(":", 1)[0]
    info["results"] = measure(args)
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    place = info["results"]["place"]["seconds"]
    verdict = "within" if place < TARGET_SECONDS else "over"
    print(f"place_rows: {place:.2f} s, {verdict} the {TARGET_SECONDS:.0f} s target", flush=True)
    print(json.dumps(info, indent=2, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
