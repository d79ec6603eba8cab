"""`gongzhi demo` end to end, as `make demo` runs it: its own process, a fresh SQLite file,
no keyring yet. Then the raw bytes of the database file must not contain any plaintext
ID number or phone, while they do contain the (unencrypted) names: the positive control
that shows the search would find a value if it were there."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gongzhi.core.crypto import Keyring

from .conftest import SCALE


def _gongzhi(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gongzhi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo-file")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_KEYRING")}
    env.update(
        GONGZHI_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'demo.sqlite3'}",
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
    )
    migrate = _gongzhi(["migrate", "--noinput", "-v", "0"], env)
    assert migrate.returncode == 0, migrate.stderr
    first = _gongzhi(["demo", "--scale", str(SCALE)], env)
    assert first.returncode == 0, first.stderr
    return data, env, first.stdout


def _plaintexts(data: Path) -> tuple[list[str], list[str], list[str]]:
    ring = Keyring.from_dict(json.loads((data / "keyring.json").read_text()))
    with sqlite3.connect(data / "demo.sqlite3") as db:
        rows = db.execute(
            "SELECT name, id_number, phone FROM registry_person ORDER BY id LIMIT 300"
        ).fetchall()
    names = [name for name, _, _ in rows]
    ids = [ring.decrypt(token, "person.id_number") for _, token, _ in rows]
    phones = [ring.decrypt(token, "person.phone") for _, _, token in rows if token]
    return names, ids, phones


def test_the_demo_makes_its_own_keyring_readable_by_the_owner_only(demo_file):
    data, _env, output = demo_file
    assert "Made a new keyring" in output
    mode = stat.S_IMODE((data / "keyring.json").stat().st_mode)
    assert mode == 0o600


def test_no_plaintext_id_number_or_phone_is_in_the_database_file(demo_file):
    data, _env, _output = demo_file
    names, ids, phones = _plaintexts(data)
    assert len(ids) == 300 and len(phones) > 150
    raw = b"".join(
        path.read_bytes()
        for path in (data / "demo.sqlite3", data / "demo.sqlite3-wal")
        if path.exists()
    )
    # Positive control: values stored in the clear are found by this very search.
    assert sum(name.encode() in raw for name in names) == len(names)
    for value in [*ids, *phones]:
        assert value.encode() not in raw, "a plaintext personal value is in the database"
        assert value.encode("utf-16-le") not in raw


def test_a_second_run_is_quick_changes_nothing_and_prints_the_logins(demo_file):
    data, env, _output = demo_file
    before = (data / "demo.sqlite3").stat().st_size
    started = time.monotonic()
    again = _gongzhi(["demo"], env)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started < 20
    assert "already loaded" in again.stdout
    assert "yuling-gridworker" in again.stdout and "gongzhi-demo" in again.stdout
    assert (data / "demo.sqlite3").stat().st_size == before


def test_a_loaded_demo_without_its_keyring_says_so(demo_file, tmp_path):
    _data, env, _output = demo_file
    elsewhere = dict(env, GONGZHI_DATA_DIR=str(tmp_path))  # same database, no keyring there
    result = _gongzhi(["demo"], elsewhere)
    assert result.returncode != 0
    assert "does not decrypt" in result.stderr
    assert not (tmp_path / "keyring.json").exists()  # and it did not make a wrong one
