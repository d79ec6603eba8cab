"""A real `gongzhi worker` killed with SIGKILL in the middle of an import, on a file-backed
SQLite database: nothing of the batch is left, and running it again gives the same
register as an import that was never interrupted."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 12_000


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'gongzhi.sqlite3'}",
        GONGZHI_DATA_DIR=str(tmp),
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _run(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "gongzhi.imports.tests.worker_script", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gongzhi", "worker", "--no-periodic", "--interval", "0.1"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _progress(tmp: Path) -> int:
    for path in (tmp / "uploads" / "imports").glob("*.progress.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("phase") == "commit":
            return int(data.get("rows", 0))
    return 0


def _prepare(tmp: Path) -> tuple[dict[str, str], dict]:
    env = _env(tmp)
    migrate = subprocess.run(
        [sys.executable, "-m", "gongzhi", "migrate", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    batch = _run(env, "setup", str(ROWS))
    assert batch["checked"] == ROWS and batch["failed"] == 0
    return env, batch


def _finish(env: dict[str, str], tmp: Path, timeout: float = 300) -> dict:
    worker = _worker(env, tmp / "worker.log")
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = _run(env, "state")
            if state["status"] in ("committed", "failed"):
                return state
            time.sleep(1)
        pytest.fail("the import did not finish: " + (tmp / "worker.log").read_text()[-2000:])
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def test_a_killed_import_leaves_nothing_and_runs_again_to_the_same_state(tmp_path):
    # Given a checked file of 12,000 persons queued for import, and a control database
    # where the same import runs without interruption
    control_dir, killed_dir = tmp_path / "control", tmp_path / "killed"
    control_dir.mkdir()
    killed_dir.mkdir()
    control_env, _ = _prepare(control_dir)
    control = _finish(control_env, control_dir)
    assert control["status"] == "committed" and control["rows_created"] == ROWS

    env, batch = _prepare(killed_dir)
    before = _run(env, "state")

    # When the worker is killed with SIGKILL while it is writing the batch
    worker = _worker(env, killed_dir / "worker.log")
    try:
        deadline = time.time() + 300
        while time.time() < deadline and _progress(killed_dir) < 2000:
            assert worker.poll() is None, (killed_dir / "worker.log").read_text()[-2000:]
            time.sleep(0.02)
        done_before_kill = _progress(killed_dir)
        assert 0 < done_before_kill < ROWS, "the import was not caught in the middle"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()

    # Then nothing of the batch is in the register: no persons, history or outcome rows
    after_kill = _run(env, "state")
    assert after_kill["status"] == "committing"
    for key in ("persons", "households", "changes", "tags", "digest", "commit_audits"):
        assert after_kill[key] == before[key], key
    assert after_kill["commit_chunks"] == 0

    # When it is run again, it finishes with the same register as the uninterrupted one
    assert _run(env, "rerun", str(batch["id"]))["status"] == "committing"
    final = _finish(env, killed_dir)
    assert final["status"] == "committed"
    for key in ("persons", "households", "heads", "changes", "tags", "digest", "rows_created",
                "commit_chunks", "commit_audits"):  # fmt: skip
        assert final[key] == control[key], key
