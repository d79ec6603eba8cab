"""Campaign dispatch (智能外呼) to 100,000 persons through the HTTP gateway against the local
provider server: sustained messages per minute and how well the configured pace holds,
against the raw provider throughput (the adapter alone) measured in the same run.

    .venv/bin/python benchmarks/outreach_dispatch.py                    # SQLite
    .venv/bin/python benchmarks/outreach_dispatch.py --only postgresql  # PostgreSQL
    .venv/bin/python benchmarks/outreach_dispatch.py --persons 20000 --pace 30000   # quick

Setup (not timed), per database: a fresh SQLite file (WAL, as in settings) or an emptied
PostgreSQL database (`--database-url`, default the local `gongzhi` role's
`gongzhi_bench_outreach`, created if missing); `gongzhi keys init` and `gongzhi migrate`;
then, in a child process: the test world of `gongzhi.testing` and --persons synthetic
persons (four to a household, each with a mobile number and an ID number, encrypted and
blind-indexed as the register stores them) written with the demo's bulk INSERTs.

Measured, in the child, with the local provider server (provider_server.py) on
127.0.0.1 and `HttpOutreachGateway` (one kept connection, batches of
GONGZHI_OUTREACH_BATCH = 500):
1. **raw**: the adapter sends the same number of messages, in batches of 500, with no
   database work at all (the ceiling the provider and the HTTP path allow);
2. **paced**: a running SMS campaign to every person at --pace a minute, dispatched with
   `outreach.dispatch.dispatch_round` (rounds of 50 s, as the worker runs them) until
   every recipient has been sent to: claims, opt-out checks, decrypting the numbers,
   the attempts' INSERTs before sending, the results' UPDATEs;
3. **unlimited**: the same with a pace far above what the machine can do.
Per campaign: messages a minute over the whole run, and the rate in every full 10-second
window (from the batches' send times at the gateway) against the configured pace: the
largest deviation is the pacing accuracy. Targets: ≥ 60,000 a minute, pace within 5 %.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, child_env, print_machine, reset_postgres, run_gongzhi

DEFAULT_URL = "postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_outreach"
UNLIMITED = 1_000_000_000
WINDOW = 10.0
BATCH = 500


# --- the child: Django set up, build, measure -----------------------------------------------


def build_persons(world, count: int) -> list[int]:
    """`count` persons in households of four in one building (demo's bulk INSERT path)."""
    from gongzhi.core import clock
    from gongzhi.demo.bulk import Inserter
    from gongzhi.registry import rows as row_rules
    from gongzhi.registry.models import Household, Person
    from gongzhi.testing import make_id_number, make_phone

    building, community = world.building_a1, world.community_a
    households = Inserter(Household, row_rules.HOUSEHOLD_COLUMNS)
    persons = Inserter(Person, row_rules.PERSON_COLUMNS)
    names = [row_rules.name_keys(n) for n in ("王建国", "李秀英", "张晓明", "刘芳")]
    today = clock.today()
    per_household = 4
    step = 2000  # households per INSERT round
    total_households = (count + per_household - 1) // per_household
    for first in range(0, total_households, step):
        span = range(first, min(first + step, total_households))
        households.insert(
            households.row(
                row_rules.household_row(
                    community_id=community.pk,
                    building=building,
                    unit=f"B{i // 1000}",
                    room=str(i % 1000),
                )
            )
            for i in span
        )
        units = {f"B{i // 1000}" for i in span}
        ids = {
            (unit, room): pk
            for unit, room, pk in Household.objects.filter(
                building=building, unit__in=units
            ).values_list("unit", "room", "pk")
        }
        rows = []
        for i in span:
            household_id = ids[(f"B{i // 1000}", str(i % 1000))]
            for k in range(per_household):
                n = i * per_household + k
                if n >= count:
                    break
                birth = dt.date(1950, 1, 1) + dt.timedelta(days=n // 400)
                number = make_id_number(birth=birth, seq=n % 400)
                given = {
                    **names[k]._asdict(),
                    "id_number": number,
                    "id_number_index": row_rules.id_number_index(number),
                    "birth_date": birth,
                    "gender": "male",
                    **row_rules.phone_columns(make_phone(10_000_000 + n))._asdict(),
                }
                values = row_rules.person_values(given, today=today)
                rows.append(
                    persons.row(
                        row_rules.person_row(
                            household_id=household_id, area_path=building.path, values=values
                        )
                    )
                )
        persons.insert(rows)
    return list(
        Person.objects.filter(household__building=building, household__unit__startswith="B")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def campaign_with(world, person_ids: list[int], pace: int, name: str) -> int:
    from gongzhi.core import clock
    from gongzhi.demo.bulk import Inserter
    from gongzhi.outreach.models import Campaign, Recipient

    now = clock.now()
    campaign = Campaign.objects.create(
        area=world.community_a,
        area_path=world.community_a.path,
        name=name,
        sms_text="【共治】请于今日到社区报到，回复1已报到，回复TD退订",
        channels=["sms"],
        pace_per_minute=pace,
        status="running",
        started_at=now,
    )
    inserter = Inserter(
        Recipient, ("campaign_id", "person_id", "area_path", "state", "next_at", "retain_until")
    )
    path = world.building_a1.path
    for first in range(0, len(person_ids), 5000):
        inserter.insert(
            inserter.row((campaign.pk, pk, path, "pending", now, None))
            for pk in person_ids[first : first + 5000]
        )
    return campaign.pk


class Recording:
    """The HTTP gateway, noting when each batch went out and how many were accepted."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.name = gateway.name
        self.batches: list[tuple[float, int]] = []

        self.seconds = 0.0  # spent in the gateway (HTTP): the rest is the database's work

    def send_sms_batch(self, messages):
        return self._timed(self.gateway.send_sms_batch, messages)

    def place_calls(self, calls):
        return self._timed(self.gateway.place_calls, calls)

    def _timed(self, send, items):
        at = time.monotonic()
        results = send(items)
        self.seconds += time.monotonic() - at
        self.batches.append((at, sum(1 for r in results if r.ok)))
        return results


def rates(batches: list[tuple[float, int]], width: float) -> list[float]:
    """Messages a minute in each full `width`-second window from the first batch."""
    start = batches[0][0]
    counts: dict[int, int] = {}
    for at, n in batches:
        slot = int((at - start) // width)
        counts[slot] = counts.get(slot, 0) + n
    last_full = int((batches[-1][0] - start) // width)  # the window still open is partial
    return [counts.get(i, 0) * 60 / width for i in range(last_full)]


def windows(batches: list[tuple[float, int]], pace: int | None) -> dict:
    """The rate per WINDOW and per minute, and against the pace: the largest deviation in
    any full window, and the largest lead or lag of the messages sent so far over
    pace × time (in messages: how far the sending ever strayed from an even flow)."""
    if not batches:
        return {"windows": [], "max_deviation": None}
    short, minute = rates(batches, WINDOW), rates(batches, 60.0)
    out: dict = {"windows": [round(r) for r in short], "minutes": [round(r) for r in minute]}
    out["max_deviation"] = out["max_deviation_minute"] = out["max_drift"] = None
    if pace and short:
        start, done, drift = batches[0][0], 0, 0.0
        for at, n in batches:
            drift = max(drift, abs(done - pace * (at - start) / 60))
            done += n
        out["max_deviation"] = max(abs(r - pace) / pace for r in short)
        out["max_deviation_minute"] = max(abs(r - pace) / pace for r in minute) if minute else None
        out["max_drift"] = round(drift)
    return out


def run_campaign(campaign_id: int, gateway, expected: int, pace: int) -> dict:
    from gongzhi.outreach.dispatch import dispatch_round

    recording = Recording(gateway)
    began = time.perf_counter()
    rounds = sent = failed = 0
    while sent < expected:
        result = dispatch_round(campaign_id, gateway=recording, budget_seconds=50.0)
        rounds += 1
        sent += result.sent
        failed += result.failed
        if not result.sent and not result.failed:
            break
    seconds = time.perf_counter() - began
    # The rate between the first and the last batch's sending, as the windows see it.
    span = recording.batches[-1][0] - recording.batches[0][0] if recording.batches else 0
    return {
        "pace": pace,
        "sent": sent,
        "failed": failed,
        "rounds": rounds,
        "seconds": seconds,
        "per_minute": sent * 60 / seconds,
        "gateway_seconds": recording.seconds,
        "per_minute_between_batches": (sent - recording.batches[-1][1]) * 60 / span
        if span
        else None,
        **windows(recording.batches, pace if pace != UNLIMITED else None),
    }


def raw(gateway, phones: list[str]) -> dict:
    from gongzhi.outreach.gateways import Message

    text = "【共治】请于今日到社区报到，回复1已报到，回复TD退订"
    batches = [
        [Message(f"raw-{i + j}", phones[i + j], text) for j in range(min(BATCH, len(phones) - i))]
        for i in range(0, len(phones), BATCH)
    ]
    began = time.perf_counter()
    ok = sum(sum(1 for r in gateway.send_sms_batch(batch) if r.ok) for batch in batches)
    seconds = time.perf_counter() - began
    return {"sent": ok, "seconds": seconds, "per_minute": ok * 60 / seconds}


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection

    from gongzhi.outreach.http_gateway import HttpOutreachGateway
    from gongzhi.outreach.models import Attempt
    from gongzhi.outreach.provider_server import ProviderConfig, ProviderServer
    from gongzhi.registry.models import Person
    from gongzhi.testing import build_world

    world = build_world()
    began = time.perf_counter()
    person_ids = build_persons(world, args.persons)
    built = time.perf_counter() - began
    print(f"  built {len(person_ids):,} persons in {built:.0f} s", file=sys.stderr, flush=True)
    paced = campaign_with(world, person_ids, args.pace, "基准：限速")
    unlimited = campaign_with(world, person_ids, UNLIMITED, "基准：不限速")
    phones = [
        p.phone.reveal() for p in Person.objects.filter(pk__in=person_ids).only("phone").iterator()
    ]
    result: dict = {"vendor": connection.vendor, "persons": len(person_ids), "build_s": built}
    with ProviderServer(ProviderConfig(key="bench", latency=args.latency)) as provider:
        gateway = HttpOutreachGateway(url=provider.url, key="bench", timeout=30)
        result["raw"] = raw(gateway, phones)
        print("  raw done", file=sys.stderr, flush=True)
        result["paced"] = run_campaign(paced, gateway, len(person_ids), args.pace)
        print("  paced done", file=sys.stderr, flush=True)
        result["unlimited"] = run_campaign(unlimited, gateway, len(person_ids), UNLIMITED)
        result["provider"] = provider.counts()
    result["attempts"] = Attempt.objects.count()
    result["attempts_sent"] = Attempt.objects.filter(status="sent").count()
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
    env["GONGZHI_OUTREACH_BATCH"] = str(BATCH)
    run_gongzhi(["keys", "init"], env)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    print(f"\n{vendor}: building and measuring …", flush=True)
    command = [
        sys.executable, __file__, "--child", "--persons", str(args.persons),
        "--pace", str(args.pace), "--latency", str(args.latency),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{vendor}: the measuring child failed")
    return json.loads(lines[-1][len("RESULT ") :])


def report(result: dict, target: int) -> None:
    raw_rate = result["raw"]["per_minute"]
    print(f"{result['vendor']}: {result['persons']:,} persons (built in {result['build_s']:.0f} s)")
    print(f"  raw adapter, no database: {raw_rate:10,.0f} messages/min "
          f"({result['raw']['sent']:,} in {result['raw']['seconds']:.1f} s)")  # fmt: skip
    for key in ("paced", "unlimited"):
        run = result[key]
        pace = "unlimited" if run["pace"] == UNLIMITED else f"{run['pace']:,}/min"
        deviation = run["max_deviation"]
        held = ""
        if deviation is not None:
            per_minute = run["max_deviation_minute"]
            held = (
                f", max deviation per {WINDOW:.0f} s {deviation:.1%}"
                + (f", per minute {per_minute:.1%}" if per_minute is not None else "")
                + f", max drift {run['max_drift']} messages"
            )
        print(f"  dispatch_round, pace {pace}: {run['per_minute']:10,.0f} messages/min "
              f"({run['sent']:,} in {run['seconds']:.1f} s, {run['rounds']} rounds"
              f"{held}); {run['per_minute'] / raw_rate:.2f} of raw; "
              f"{run['gateway_seconds']:.1f} s of it in the gateway")  # fmt: skip
        print(f"    per {WINDOW:.0f} s window (a minute's rate): {run['windows']}")
    unlimited = result["unlimited"]["per_minute"]
    deviation = result["paced"]["max_deviation"]
    fast = "met" if unlimited >= target else "NOT met"
    held = "met" if deviation is not None and deviation <= 0.05 else "NOT met"
    print(f"  target ≥ {target:,}/min: {fast}; pace within 5 %: {held}")
    print(f"  attempts {result['attempts']:,} (sent {result['attempts_sent']:,}); "
          f"provider {result['provider']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--pace", type=int, default=60_000, help="the paced campaign's pace")
    parser.add_argument("--latency", type=float, default=0.0, help="the provider's, seconds")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    info = print_machine()
    vendors = ["sqlite", "postgresql"] if args.both else [args.only]
    results = []
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-outreach-") as tmp:
        for vendor in vendors:
            result = measure(vendor, args, Path(tmp))
            report(result, 60_000)
            results.append(result)
    print("\nload average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps({"machine": info, "results": results}))


if __name__ == "__main__":
    main()
