"""Venue check-ins through HTTP on PostgreSQL under concurrent load: gunicorn, started here.

    .venv/bin/python benchmarks/checkin_load.py                          # 32 clients, 20 s
    .venv/bin/python benchmarks/checkin_load.py --clients 64 --workers 4 --threads 4

Setup (not timed): an emptied PostgreSQL database (`--database-url`, default the local
`gongzhi` role's `gongzhi_bench_checkin`, created if missing), `gongzhi migrate`, `gongzhi
demo --scale 0.02`, then in the first demo community: 8 venues (`venue_create`) and one
resident account per client, linked to a register person, each with a signed-in session
made beforehand (as after an SMS sign-in); and for each client a visitor's day cookie (a
phone confirmed earlier today). Then `gunicorn gongzhi.wsgi` (gthread workers, keep-alive)
with `benchmarks/checkin_bench_settings.py`: the app's settings and URLs plus one bare view.

Load: --clients threads, each with its own keep-alive `http.client` connection, loop GET
requests for --seconds per phase, in this order, all against the same server:

1. bare view, no cookies: middleware + one INSERT (the raw limit of a Django request that
   writes a row on this machine);
2. bare view with the residents' session cookies: the same, plus what every signed-in
   request costs here (session, account, roles, second-factor device, the session saved);
3. check-in, signed in: `GET /m/v/<code>/` (the venue's row, one INSERT, the confirmation);
4. check-in by a visitor's day cookie (no session at all).

Reports requests/s and p50 / p99 latency per phase, the errors, and the rows written.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from _common import ROOT, child_env, percentile, print_machine, run_gongzhi

DEFAULT_URL = "postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_checkin"
PORT = 8793
VENUES = 8

SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from gongzhi.accounts.middleware import SIGNED_IN_AT
from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant, user_create, user_link_person
from gongzhi.core import clock
from gongzhi.health import venues
from gongzhi.health.checkin_views import CHECKIN_COOKIE, CHECKIN_SALT
from gongzhi.registry import rows
from gongzhi.registry.models import Area, AreaKind, Person

N, V = {clients}, {venues}
community = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path").first()
buildings = list(Area.objects.within(community.path).filter(kind=AreaKind.BUILDING).order_by("path")[:V])
made = [venues.venue_create(actor=None, area=b, name=f"压测场所{{i}}", kind="shop") for i, b in enumerate(buildings)]
persons = list(Person.objects.within(community.path).order_by("pk")[: 2 * N])
sessions, cookies = [], []
for i in range(N):
    person = persons[i]
    user = user_create(username=f"bench-resident-{{i}}", password=None, display_name="压测")
    membership_grant(user=user, area=community, role=Role.RESIDENT)
    user_link_person(user=user, person=person)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SIGNED_IN_AT] = clock.now().timestamp()
    store.create()
    sessions.append(store.session_key)
    visitor = persons[N + i]
    cookies.append(signing.dumps(
        {{"i": rows.phone_index(f"138{{i:08d}}"), "p": visitor.pk, "d": clock.today().isoformat()}},
        salt=CHECKIN_SALT, compress=True,
    ))
print(json.dumps({{"codes": [v.code for v in made], "venue_id": made[0].pk, "sessions": sessions,
                  "day_cookies": cookies, "cookie_name": CHECKIN_COOKIE}}))
"""


def ensure_database(url: str) -> None:
    import psycopg
    from _common import reset_postgres

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    reset_postgres(url)


def count_rows(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute("SELECT count(*) FROM health_checkin").fetchone()[0]


def setup(url: str, data: Path, clients: int) -> dict:
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    run_gongzhi(["demo", "--scale", "0.02"], env)
    out = run_gongzhi(["shell", "-c", SETUP.format(clients=clients, venues=VENUES)], env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(url: str, data: Path, ids: dict, workers: int, threads: int) -> subprocess.Popen:
    env = child_env(data, url)
    env.update(
        CONN_MAX_AGE="600",
        DJANGO_SETTINGS_MODULE="checkin_bench_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
        BENCH_VENUE_ID=str(ids["venue_id"]),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "gongzhi.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "--keep-alive", "60", "--backlog", "2048", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start: " + (server.stderr.read() if server.stderr else ""))


def run_phase(clients: int, seconds: float, request_for) -> dict:
    """`request_for(i, n) -> (path, headers)`: the n-th request of client i."""
    values: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        local: list[float] = []
        bad: list[str] = []
        n = 0
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            path, headers = request_for(i, n)
            n += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.status == 200:
                local.append(elapsed)
            else:
                bad.append(str(response.status))
        with lock:
            values.extend(local)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "requests_per_s": round(len(values) / elapsed, 1),
        "p50_ms": round(percentile(values, 50), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "ok": len(values),
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:5],
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL (emptied!)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-checkin-"))
    ensure_database(args.database_url)
    print("Setting up: migrate, demo --scale 0.02, venues, residents' sessions …", flush=True)
    ids = setup(args.database_url, data, args.clients)
    codes, cookie_name = ids["codes"], ids["cookie_name"]
    session = [{"Cookie": f"sessionid={key}"} for key in ids["sessions"]]
    day = [{"Cookie": f"{cookie_name}={value}"} for value in ids["day_cookies"]]

    def checkin_path(i: int, n: int) -> str:
        return f"/m/v/{codes[(i + n) % len(codes)]}/"

    phases = {
        "bare_anonymous": (args.baseline_seconds, lambda i, n: ("/bench/bare-insert/", {})),
        "bare_signed_in": (args.baseline_seconds, lambda i, n: ("/bench/bare-insert/", session[i])),
        "checkin_signed_in": (args.seconds, lambda i, n: (checkin_path(i, n), session[i])),
        "checkin_day_cookie": (args.seconds, lambda i, n: (checkin_path(i, n), day[i])),
    }
    server = start_server(args.database_url, data, ids, args.workers, args.threads)
    try:
        run_phase(args.clients, 3, phases["checkin_signed_in"][1])  # warm every worker up
        run_phase(args.clients, 2, phases["bare_anonymous"][1])
        results: dict = {
            "machine": info,
            "clients": args.clients,
            "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        }
        rows_before = count_rows(args.database_url)
        ok = 0
        for name, (seconds, request_for) in phases.items():
            results[name] = run_phase(args.clients, seconds, request_for)
            ok += results[name]["ok"]
            print(name, json.dumps(results[name]), flush=True)
        results["rows_written"] = count_rows(args.database_url) - rows_before
        results["rows_expected"] = ok
        base = results["bare_anonymous"]["requests_per_s"]
        signed = results["bare_signed_in"]["requests_per_s"]
        rate = results["checkin_signed_in"]["requests_per_s"]
        results["checkin_vs_bare_anonymous"] = round(rate / base, 2) if base else None
        results["checkin_vs_bare_signed_in"] = round(rate / signed, 2) if signed else None
        results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
