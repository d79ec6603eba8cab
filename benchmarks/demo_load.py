"""How long `gongzhi demo` takes, and how much memory, on a fresh database.

    .venv/bin/python benchmarks/demo_load.py                 # SQLite, 3 fresh loads
    .venv/bin/python benchmarks/demo_load.py --repeat 1 --database-url postgresql://u:p@/db

Each repeat: a new data directory (so the demo makes its own keyring), a new SQLite file
(or an emptied PostgreSQL database), `gongzhi migrate`, then the measured `gongzhi demo`.
After the last repeat it also measures the second run (already loaded: print the logins
and exit) and `gongzhi demo --reset`. Wall time is measured around the child process;
peak memory is the child's own maximum resident set size (wait4). Target: a fresh load
under 60 s on the reference machine.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

from _common import child_env, median, print_machine, reset_postgres, run_gongzhi

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh loads to time")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL (emptied!); default a new SQLite file"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    info = print_machine()
    backend = "postgresql" if args.database_url else "sqlite"
    loads, last = [], None
    for attempt in range(1, args.repeat + 1):
        data = Path(tempfile.mkdtemp(prefix="gongzhi-bench-demo-"))
        if args.database_url:
            reset_postgres(args.database_url)
            url = args.database_url
        else:
            url = f"sqlite:///{data / 'demo.sqlite3'}"
        env = child_env(data, url)
        migrate = run_gongzhi(["migrate", "--noinput", "-v", "0"], env)
        run = run_gongzhi(["demo", "--scale", str(args.scale)], env)
        loaded = re.search(r"Loaded the demo: ([\d,]+) households, ([\d,]+) persons", run.stdout)
        print(
            f"[{backend}] load {attempt}: {run.seconds:.1f} s wall, peak RSS "
            f"{run.peak_rss_mb:.0f} MB (migrate {migrate.seconds:.1f} s); "
            f"{loaded.group(1)} households, {loaded.group(2)} persons"
        )
        for line in run.stdout.splitlines():
            if "leaf grids" in line:
                print("    " + line)
        loads.append(run)
        last = (data, env)
    assert last is not None
    data, env = last
    again = run_gongzhi(["demo"], env)
    print(f"[{backend}] second run (already loaded): {again.seconds:.2f} s")
    reset = run_gongzhi(["demo", "--reset", "--scale", str(args.scale)], env)
    print(
        f"[{backend}] --reset (remove and load again): {reset.seconds:.1f} s, "
        f"peak RSS {reset.peak_rss_mb:.0f} MB"
    )
    if backend == "sqlite":
        size = sum(p.stat().st_size for p in data.glob("demo.sqlite3*"))
        print(f"[{backend}] database file: {size / 2**20:.0f} MiB")

    seconds = [r.seconds for r in loads]
    result = {
        "backend": backend,
        "scale": args.scale,
        "loads_seconds": [round(s, 2) for s in seconds],
        "median_seconds": round(median(seconds), 2),
        "peak_rss_mb": round(max(r.peak_rss_mb for r in loads), 1),
        "second_run_seconds": round(again.seconds, 2),
        "reset_seconds": round(reset.seconds, 2),
        "target_seconds": TARGET_SECONDS,
        "machine": info,
    }
    verdict = "meets" if result["median_seconds"] < TARGET_SECONDS else "MISSES"
    print(
        f"Median fresh load {result['median_seconds']} s: {verdict} the {TARGET_SECONDS:.0f} s "
        "target."
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
