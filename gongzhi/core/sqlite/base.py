"""Django's SQLite backend, with the database file and its WAL and shared-memory files
readable by the service's user only (0600), whatever the umask.

The file is created 0600 before SQLite opens it; SQLite then gives the -wal and -shm
files the database file's permissions. Files left more open by an earlier version are
narrowed at every new connection.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base

PRIVATE = 0o600
SUFFIXES = ("", "-wal", "-shm", "-journal")


def database_path(name: Any) -> Path | None:
    """The file behind a database NAME; None for an in-memory database."""
    text = str(name)
    if not text or text == ":memory:" or "mode=memory" in text:
        return None
    if text.startswith("file:"):
        text = text[len("file:") :].split("?", 1)[0]
    return Path(text)


def create_private(path: Path) -> None:
    """An empty database file (SQLite accepts it as a new database), 0600 from the start."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


def narrow(path: Path) -> None:
    for suffix in SUFFIXES:
        member = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if member.stat().st_mode & 0o777 != PRIVATE:
                member.chmod(PRIVATE)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        path = database_path(conn_params.get("database"))
        if path is not None:
            create_private(path)
        connection = super().get_new_connection(conn_params)
        if path is not None:
            narrow(path)
        return connection
