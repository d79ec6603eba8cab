"""`gongzhi backup` / `gongzhi restore`: a real round trip, and the refusals."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from gongzhi.core.crypto import Keyring
from gongzhi.ops import backup
from gongzhi.registry.models import Person
from gongzhi.testing import build_world


@pytest.fixture(autouse=True)
def _in_english():
    """The messages below are matched in English; the commands are run with --language en."""
    from django.utils import translation

    with translation.override("en"):
        yield


PASSPHRASE = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _quick_scrypt(monkeypatch):
    """The same construction at a test's cost (the real parameters are read from the file)."""
    monkeypatch.setattr(backup, "SCRYPT", {"n": 2**12, "r": 8, "p": 1})


@pytest.fixture
def passphrase_file(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return str(path)


def _fake_backup(tmp_path: Path) -> Path:
    """A backup directory with a valid manifest and keyring and a stand-in database file:
    enough for every refusal, which comes before anything is written."""
    source = tmp_path / "bk"
    source.mkdir()
    database = source / "database.bin"
    database.write_bytes(b"stand-in")
    ring = json.loads(settings.GONGZHI_KEYRING)
    (source / backup.KEYRING_FILE).write_text(json.dumps(backup.keyring_seal(ring, PASSPHRASE)))
    manifest = {
        "format": backup.FORMAT,
        "database": {
            "vendor": connection.vendor,
            "file": database.name,
            "sha256": backup._sha256(database),
        },
        "keyring": {"file": backup.KEYRING_FILE, "key_ids": sorted(ring["keys"])},
        "uploads": {"file": None, "files": 0},
    }
    (source / backup.MANIFEST).write_text(json.dumps(manifest))
    return source


def _restore_in_a_new_process(source: Path, data_dir: Path, database_url: str | None) -> str:
    """`gongzhi restore` as an operator runs it: its own process, data dir and keyring file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DATABASE_URL"))}
    env.update(
        GONGZHI_DATA_DIR=str(data_dir),
        GONGZHI_BACKUP_PASSPHRASE=PASSPHRASE,
        GONGZHI_CIPHER=settings.GONGZHI_CIPHER,
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "gongzhi", "restore", str(source), "--no-input", "--language", "en"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip_restores_counts_audit_and_decryptable_values(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip")
    build_world()
    person = Person.objects.exclude(id_number="").order_by("pk").first()
    id_number = person.id_number.reveal()

    photo = tmp_path / "old" / "uploads" / "workorders" / "1" / "a.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")

    with override_settings(DATA_DIR=tmp_path / "old"):
        manifest = backup.backup_create(dest=tmp_path / "bk", passphrase=PASSPHRASE)
    output = _restore_in_a_new_process(tmp_path / "bk", tmp_path / "new", None)

    assert "Everything matches the backup." in output
    assert manifest["uploads"]["files"] == 1
    restored_photo = tmp_path / "new" / "uploads" / "workorders" / "1" / "a.jpg"
    assert restored_photo.read_bytes() == photo.read_bytes()
    restored = sqlite3.connect(tmp_path / "new" / "gongzhi.sqlite3")
    for table, count in manifest["tables"].items():
        if table.startswith("audit_"):
            continue  # the restore records itself in the log (and its verification)
        (got,) = restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
        assert got == count, table
    (token,) = restored.execute(
        "SELECT id_number FROM registry_person WHERE id = ?", (person.pk,)
    ).fetchone()
    keyring_file = tmp_path / "new" / "keyring.json"
    assert keyring_file.stat().st_mode & 0o777 == 0o600
    ring = Keyring.from_dict(json.loads(keyring_file.read_text()))
    assert ring.decrypt(token, "person.id_number") == id_number
    assert id_number not in output and PASSPHRASE not in output


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_restores_into_a_new_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    build_world()
    manifest = backup.backup_create(dest=tmp_path / "bk", passphrase=PASSPHRASE)
    assert (tmp_path / "bk" / backup.PG_FILE).stat().st_size > 0
    name = f"gongzhi_restore_{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
        output = _restore_in_a_new_process(tmp_path / "bk", tmp_path / "new", url)
        assert "Everything matches the backup." in output
        rows = sum(v for k, v in manifest["tables"].items() if not k.startswith("audit_"))
        assert rows > 0
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_the_backup_holds_the_keyring_only_encrypted(tmp_path):
    backup.backup_create(dest=tmp_path / "bk", passphrase=PASSPHRASE)

    sealed = (tmp_path / "bk" / backup.KEYRING_FILE).read_text()
    ring = json.loads(settings.GONGZHI_KEYRING)
    assert ring["index_key"] not in sealed
    assert all(k["secret"] not in sealed for k in ring["keys"].values())
    assert backup.keyring_open(json.loads(sealed), PASSPHRASE) == ring
    assert (tmp_path / "bk" / backup.KEYRING_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db(transaction=True)
def test_the_keyring_may_be_written_apart_from_the_data(tmp_path, passphrase_file):
    out = io.StringIO()
    call_command(
        "backup",
        str(tmp_path / "bk"),
        keyring_to=str(tmp_path / "elsewhere" / "ring.enc"),
        passphrase_file=passphrase_file,
        no_input=True,
        language="en",
        stdout=out,
    )

    assert (tmp_path / "elsewhere" / "ring.enc").exists()
    assert not (tmp_path / "bk" / backup.KEYRING_FILE).exists()
    assert PASSPHRASE not in out.getvalue()


@pytest.mark.django_db
def test_a_short_passphrase_is_refused_naming_it(tmp_path):
    short = tmp_path / "short"
    short.write_text("hunter2")
    with pytest.raises(CommandError, match=r"^--passphrase-file: .*12 characters"):
        call_command(
            "backup", str(tmp_path / "bk"), passphrase_file=str(short), no_input=True, language="en"
        )
    assert not (tmp_path / "bk").exists()


@pytest.mark.django_db
def test_a_wrong_passphrase_is_a_clear_error_and_nothing_is_written(tmp_path):
    _fake_backup(tmp_path)
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all")
    target = tmp_path / "new"
    target.mkdir()

    with (
        override_settings(
            DATA_DIR=target, GONGZHI_KEYRING="", GONGZHI_KEYRING_FILE=target / "keyring.json"
        ),
        pytest.raises(CommandError, match="passphrase does not open the keyring"),
    ):
        call_command(
            "restore",
            str(tmp_path / "bk"),
            passphrase_file=str(wrong),
            no_input=True,
            language="en",
        )

    assert list(target.iterdir()) == []


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, passphrase_file):
    _fake_backup(tmp_path)

    with pytest.raises(CommandError, match=r"not empty .*--force"):
        call_command(
            "restore",
            str(tmp_path / "bk"),
            passphrase_file=passphrase_file,
            no_input=True,
            language="en",
        )


@pytest.mark.django_db
def test_restore_refuses_a_database_file_that_differs_from_the_manifest(tmp_path, passphrase_file):
    _fake_backup(tmp_path)
    manifest = json.loads((tmp_path / "bk" / backup.MANIFEST).read_text())
    with (tmp_path / "bk" / manifest["database"]["file"]).open("ab") as handle:
        handle.write(b"\0")

    with pytest.raises(CommandError, match="differs from its manifest"):
        call_command(
            "restore",
            str(tmp_path / "bk"),
            passphrase_file=passphrase_file,
            no_input=True,
            language="en",
        )


def test_a_changed_keyring_backup_does_not_open():
    sealed = backup.keyring_seal({"a": 1}, PASSPHRASE)
    body = bytearray(sealed["ciphertext"].encode())
    body[5] = ord("A") if body[5] != ord("A") else ord("B")
    sealed["ciphertext"] = body.decode()

    with pytest.raises(backup.BackupError, match="wrong passphrase, or the file was changed"):
        backup.keyring_open(sealed, PASSPHRASE)


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused_not_left_waiting(tmp_path):
    with pytest.raises(backup.BackupError, match="inside a transaction"):
        backup.backup_create(dest=tmp_path / "bk", passphrase=PASSPHRASE)
