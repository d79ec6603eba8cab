"""Work orders through the API under concurrent load: gunicorn on PostgreSQL, started here.

    .venv/bin/python benchmarks/workorders_api.py                       # 8 clients, 30 s
    .venv/bin/python benchmarks/workorders_api.py --clients 16 --seconds 60 --workers 4

Setup (not timed): an emptied PostgreSQL database (`--database-url`, default the local
`gongzhi` role's `gongzhi_bench_wo`, created if missing), `gongzhi migrate`, `gongzhi demo
--scale 0.1`, two API keys (`gongzhi apikey issue`): Yuling's grid worker and Yuling's
volunteer. Then `gunicorn gongzhi.wsgi` with --workers sync workers.

Load: --clients threads, each with its own keep-alive `http.client` connection per key,
loop the cycle for --seconds: POST /workorders (the grid worker files for the grid) →
POST /dispatch (to the volunteer) → POST /accept → POST /resolve (the volunteer). Every
request goes through the real transition service: row lock, timeline, audit chain (one
locked head row: every write of the platform lines up there), notifications after commit.

Baseline, same run, same clients, --baseline-seconds each: `GET /healthz` (no database)
and `GET /api/v1/workorder-categories` with the key (authenticated, two small reads).
Reports orders/s (full cycles), requests/s, and p50 / p99 latency per operation.
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

DEFAULT_URL = "postgres://gongzhi:gongzhi@127.0.0.1:5432/gongzhi_bench_wo"
PORT = 8791


def ensure_database(url: str) -> None:
    """Create the database if missing, then empty it."""
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


def setup(url: str, data: Path) -> dict:
    env = child_env(data, url)
    run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
    run_gongzhi(["demo", "--scale", "0.1"], env)
    script = (
        "import json;from gongzhi.accounts.models import User, Membership;"
        "w=Membership.objects.get(user__username='yuling-gridworker');"
        "v=Membership.objects.get(user__username='yuling-volunteer');"
        "print(json.dumps({'grid': w.area_id, 'grid_code': w.area.code,"
        " 'volunteer': v.user_id, 'community_code': v.area.code}))"
    )
    ids = json.loads(run_gongzhi(["shell", "-c", script], env).stdout.strip().splitlines()[-1])

    def key(user: str, code: str, role: str) -> str:
        out = run_gongzhi(
            ["apikey", "issue", "--user", user, "--area-code", code, "--role", role,
             "--name", "benchmark"],
            env,
        )  # fmt: skip
        return out.stdout.strip().splitlines()[-1]

    ids["worker_key"] = key("yuling-gridworker", ids["grid_code"], "grid_worker")
    ids["volunteer_key"] = key("yuling-volunteer", ids["community_code"], "volunteer")
    return ids


def start_server(url: str, data: Path, workers: int) -> subprocess.Popen:
    env = child_env(data, url)
    env["CONN_MAX_AGE"] = "60"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "gongzhi.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(workers), "--keep-alive", "30", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start: " + (server.stderr.read() if server.stderr else ""))


class Client:
    def __init__(self, key: str = ""):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        self.headers = {"X-API-Key": key, "Content-Type": "application/json"} if key else {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return response.status, parsed, elapsed


def run_cycles(ids: dict, clients: int, seconds: float) -> dict:
    times: dict[str, list[float]] = {op: [] for op in ("create", "dispatch", "accept", "resolve")}
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        staff, volunteer = Client(ids["worker_key"]), Client(ids["volunteer_key"])
        local = {op: [] for op in times}
        cycles = 0
        while time.perf_counter() < deadline:
            status, body, ms = staff.call(
                "POST", "/api/v1/workorders",
                {"category": "repair", "description": "压测工单", "place": ids["grid"]},
            )  # fmt: skip
            if status != 201:
                errors.append(f"create {status} {body}")
                continue
            local["create"].append(ms)
            order = body["id"]
            steps = (
                ("dispatch", staff, {"handlers": [ids["volunteer"]]}),
                ("accept", volunteer, None),
                ("resolve", volunteer, {"note": "已处理"}),
            )
            ok = True
            for op, who, payload in steps:
                status, body, ms = who.call("POST", f"/api/v1/workorders/{order}/{op}", payload)
                if status != 200:
                    errors.append(f"{op} {status} {body}")
                    ok = False
                    break
                local[op].append(ms)
            cycles += ok
        with lock:
            for op, values in local.items():
                times[op].extend(values)
            done[0] += cycles

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    requests = sum(len(v) for v in times.values())
    return {
        "seconds": round(elapsed, 1),
        "orders": done[0],
        "orders_per_s": round(done[0] / elapsed, 1),
        "requests_per_s": round(requests / elapsed, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
        "latency_ms": {
            op: {
                "n": len(v),
                "p50": round(percentile(v, 50), 1),
                "p99": round(percentile(v, 99), 1),
            }
            for op, v in times.items()
        },
    }


def run_baseline(path: str, key: str, clients: int, seconds: float) -> dict:
    values: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        client = Client(key)
        local = []
        while time.perf_counter() < deadline:
            status, _body, ms = client.call("GET", path)
            if status == 200:
                local.append(ms)
        with lock:
            values.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "requests_per_s": round(len(values) / elapsed, 1),
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "n": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL (emptied!)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    info = print_machine()
    data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-wo-"))
    ensure_database(args.database_url)
    print("Setting up: migrate, demo --scale 0.1, API keys …", flush=True)
    ids = setup(args.database_url, data)
    server = start_server(args.database_url, data, args.workers)
    try:
        # Warm up every worker's connections and caches.
        run_baseline("/api/v1/workorder-categories", ids["worker_key"], args.clients, 2)
        run_cycles(ids, args.clients, 3)
        results = {
            "machine": info,
            "clients": args.clients,
            "gunicorn_workers": args.workers,
            "baseline_healthz": run_baseline("/healthz", "", args.clients, args.baseline_seconds),
            "baseline_categories": run_baseline(
                "/api/v1/workorder-categories",
                ids["worker_key"],
                args.clients,
                args.baseline_seconds,
            ),
            "cycles": run_cycles(ids, args.clients, args.seconds),
            "load_average_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
