"""Files people upload (upstream lists, report templates) and files the platform keeps
(filled reports): under the data directory, owner-only (0600 files in 0700 folders),
with a size limit checked while the file is written, named by a random id (the user's
file name is only metadata).

Used by `health` and by `reports` (which may read `health`); a candidate for `core`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tabular import MiB, TableFileError

CHUNK = MiB


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the data directory
    size: int
    sha256: str


def data_root() -> Path:
    return Path(settings.DATA_DIR).resolve()


def absolute(relative: str) -> Path:
    """The file's path; refuses anything that would leave the data directory."""
    root = data_root()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"{relative!r} is not under the data directory")
    return path


def _chunks(source: Any) -> Any:
    if isinstance(source, bytes | bytearray | memoryview):
        yield bytes(source)
        return
    if hasattr(source, "chunks"):  # Django's UploadedFile
        yield from source.chunks(CHUNK)
        return
    file = getattr(source, "file", source)
    if hasattr(file, "seek"):
        file.seek(0)
    while chunk := file.read(CHUNK):
        yield chunk


def store(source: Any, *, folder: str, suffix: str, max_bytes: int) -> StoredFile:
    """Write `source` (bytes, a file or an UploadedFile) to `<data>/<folder>/<id><suffix>`."""
    directory = data_root() / folder
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}{suffix}"
    path = directory / name
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in _chunks(source):
                size += len(chunk)
                if size > max_bytes:
                    raise TableFileError(
                        "too_large",
                        _("The file is larger than %(max)s MB; upload a smaller file."),
                        {"max": f"{max_bytes / MiB:.0f}"},
                    )
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return StoredFile(path=f"{folder}/{name}", size=size, sha256=digest.hexdigest())


def read(relative: str) -> bytes:
    return absolute(relative).read_bytes()


def remove(relative: str) -> None:
    if relative:
        with contextlib.suppress(OSError, ValueError):
            absolute(relative).unlink()
