"""Private files under the data directory: what residents and staff upload (work-order
photos, notice attachments, activity proofs), after their app has checked the content.

One way to keep them: `store` writes a new file 0600 in directories 0700 under
`<DATA_DIR>/uploads/<folder>/<yyyy>/<mm>/`, named by a random id (never by anything the
uploader chose); `open_stored` and `remove_stored` refuse a path that would leave the
uploads directory; `StoredFiles` removes what a failed transaction had already written.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings

from gongzhi.core import clock


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def _make_private_dirs(path: Path) -> None:
    root = uploads_dir()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        current.mkdir(mode=0o700, exist_ok=True)


def store(data: bytes, *, folder: str, extension: str) -> str:
    """Write `data` as a new private file; its path relative to the uploads directory."""
    now = clock.now()
    relative = Path(folder) / f"{now:%Y}" / f"{now:%m}" / f"{secrets.token_hex(16)}.{extension}"
    target = uploads_dir() / relative
    _make_private_dirs(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return relative.as_posix()


def _inside(relative: str) -> Path | None:
    root = uploads_dir().resolve()
    target = (root / relative).resolve()
    return target if root in target.parents else None


def open_stored(relative: str) -> Any:
    """The stored file for reading; refuses paths that leave the uploads directory."""
    target = _inside(relative)
    if target is None:
        raise FileNotFoundError(relative)
    return target.open("rb")


def remove_stored(relative: str) -> None:
    target = _inside(relative)
    if target is not None:
        target.unlink(missing_ok=True)


class StoredFiles:
    """Files written before the transaction commits are removed if it does not."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __enter__(self) -> StoredFiles:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            for path in self.paths:
                remove_stored(path)
