"""A resident's "my record" look-up among 1,000,000 vaccination records.

    .venv/bin/python benchmarks/health_record_lookup.py                  # SQLite
    .venv/bin/python benchmarks/health_record_lookup.py --database-url postgres://gongzhi:gongzhi@127.0.0.1:5432/gzbench_record

Build (reported, not the point): a new SQLite file (or an emptied PostgreSQL database,
created if missing), `gongzhi keys init` and `gongzhi migrate` in a child process; then here one community with a
building and a household (through the services), the measured resident (a register
person made by `person_create`, an account linked to it, three doses through
`vaccination_record`, five tests, two bookings through `booking_create`), and synthetic
persons with 1–4 doses each written straight into the tables (executemany on SQLite,
COPY on PostgreSQL: the look-up's cost is in question, not `vaccination_record`'s).

Measure, twice in the same run: first with --small records in the table (10,000), then
after filling it to --records (1,000,000) and ANALYZE:
1. the selector behind "my record" (`health.session_selectors.health_record_for`: doses,
   tests, bookings) for --lookups different persons, each a fresh look-up;
2. the page `/m/health/record/` through the Django test client, signed in as the resident
   (session, middleware, the portal's frame, the template): --pages requests;
3. the baselines: the bare indexed `SELECT … FROM health_vaccination WHERE person_id = %s
   ORDER BY dose` for the same persons (a raw cursor), and the same doses' query through the
   ORM (what one of the selector's three queries costs at least).
p50 and p99 of each; ratios: selector / bare SELECT, and each at 1 M / at 10,000.
EXPLAIN shows the index the doses' look-up uses.
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

from _common import child_env, percentile, print_machine, reset_postgres, run_gongzhi

CHUNK = 50_000
VACCINES = ["新冠病毒灭活疫苗（Vero细胞）", "重组新冠病毒疫苗（CHO细胞）", "腺病毒载体新冠疫苗"]


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


def build_world() -> dict:
    """One community, its household, and the measured resident with a real record."""
    from gongzhi.accounts.services import user_create, user_link_person
    from gongzhi.core import clock
    from gongzhi.health import sessions
    from gongzhi.health.models import Sample
    from gongzhi.health.services import vaccination_record
    from gongzhi.registry import services
    from gongzhi.registry.models import Area, AreaKind
    from gongzhi.testing import make_id_number

    create = services.area_create
    parent = Area.objects.get(kind=AreaKind.ROOT)
    for kind, name, code in [
        ("province", "湖北省", "420000"),
        ("city", "荆州市", "421000"),
        ("district", "松滋市", "421087"),
        ("street", "新江口街道", "421087001"),
        ("community", "基准社区", "421087001001"),
    ]:
        parent = create(actor=None, parent=parent, kind=kind, name=name, code=code)
    community = parent
    grid = create(
        actor=None, parent=community, kind="grid", name="第一网格", code="421087001001001"
    )
    compound = create(
        actor=None, parent=community, kind="compound", name="基准小区", code="421087001001C001"
    )
    building = create(
        actor=None, parent=grid, kind="building", name="1栋", code="421087001001C001B001",
        compound=compound,
    )  # fmt: skip
    household = services.household_create(actor=None, building=building, unit="1", room="101")
    person = services.person_create(
        actor=None,
        household=household,
        data={"name": "张晓明", "id_number": make_id_number(birth=dt.date(1950, 3, 1))},
    )
    user = user_create(username="bench-resident", password=None, display_name="张晓明")
    user = user_link_person(user=user, person=person, actor=None)
    for dose, day in [
        (1, dt.date(2021, 4, 1)),
        (2, dt.date(2021, 5, 6)),
        (3, dt.date(2021, 11, 20)),
    ]:
        vaccination_record(
            actor=None, person=person, dose=dose, vaccine=VACCINES[0], vaccinated_on=day,
            site="基准社区卫生服务站",
        )  # fmt: skip
    now = clock.now()
    for days in range(5):
        Sample.objects.create(
            person=person, area_path=person.area_path, kind="pcr",
            sampled_at=now - dt.timedelta(days=days + 1), result="negative",
            result_at=now - dt.timedelta(days=days, hours=12),
        )  # fmt: skip
    for days in (2, 9):
        starts = now + dt.timedelta(days=days)
        session = sessions.session_create(
            actor=None, area=community, kind="test", place="基准采样点", starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3), capacity=500,
        )  # fmt: skip
        sessions.booking_create(actor=user, session=session)
    return {"household": household, "person": person, "user": user}


class Filler:
    """Synthetic persons and their doses, written straight into the tables."""

    PERSON_COLUMNS = [
        "id", "created_at", "updated_at", "household_id", "area_path", "name", "name_pinyin",
        "name_initials", "gender", "birth_date", "id_number", "id_number_index", "phone",
        "phone_index", "ethnicity", "relation", "residency", "notes", "version",
    ]  # fmt: skip
    DOSE_COLUMNS = [
        "id", "created_at", "updated_at", "person_id", "dose", "vaccine", "vaccinated_on",
        "site", "recorded_by_id",
    ]  # fmt: skip

    def __init__(self, household) -> None:
        from gongzhi.health.models import Vaccination
        from gongzhi.registry.models import Person

        self.household = household
        self.rng = random.Random(14)
        self.next_person = (
            Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        self.next_dose = (
            Vaccination.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        self.person_ids: list[int] = []
        self.now = dt.datetime.now(dt.UTC)

    def rows(self, records: int) -> tuple[list[tuple], list[tuple]]:
        persons, doses = [], []
        while len(doses) < records:
            pid = self.next_person
            self.next_person += 1
            self.person_ids.append(pid)
            persons.append(
                (pid, self.now, self.now, self.household.pk, self.household.area_path, "王某某",
                 "wangmoumou", "wmm", "male", dt.date(1960, 1, 1), "", "", "", "", "01", "other",
                 "living", "", 1)
            )  # fmt: skip
            day = dt.date(2021, 3, 1) + dt.timedelta(days=self.rng.randrange(60))
            for dose in range(1, min(self.rng.randint(1, 4), records - len(doses)) + 1):
                doses.append(
                    (self.next_dose, self.now, self.now, pid, dose, self.rng.choice(VACCINES), day,
                     "基准社区卫生服务站", None)
                )  # fmt: skip
                self.next_dose += 1
                day += dt.timedelta(days=self.rng.randint(21, 200))
        return persons, doses

    def insert(self, records: int) -> None:
        from django.db import connection, transaction

        from gongzhi.health.models import Vaccination
        from gongzhi.registry.models import Person

        left = records
        with transaction.atomic(), connection.cursor() as cursor:
            while left > 0:
                persons, doses = self.rows(min(CHUNK, left))
                left -= len(doses)
                for table, columns, rows in (
                    (Person._meta.db_table, self.PERSON_COLUMNS, persons),
                    (Vaccination._meta.db_table, self.DOSE_COLUMNS, doses),
                ):
                    if connection.vendor == "postgresql":
                        with cursor.cursor.copy(
                            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                        ) as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        marks = ", ".join(["%s"] * len(columns))
                        cursor.executemany(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                            [tuple(_sqlite(v) for v in row) for row in rows],
                        )
            if connection.vendor == "postgresql":
                for table in (Person._meta.db_table, Vaccination._meta.db_table):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM ANALYZE {Vaccination._meta.db_table}")
                cursor.execute(f"VACUUM ANALYZE {Person._meta.db_table}")
            else:
                cursor.execute("ANALYZE")


def _sqlite(value):
    """Dates and times as Django's SQLite backend stores them (ISO text, UTC naive)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def bare(person_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, dose, vaccine, vaccinated_on, site FROM health_vaccination "
            "WHERE person_id = %s ORDER BY dose",
            [person_id],
        )
        return len(cursor.fetchall())


def timed(fn, args: list) -> list[float]:
    for a in args[:20]:  # warm-up
        fn(a)
    times = []
    for a in args:
        started = time.perf_counter()
        fn(a)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 50), 3),
        "p99_ms": round(percentile(times, 99), 3),
    }


def measure(world: dict, filler: Filler, args: argparse.Namespace) -> dict:
    from django.test import Client

    from gongzhi.health.models import Vaccination
    from gongzhi.health.session_selectors import health_record_for

    rng = random.Random(len(filler.person_ids))
    persons = [rng.choice(filler.person_ids) for _ in range(args.lookups)]
    persons[:: max(1, len(persons) // 50)] = [world["person"].pk] * len(
        persons[:: max(1, len(persons) // 50)]
    )
    selector = timed(lambda pid: health_record_for(person_id=pid), persons)
    baseline = timed(bare, persons)
    orm = timed(
        lambda pid: list(Vaccination.objects.filter(person_id=pid).order_by("dose")), persons
    )
    client = Client()
    client.force_login(world["user"])
    url = "/m/health/record/"

    def page(_):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        assert "基准社区卫生服务站" in response.content.decode()

    pages = timed(page, list(range(args.pages)))
    return {
        "vaccination_rows": Vaccination.objects.count(),
        "selector": summary(selector),
        "bare_select": summary(baseline),
        "orm_doses": summary(orm),
        "page": summary(pages),
    }


def explain(person_id: int) -> str:
    """The plan of each of the selector's three queries."""
    from django.db import connection

    from gongzhi.health.models import Booking, Sample, Vaccination

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    out = []
    for qs in (
        Vaccination.objects.filter(person_id=person_id).order_by("dose"),
        Sample.objects.filter(person_id=person_id).order_by("-sampled_at", "-pk")[:50],
        Booking.objects.filter(person_id=person_id)
        .select_related("session")
        .order_by("-session__starts_at", "-pk")[:50],
    ):
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            out.append("\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()))
    return "\n--\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000, help="records at the first measure")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--database-url", default="", help="PostgreSQL (emptied!)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-record-"))
    if args.database_url:
        ensure_database(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{data / 'record.sqlite3'}"
    env = child_env(data, url)
    run_gongzhi(["keys", "init"], env)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    setup_django(data, url)
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, as in the tests
    results: dict = {"machine": info, "backend": "postgresql" if args.database_url else "sqlite"}
    results["args"] = {k: v for k, v in vars(args).items() if k not in ("json", "database_url")}
    world = build_world()
    filler = Filler(world["household"])
    started = time.perf_counter()
    filler.insert(args.small - 3)
    results["build_small_s"] = round(time.perf_counter() - started, 1)
    results["small"] = measure(world, filler, args)
    print(f"small: {json.dumps(results['small'])}", flush=True)
    started = time.perf_counter()
    filler.insert(args.records - args.small)
    results["build_large_s"] = round(time.perf_counter() - started, 1)
    results["persons"] = len(filler.person_ids) + 1
    print(
        f"Filled to {args.records:,} records of {results['persons']:,} persons in "
        f"{results['build_large_s']} s",
        flush=True,
    )
    results["large"] = measure(world, filler, args)
    print(f"large: {json.dumps(results['large'])}", flush=True)
    small, large = results["small"], results["large"]
    results["ratios"] = {
        "selector_vs_bare_p50_large": round(
            large["selector"]["p50_ms"] / large["bare_select"]["p50_ms"], 2
        ),
        "selector_vs_orm_doses_p50_large": round(
            large["selector"]["p50_ms"] / large["orm_doses"]["p50_ms"], 2
        ),
        "selector_large_vs_small_p50": round(
            large["selector"]["p50_ms"] / small["selector"]["p50_ms"], 2
        ),
        "page_large_vs_small_p50": round(large["page"]["p50_ms"] / small["page"]["p50_ms"], 2),
        "page_large_vs_small_p99": round(large["page"]["p99_ms"] / small["page"]["p99_ms"], 2),
        "bare_large_vs_small_p50": round(
            large["bare_select"]["p50_ms"] / small["bare_select"]["p50_ms"], 2
        ),
    }
    results["explain"] = explain(world["person"].pk)
    results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
