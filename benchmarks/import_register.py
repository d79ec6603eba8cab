"""Importing a register spreadsheet: rows per second end to end, peak memory, and beside
them, in the same run, the raw-insert limit and the naive path.

    .venv/bin/python benchmarks/import_register.py --rows 100000 --format csv
    .venv/bin/python benchmarks/import_register.py --rows 1000000 --format csv
    .venv/bin/python benchmarks/import_register.py --rows 100000 --format xlsx
    .venv/bin/python benchmarks/import_register.py --rows 100000 \
        --database-url postgresql://gongzhi:gongzhi@127.0.0.1:5432/gzbench_import   # emptied!

For each run: a fresh data directory and database (`gongzhi migrate`), a community with a
building per 100 persons, and a generated spreadsheet of realistic rows (Chinese names,
valid ID numbers and mobiles, compound / building / unit / room, relation, a tag on some).
Then, each step in its own child process so that its peak memory (wait4) is its own:

1. **import** — `import_upload` + the check (dry run: every row validated, nothing
   written) + the commit (validation, encryption, blind indexes, dedup, households,
   history, outcomes; one transaction). Rows/s is rows / (check + commit) and the commit
   alone; peak RSS of the process.
2. **raw limit**, twice — rows the import wrote, already encrypted and indexed, read
   back, deleted, and inserted again in one transaction: `executemany` (SQLite) or `COPY`
   (PostgreSQL). What the database takes when Python prepares nothing. First every row
   the commit wrote that the register keeps (households, persons, tags, history, the
   per-row outcomes): the same work as the commit's writes. Then the persons alone: a
   limit no import writing households and history can reach, kept for comparison.
3. **naive** — one `Person(...).save()` per row (each in its own transaction, as a
   loop over `person_create`-like code without batching would do), on the first
   `--naive-rows` rows, extrapolated as rows/s.

`--new-keys predict,bulk_create` instead compares how the commit learns the keys of the
rows it adds (`imports.engine.Engine._insert_new`): for each method in turn, `--rounds`
times alternating, a fresh database and the same file, check + commit; the commit times
and their ratio to the first method's. No raw limit or naive step.

    .venv/bin/python benchmarks/import_register.py --rows 30000 \
        --new-keys predict,returning,read_back,bulk_create --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, child_env, print_machine, reset_postgres, run_gongzhi

HEADER = ["姓名", "身份证号", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "标签"]
PER_BUILDING = 100
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰德福春梅海燕"
RELATIONS = ["户主", "配偶", "子女", "父母", "孙子女", "其他"]
TAGS = ["", "", "", "", "独居老人", "党员", "残疾人", "慢性病"]


def rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(n):
        household = i // 3
        building = household * 3 // PER_BUILDING
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
        # Unique ID numbers: the day of birth and the sequence digits spread over i.
        number = _unique_id(i)
        yield [
            name,
            number,
            f"1{rng.choice(('38', '39', '58', '59', '86', '87', '77'))}{rng.randrange(10**8):08d}",
            f"小区{building // 20 + 1}",
            f"{building % 20 + 1}栋",
            str(household % 4 + 1),
            str(101 + household % 25),
            RELATIONS[i % 3] if i % 3 else "户主",
            TAGS[i % len(TAGS)],
        ]


def _unique_id(i: int) -> str:
    import datetime as dt

    from gongzhi.core.identity import id_check_digit

    birth = dt.date(1930, 1, 1) + dt.timedelta(days=i // 1000)
    first17 = f"421087{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + id_check_digit(first17)


def write_file(path: Path, n: int, fmt: str) -> None:
    from gongzhi.core.tabular import write_csv, write_xlsx

    if fmt == "csv":
        write_csv(path, HEADER, rows(n))
    else:
        write_xlsx(path, HEADER, rows(n), sheet_title="人口")


# --- child steps (run inside a configured Django process) ------------------------------


def child_setup(n: int) -> dict:
    """The community: compounds of 20 buildings, one building per 100 persons."""
    from gongzhi.registry.models import Area
    from gongzhi.registry.services import area_create
    from gongzhi.testing import ensure_reference_data

    ensure_reference_data()
    root = Area.objects.get(kind="root")
    province = area_create(actor=None, parent=root, kind="province", name="湖北省", code="420000")
    city = area_create(actor=None, parent=province, kind="city", name="荆州市", code="421000")
    district = area_create(actor=None, parent=city, kind="district", name="松滋市", code="421087")
    street = area_create(
        actor=None, parent=district, kind="street", name="新江口街道", code="421087001"
    )
    community = area_create(
        actor=None, parent=street, kind="community", name="基准社区", code="421087001001"
    )
    buildings = (n + PER_BUILDING - 1) // PER_BUILDING
    grids = []
    for g in range((buildings + 199) // 200):
        grids.append(
            area_create(
                actor=None, parent=community, kind="grid", name=f"网格{g + 1}",
                code=f"421087001001{g + 1:03d}",
            )
        )  # fmt: skip
    compounds = {}
    for b in range(buildings):
        c = b // 20
        if c not in compounds:
            compounds[c] = area_create(
                actor=None, parent=community, kind="compound", name=f"小区{c + 1}",
                code=f"421087001001C{c + 1:03d}",
            )  # fmt: skip
        area_create(
            actor=None, parent=grids[b // 200], kind="building", name=f"{b % 20 + 1}栋",
            code=f"{compounds[c].code}B{b % 20 + 1:02d}", compound=compounds[c],
        )  # fmt: skip
    from gongzhi.accounts.models import Role
    from gongzhi.accounts.services import membership_grant, user_create

    user = user_create(username="bench", password="bench-password-1", display_name="bench")
    membership_grant(user=user, area=community, role=Role.SECRETARY)
    return {"buildings": buildings}


def child_import(path: str, processes: str, new_keys: str = "") -> dict:
    from django.conf import settings

    from gongzhi.accounts.models import User
    from gongzhi.imports import engine, services

    if processes:
        settings.GONGZHI_IMPORT_PROCESSES = int(processes)
    engine.NEW_KEYS = new_keys

    user = User.objects.get(username="bench")
    started = time.perf_counter()
    with open(path, "rb") as handle:
        batch = services.import_upload(actor=user, file=handle, filename=Path(path).name)
    upload = time.perf_counter() - started
    batch = services.import_request(actor=user, batch=batch, phase="check")
    started, cpu = time.perf_counter(), time.process_time()
    services.import_run(batch_id=batch.pk, phase="check", attempt=batch.attempt)
    check = time.perf_counter() - started
    check_cpu = time.process_time() - cpu
    batch.refresh_from_db()
    batch = services.import_request(actor=user, batch=batch, phase="commit")
    started, cpu = time.perf_counter(), time.process_time()
    services.import_run(batch_id=batch.pk, phase="commit", attempt=batch.attempt)
    commit = time.perf_counter() - started
    commit_cpu = time.process_time() - cpu
    batch.refresh_from_db()
    return {
        "status": batch.status,
        "rows": batch.rows_total,
        "created": batch.rows_created,
        "failed": batch.rows_failed,
        "households": batch.households_created,
        "upload_s": upload,
        "check_s": check,
        "commit_s": commit,
        "check_cpu_s": check_cpu,
        "commit_cpu_s": commit_cpu,
    }


def child_raw(which: str) -> dict:
    """Rows the import wrote, read back (encrypted, indexed, keyed), deleted, and inserted
    again into the same tables with all their indexes and constraints, in one transaction:
    executemany on SQLite, COPY on PostgreSQL. Nothing is computed in Python.

    `persons`: the person table only. `all`: every row the commit wrote that the register
    keeps (households, persons, their tags, the history rows, the per-row outcomes), in
    the order the foreign keys need."""
    from django.db import connection, transaction

    from gongzhi.imports.models import ImportChunk
    from gongzhi.registry.models import Household, Person, PersonTag, RegisterChange

    models = (
        [Person]
        if which == "persons"
        else [Household, Person, PersonTag, RegisterChange, ImportChunk]
    )
    quote = connection.ops.quote_name
    tables = []
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            table = quote(model._meta.db_table)
            columns = [f.column for f in model._meta.concrete_fields]
            names = ", ".join(quote(c) for c in columns)
            where = ""
            if model is ImportChunk:
                where = " WHERE phase = 'commit'"
            cursor.execute(f"SELECT {names} FROM {table}{where}")
            tables.append((table, columns, names, cursor.fetchall()))
        if which == "persons":
            _empty_persons()
        else:
            for model in reversed(models):
                query = model.objects.all()
                if model is ImportChunk:
                    query = query.filter(phase="commit")
                query._raw_delete(model.objects.db)
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, names, prepared in tables:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",
                    prepared,
                )
    seconds = time.perf_counter() - started
    method = "COPY" if connection.vendor == "postgresql" else "executemany"
    return {
        "rows": len(tables[1 if which == "all" else 0][3]),
        "table_rows": {table: len(prepared) for table, _c, _n, prepared in tables},
        "raw_s": seconds, "method": method, "raw_cpu_s": time.process_time() - cpu,
    }  # fmt: skip


def _empty_persons() -> None:
    """Every person gone, by plain DELETEs (the ORM's delete() collects the primary keys
    first and fails with "too many SQL variables" on a million rows)."""
    from gongzhi.registry.models import Household, Person, PersonTag, RegisterChange

    Household.objects.update(head=None)
    for model in (PersonTag, RegisterChange, Person):
        model.objects.all()._raw_delete(model.objects.db)


def child_naive(path: str, limit: int) -> dict:
    """One ORM save() per row, each its own transaction, no batching, no caches."""
    from gongzhi.core import identity
    from gongzhi.core.crypto import blind_index
    from gongzhi.core.tabular import read_table
    from gongzhi.core.text import pinyin_keys
    from gongzhi.registry.models import Area, Household, Person
    from gongzhi.registry.services import address_of, community_of

    _empty_persons()
    count = 0
    started, cpu = time.perf_counter(), time.process_time()
    with read_table(path) as table:
        for _n, values in table.rows():
            name, number, phone, compound, building_name, unit, room, _rel, _tags = values
            rid = identity.parse_resident_id(str(number))
            phone = identity.normalize_phone(str(phone))
            building = Area.objects.select_related("compound").get(
                kind="building", name=building_name, compound__name=compound
            )
            household, _ = Household.objects.get_or_create(
                building=building, unit=str(unit), room=str(room),
                defaults={
                    "community": community_of(building), "area_path": building.path,
                    "address": address_of(building, str(unit), str(room)),
                },
            )  # fmt: skip
            full, initials = pinyin_keys(name)
            Person(
                household=household, area_path=building.path, name=name, name_pinyin=full,
                name_initials=initials, gender=rid.gender, birth_date=rid.birth_date,
                id_number=rid.number, id_number_index=blind_index(rid.number, "person.id_number"),
                phone=phone, phone_index=blind_index(phone, "person.phone"),
            ).save()  # fmt: skip
            count += 1
            if count >= limit:
                break
    return {
        "rows": count, "naive_s": time.perf_counter() - started,
        "naive_cpu_s": time.process_time() - cpu,
    }  # fmt: skip


def child_main(argv: list[str]) -> None:
    import django

    django.setup()
    step = argv[0]
    if step == "setup":
        out = child_setup(int(argv[1]))
    elif step == "generate":
        write_file(Path(argv[1]), int(argv[2]), argv[3])
        out = {"bytes": Path(argv[1]).stat().st_size}
    elif step == "import":
        out = child_import(*argv[1:4])
    elif step == "raw":
        out = child_raw(argv[1])
    elif step == "naive":
        out = child_naive(argv[1], int(argv[2]))
    else:
        raise SystemExit(f"unknown step {step}")
    print("RESULT " + json.dumps(out))


# --- the parent ----------------------------------------------------------------------------


def run_step(env: dict, *args: str) -> tuple[dict, float]:
    """A child step with its own peak RSS (MB), measured by wait4."""
    import subprocess

    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    child = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out = child.stdout.read()
    err = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"step {args[0]} failed:\n{err[-3000:]}")
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    return result, usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (emptied!)")
    parser.add_argument("--naive-rows", type=int, default=5000)
    parser.add_argument(
        "--processes", default="", help="GONGZHI_IMPORT_PROCESSES (default: the setting's)"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--new-keys", default="", help="compare these ways to learn new keys (comma-separated)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --new-keys")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-import-"))
    try:
        if args.new_keys:
            measure_keys(args, data)
        else:
            measure(args, data)
    finally:
        if args.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def measure(args: argparse.Namespace, data: Path) -> None:
    if args.database_url:
        reset_postgres(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{data / 'import.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["keys", "init"], env)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    backend = "postgresql" if args.database_url else "sqlite"
    path = data / f"register.{args.format}"
    generated, _ = run_step(env, "generate", str(path), str(args.rows), args.format)
    print(
        f"file: {args.rows:,} rows, {args.format}, {generated['bytes'] / 1e6:.1f} MB; "
        f"processes: {args.processes or 'default'}"
    )
    run_step(env, "setup", str(args.rows))
    result, rss = run_step(env, "import", str(path), args.processes)
    rows = result["rows"]
    both = result["check_s"] + result["commit_s"]
    print(
        f"[{backend}] import: {rows:,} rows ({result['created']:,} new, {result['failed']} "
        f"problems, {result['households']:,} households); upload {result['upload_s']:.1f} s, "
        f"check {result['check_s']:.1f} s ({rows / result['check_s']:,.0f} rows/s), commit "
        f"{result['commit_s']:.1f} s ({rows / result['commit_s']:,.0f} rows/s); check+commit "
        f"{rows / both:,.0f} rows/s; peak RSS {rss:.0f} MB; CPU time of this process: check "
        f"{result['check_cpu_s']:.1f} s, commit {result['commit_cpu_s']:.1f} s"
    )
    commit_rate = rows / result["commit_s"]
    both_rate = rows / both
    raws = {}
    # "all" first: the persons-only step deletes the history and tags it does not put back.
    for which in ("all", "persons"):
        raw, _raw_rss = run_step(env, "raw", which)
        raws[which] = raw
        raw_rate = raw["rows"] / raw["raw_s"]
        what = "persons only" if which == "persons" else "every row the commit wrote"
        print(
            f"[{backend}] raw limit, {what} ({raw['method']} of prepared rows: "
            f"{', '.join(f'{n:,} {t}' for t, n in raw['table_rows'].items())}): "
            f"{raw['raw_s']:.1f} s, {raw_rate:,.0f} persons/s; end to end is "
            f"{100 * both_rate / raw_rate:.0f}% of it, the commit {100 * commit_rate / raw_rate:.0f}% "
            f"(CPU time of this process {raw['raw_cpu_s']:.1f} s)"
        )
    naive, _ = run_step(env, "naive", str(path), str(args.naive_rows))
    naive_rate = naive["rows"] / naive["naive_s"]
    print(
        f"[{backend}] naive (one ORM save() per row, first {naive['rows']:,} rows): "
        f"{naive_rate:,.0f} rows/s; end to end is {both_rate / naive_rate:.0f}x faster, the "
        f"commit {commit_rate / naive_rate:.0f}x (CPU time of this process {naive['naive_cpu_s']:.1f} s)"
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"backend": backend, "rows": args.rows, "format": args.format, "import": result,
                 "peak_rss_mb": rss, "raw": raws["persons"], "raw_all": raws["all"],
                 "naive": naive},
                indent=2,
            )
        )  # fmt: skip


def measure_keys(args: argparse.Namespace, data: Path) -> None:
    """Check + commit of the same file into a fresh database, once per key method per
    round (alternating, so that the machine's drift falls on every method alike)."""
    methods = args.new_keys.split(",")
    path = data / f"register.{args.format}"
    results: dict[str, list[dict]] = {m: [] for m in methods}
    for round_number in range(args.rounds):
        for method in methods:
            place = data / f"{method}-{round_number}"
            place.mkdir()
            if args.database_url:
                reset_postgres(args.database_url)
                url = args.database_url
            else:
                url = f"sqlite:///{place / 'import.sqlite3'}"
            env = child_env(place, url)
            run_gongzhi(["keys", "init"], env)
            run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
            if not path.exists():
                run_step(env, "generate", str(path), str(args.rows), args.format)
            run_step(env, "setup", str(args.rows))
            result, rss = run_step(env, "import", str(path), args.processes, method)
            results[method].append(result)
            print(
                f"round {round_number + 1}, {method}: {result['created']:,} new, "
                f"{result['failed']} problems; check {result['check_s']:.1f} s, commit "
                f"{result['commit_s']:.1f} s (CPU {result['commit_cpu_s']:.1f} s); peak RSS "
                f"{rss:.0f} MB",
                flush=True,
            )

    def mean(method: str, key: str) -> float:
        return sum(r[key] for r in results[method]) / args.rounds

    base, base_cpu = mean(methods[0], "commit_s"), mean(methods[0], "commit_cpu_s")
    backend = "postgresql" if args.database_url else "sqlite"
    for method in methods:
        commit, cpu = mean(method, "commit_s"), mean(method, "commit_cpu_s")
        rows = results[method][0]["rows"]
        print(
            f"[{backend}] {method}: commit {commit:.2f} s on average ({rows / commit:,.0f} "
            f"rows/s), {commit / base:.2f}x the time of {methods[0]}; CPU of the committing "
            f"process {cpu:.2f} s, {cpu / base_cpu:.2f}x"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
