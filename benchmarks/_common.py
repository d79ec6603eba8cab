"""Helpers shared by the benchmark scripts: run `gongzhi` in a child process with its own
database and data directory, measure its wall time and peak memory, describe the machine."""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    args: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def child_env(data_dir: Path, database_url: str) -> dict[str, str]:
    """The environment of a fresh install: its own data directory (so its own keyring,
    made by the demo) and database; no keyring passed in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_KEYRING")}
    env.update(
        GONGZHI_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_gongzhi(args: list[str], env: dict[str, str], check: bool = True) -> Run:
    """Run `python -m gongzhi ARGS`; wall time and the child's own peak RSS (wait4)."""
    command = [sys.executable, "-m", "gongzhi", *args]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # communicate() reaps the child itself; read the pipes, then wait4 for its rusage.
    stdout, stderr = _drain(child)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    run = Run(args, seconds, usage.ru_maxrss / 1024, child.returncode, stdout, stderr)
    if check and run.returncode != 0:
        raise SystemExit(f"gongzhi {' '.join(args)} failed:\n{stderr[-3000:]}")
    return run


def _drain(child: subprocess.Popen) -> tuple[str, str]:
    import threading

    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def pump(stream, key):
        for line in stream:
            chunks[key].append(line)

    threads = [
        threading.Thread(target=pump, args=(child.stdout, "out")),
        threading.Thread(target=pump, args=(child.stderr, "err")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "".join(chunks["out"]), "".join(chunks["err"])


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    if shutil.which("free"):
        out = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"Mem:\s+(\d+)", out)
        mem = f"{match.group(1)} GiB" if match else ""
    postgres = ""
    if shutil.which("psql"):
        postgres = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "memory (free -g)": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql client": postgres or "-",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def print_machine() -> dict[str, str]:
    """Print `machine()` at the top of a benchmark's output; return it for its JSON."""
    info = machine()
    print("Machine:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    return info


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def max_rss_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def reset_postgres(database_url: str) -> None:
    """Empty a PostgreSQL database (drop and recreate the public schema)."""
    import psycopg

    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
