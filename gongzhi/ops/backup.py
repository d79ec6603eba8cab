"""Backup and restore (`gongzhi backup`, `gongzhi restore`).

A backup is a directory:

    manifest.json      versions, row counts per table, the audit head, what each file is
    database.sqlite3   a consistent online copy (SQLite's backup API), or
    database.pgdump    `pg_dump` custom format, taken in the snapshot the counts were read in
    uploads.tar        photos and import files under the data directory, if any
    keyring.enc        the keyring, encrypted with a passphrase (scrypt + AES-256-GCM);
                       it may be written elsewhere, and should be kept apart from the rest

Restore goes into an empty database and data directory, then checks what it restored:
the row counts against the manifest, the audit chain and its head, and one value of every
encrypted column with the restored keyring. Nothing secret is printed or logged: not the
passphrase, not the keyring, not a personal value.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import django
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from gongzhi.audit.models import AuditHead
from gongzhi.audit.services import audit_chain_check, audit_record, audit_verify
from gongzhi.core import clock, crypto, keys
from gongzhi.core.files import uploads_dir
from gongzhi.core.sqlite.base import create_private, database_path

FORMAT = "gongzhi-backup/1"
KEYRING_FORMAT = "gongzhi-keyring/1"
MANIFEST = "manifest.json"
KEYRING_FILE = "keyring.enc"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS_FILE = "uploads.tar"
MIN_PASSPHRASE = 12
# scrypt at 2^17 × 8: 128 MiB and about half a second per guess (OWASP's recommendation).
SCRYPT = {"n": 2**17, "r": 8, "p": 1}


class BackupError(Exception):
    """A refusal or failure with a message safe to print (no secret, no personal value)."""


# --- the keyring, sealed with a passphrase -----------------------------------------------------


def passphrase_check(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            {
                "passphrase": [
                    _("A backup passphrase has at least %(n)d characters.") % {"n": MIN_PASSPHRASE}
                ]
            }
        )


def _b64e(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _kdf(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        passphrase.encode("utf-8")
    )


def keyring_seal(ring: dict[str, Any], passphrase: str) -> dict[str, Any]:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _kdf(passphrase, salt, SCRYPT)
    body = AESGCM(key).encrypt(nonce, json.dumps(ring).encode("utf-8"), KEYRING_FORMAT.encode())
    return {
        "format": KEYRING_FORMAT,
        "kdf": {"name": "scrypt", **SCRYPT, "salt": _b64e(salt)},
        "cipher": "aes-256-gcm",
        "nonce": _b64e(nonce),
        "ciphertext": _b64e(body),
    }


def keyring_open(sealed: dict[str, Any], passphrase: str) -> dict[str, Any]:
    """The keyring inside a sealed file; BackupError on a wrong passphrase or a changed file."""
    try:
        if sealed.get("format") != KEYRING_FORMAT or sealed["kdf"]["name"] != "scrypt":
            raise BackupError(_("This is not a Gongzhi keyring backup."))
        params = {k: int(sealed["kdf"][k]) for k in ("n", "r", "p")}
        key = _kdf(passphrase, base64.b64decode(sealed["kdf"]["salt"]), params)
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed["nonce"]),
            base64.b64decode(sealed["ciphertext"]),
            KEYRING_FORMAT.encode(),
        )
    except InvalidTag:
        raise BackupError(
            _(
                "The passphrase does not open the keyring backup (wrong passphrase, or the file was changed)."
            )
        ) from None
    except (KeyError, TypeError, ValueError):
        raise BackupError(_("The keyring backup is damaged.")) from None
    return json.loads(plain)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- what a database holds ---------------------------------------------------------------------


def _versions() -> dict[str, str]:
    try:
        gongzhi = metadata.version("gongzhi")
    except metadata.PackageNotFoundError:
        gongzhi = "unknown"
    return {"gongzhi": gongzhi, "django": django.get_version(), "python": platform.python_version()}


def _counts(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _head(cursor: Any, quote: Any) -> dict[str, Any]:
    table = quote(AuditHead._meta.db_table)
    cursor.execute(f"SELECT seq, hash FROM {table} WHERE id = 1")  # noqa: S608 - a model's table
    row = cursor.fetchone()
    return {"seq": int(row[0]), "hash": row[1]} if row else {"seq": 0, "hash": ""}


def _migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
    return {app: name for app, name in cursor.fetchall()}


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_describe(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        return {
            "tables": _counts(cursor, tables, _sqlite_quote),
            "audit_head": _head(cursor, _sqlite_quote),
            "migrations": _migrations(cursor),
            "server": f"SQLite {sqlite3.sqlite_version}",
        }
    finally:
        conn.close()


def database_describe() -> dict[str, Any]:
    """Row counts, audit head and migrations of the configured database, as it is now."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names(cursor) if not t.startswith("sqlite_")
        ]
        return {
            "tables": _counts(cursor, tables, connection.ops.quote_name),
            "audit_head": _head(cursor, connection.ops.quote_name),
            "migrations": _migrations(cursor),
        }


# --- PostgreSQL's tools -------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """The connection for pg_dump/pg_restore, by environment (no password in argv)."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
        ("PGSSLMODE", (db.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("%(tool)s is not installed (Debian: apt install postgresql-client).") % {"tool": name}
        )
    return path


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # The tools' own messages name tables and options, not row values.
        raise BackupError(f"{Path(argv[0]).name}: {done.stderr.strip()[-2000:]}")


def _pg_backup(target: Path) -> dict[str, Any]:
    """pg_dump in the snapshot the counts and the audit head were read in."""
    import psycopg

    dump = _pg_tool("pg_dump")
    connection = connections[DEFAULT_DB_ALIAS]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), version()")
        row = cursor.fetchone()
        assert row is not None
        snapshot, server = row
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        described = {
            "tables": _counts(cursor, tables, quote),
            "audit_head": _head(cursor, quote),
            "migrations": _migrations(cursor),
            "server": server.split(" on ")[0],
        }
        _run([dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"], _pg_env())
        os.chmod(target, 0o600)
    return described


# --- backup --------------------------------------------------------------------------------------


def _uploads_backup(target: Path) -> int:
    root = uploads_dir()
    files = [p for p in sorted(root.rglob("*")) if p.is_file()] if root.is_dir() else []
    if not files:
        return 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as tar:
        for path in files:
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return len(files)


def _empty_dir(path: Path, field_name: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ValidationError(
            {field_name: [_("%(path)s exists and is not an empty directory.") % {"path": path}]}
        )
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def backup_create(*, dest: Path, passphrase: str, keyring_to: Path | None = None) -> dict[str, Any]:
    """Write a backup into the empty (or new) directory `dest`; return its manifest."""
    passphrase_check(passphrase)
    keyring_to = keyring_to or dest / KEYRING_FILE
    if keyring_to.exists():
        raise ValidationError(
            {"keyring_to": [_("%(path)s already exists.") % {"path": keyring_to}]}
        )
    ring = crypto.keyring()
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        # SQLite's backup API would wait for ever for this connection's own write lock.
        raise BackupError("a backup cannot be taken inside a transaction")
    _empty_dir(dest, "dest")
    if connection.vendor == "sqlite":
        database = dest / SQLITE_FILE
        create_private(database)
        connection.ensure_connection()
        target = sqlite3.connect(database)
        try:
            connection.connection.backup(target)  # online and consistent: SQLite's backup API
            # One self-contained file: the copy leaves WAL mode (the service turns it back on).
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        described = _sqlite_describe(database)
    elif connection.vendor == "postgresql":
        database = dest / PG_FILE
        described = _pg_backup(database)
    else:
        raise BackupError(f"no backup for the {connection.vendor} database")
    uploads = _uploads_backup(dest / UPLOADS_FILE)
    keyring_to.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(keyring_to, json.dumps(keyring_seal(ring.to_dict(), passphrase), indent=1))
    manifest = {
        "format": FORMAT,
        "created_at": clock.now().isoformat(timespec="seconds"),
        "versions": {**_versions(), "database": described.pop("server")},
        "database": {
            "vendor": connection.vendor,
            "file": database.name,
            "sha256": _sha256(database),
        },
        "uploads": {"file": UPLOADS_FILE if uploads else None, "files": uploads},
        # Key ids only (not secrets): a restore can tell the keyring belongs to this data.
        "keyring": {"file": keyring_to.name, "active": ring.active, "key_ids": sorted(ring.keys)},
        **described,
    }
    _write_private(dest / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    with transaction.atomic():
        audit_record(actor=None, action="backup.create", object_type="backup", object_id=dest.name)
    return manifest


# --- restore -------------------------------------------------------------------------------------


@dataclass
class RestoreSource:
    path: Path
    manifest: dict[str, Any]
    keyring: dict[str, Any]


def restore_open(
    *, source: Path, passphrase: str, keyring_from: Path | None = None
) -> RestoreSource:
    """Read and check a backup, decrypting its keyring; writes nothing."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(
            _("%(path)s is not a Gongzhi backup (no readable manifest.json).") % {"path": source}
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(_("This backup's format is not one this version can restore."))
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            _("This backup is of a %(theirs)s database; the configured database is %(ours)s.")
            % {"theirs": manifest["database"]["vendor"], "ours": vendor}
        )
    database = source / manifest["database"]["file"]
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        raise BackupError(
            _("The database file of the backup is missing or differs from its manifest.")
        )
    keyring_from = keyring_from or source / manifest["keyring"]["file"]
    try:
        sealed = json.loads(keyring_from.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(
            _("Cannot read the keyring backup %(path)s.") % {"path": keyring_from}
        ) from None
    ring = keyring_open(sealed, passphrase)
    crypto.Keyring.from_dict(ring)  # well-formed
    if sorted(ring["keys"]) != manifest["keyring"]["key_ids"]:
        raise BackupError(_("This keyring is not the one this backup was made with."))
    return RestoreSource(source, manifest, ring)


def _target_keyring() -> Path:
    return Path(settings.GONGZHI_KEYRING_FILE)


def restore_target_problems() -> list[str]:
    """Why the configured database and data directory are not empty (nothing if they are)."""
    problems = []
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names(cursor) if not t.startswith("sqlite_")
        ]
    if tables:
        problems.append(_("the database has %(n)d tables") % {"n": len(tables)})
    if not settings.GONGZHI_KEYRING and _target_keyring().exists():
        problems.append(_("a keyring exists at %(path)s") % {"path": _target_keyring()})
    root = uploads_dir()
    if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        problems.append(_("%(path)s holds files") % {"path": root})
    return problems


def restore_write(*, source: RestoreSource, force: bool = False) -> None:
    """Restore the database, the keyring and the uploads into the configured places."""
    if settings.GONGZHI_KEYRING and json.loads(settings.GONGZHI_KEYRING) != source.keyring:
        raise BackupError(
            _(
                "GONGZHI_KEYRING holds another keyring. Unset it, so that the restored keyring "
                "is written to GONGZHI_KEYRING_FILE, and run restore again."
            )
        )
    problems = restore_target_problems()
    if problems and not force:
        raise BackupError(
            _("The target is not empty (%(problems)s); restore with --force to replace it.")
            % {"problems": "; ".join(problems)}
        )
    connection = connections[DEFAULT_DB_ALIAS]
    database = source.path / source.manifest["database"]["file"]
    if connection.vendor == "sqlite":
        target = database_path(connection.settings_dict["NAME"])
        if target is None:
            raise BackupError(
                _("The configured SQLite database is in memory; nothing to restore into.")
            )
        connection.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        create_private(target)
        src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    else:
        connection.close()
        argv = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        if problems:
            argv += ["--clean", "--if-exists"]
        _run(
            [*argv, "--single-transaction", f"--dbname={_pg_env()['PGDATABASE']}", str(database)],
            _pg_env(),
        )
    if not settings.GONGZHI_KEYRING:
        crypto.write_keyring_file(crypto.Keyring.from_dict(source.keyring), _target_keyring())
    crypto.reset_keyring_cache()
    uploads = source.manifest["uploads"]["file"]
    if uploads:
        root = uploads_dir()
        if force and root.exists():
            shutil.rmtree(root)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tarfile.open(source.path / uploads) as tar:
            tar.extractall(root, filter="data")


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    audit_entries: int = 0
    encrypted_columns: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def restore_check(manifest: dict[str, Any]) -> RestoreReport:
    """Compare the configured database with a backup's manifest; audit the restore."""
    report = RestoreReport()
    now = database_describe()
    expected: dict[str, int] = manifest["tables"]
    report.tables, report.rows = len(now["tables"]), sum(now["tables"].values())
    for table in sorted(set(expected) | set(now["tables"])):
        want, got = expected.get(table), now["tables"].get(table)
        if want != got:
            report.problems.append(
                _("table %(table)s: %(got)s rows, the backup had %(want)s")
                % {"table": table, "got": got, "want": want}
            )
    chain = audit_chain_check()
    report.audit_entries = chain.entries
    if not chain.ok:
        report.problems.append(_("audit log: %(reason)s") % {"reason": chain.reason})
    if now["audit_head"] != manifest["audit_head"]:
        report.problems.append(_("audit log: its head differs from the backup's"))
    ring = crypto.keyring()
    for column in keys.encrypted_columns():
        name = column.field.attname
        token = (
            column.model._default_manager.exclude(**{name: ""})
            .order_by("pk")
            .values_list(name, flat=True)
            .first()
        )
        if token is None:
            continue
        report.encrypted_columns += 1
        try:
            ring.decrypt(token.token, column.field.purpose)
        except crypto.DecryptionError:
            report.problems.append(
                _("%(column)s does not decrypt with the restored keyring")
                % {"column": column.label}
            )
    audit_verify()
    with transaction.atomic():
        audit_record(
            actor=None,
            action="backup.restore",
            object_type="backup",
            object_id=str(manifest.get("created_at", "")),
            purpose="verified" if report.ok else "restored with problems",
        )
    return report


def backup_name() -> str:
    return "gongzhi-backup-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")
