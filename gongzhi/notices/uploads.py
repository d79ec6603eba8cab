"""A notice's attachments: PDF or image, checked by their content, stored privately.

The conventions are the work orders' photos' (`workorders/uploads.py`, which this domain
app may not import): the type comes from the bytes, never from the name or the browser's
content type; images are decoded with Pillow and re-encoded from their pixels alone (no
EXIF, no GPS, nothing appended); files live under `settings.DATA_DIR / "uploads" /
"notices"` with mode 0600, named by a random id, served only by the views after the
scope check. A PDF must start with `%PDF-`, end with `%%EOF` and carry no active content
(JavaScript, launch actions, embedded files).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gongzhi.core import files
from gongzhi.core.files import StoredFiles as StoredFiles  # the app's callers use these names
from gongzhi.core.files import open_stored as open_stored
from gongzhi.core.files import remove_stored as remove_stored
from gongzhi.core.files import uploads_dir as uploads_dir
from gongzhi.core.uploads import upload_limit

MiB = 1024 * 1024
MAX_BYTES = 10 * MiB  # one file
MAX_PER_NOTICE = 5
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
NAME_MAX = 120
IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
# Active content a notice's PDF has no business carrying.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm)\b")
_READ_CHUNK = 64 * 1024
notice_upload_limit = upload_limit(total=MAX_PER_NOTICE * MAX_BYTES + MiB, per_file=MAX_BYTES)
FIELD = "attachments"


@dataclass(frozen=True)
class CleanFile:
    name: str
    data: bytes
    content_type: str
    extension: str
    sha256: str


def _error(message: str, code: str) -> ValidationError:
    return ValidationError({FIELD: [ValidationError(message, code=code)]})


def _too_big() -> str:
    return _("A file may be at most %(mb)d MB.") % {"mb": MAX_BYTES // MiB}


def _not_accepted() -> str:
    return _("Only PDF files and images (JPEG, PNG, WebP, GIF) are accepted.")


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _error(_too_big(), "too_big")
    chunks, total = [], 0
    pieces = upload.chunks(_READ_CHUNK) if hasattr(upload, "chunks") else [upload.read()]
    for piece in pieces:
        total += len(piece)
        if total > MAX_BYTES:
            raise _error(_too_big(), "too_big")
        chunks.append(piece)
    return b"".join(chunks)


def _shown_name(upload: Any, extension: str) -> str:
    """The file's name as the publisher gave it (folder parts and odd characters
    dropped), with the extension the content says."""
    raw = os.path.basename(str(getattr(upload, "name", "") or "")).replace("\\", "/")
    stem = re.sub(r"[\x00-\x1f\x7f/<>:\"|?*]", "", raw.rsplit("/", 1)[-1]).strip()
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = stem[: NAME_MAX - len(extension) - 1] or "attachment"
    return f"{stem}.{extension}"


def _clean_pdf(raw: bytes) -> tuple[bytes, str, str]:
    if not raw.startswith(b"%PDF-") or b"%%EOF" not in raw[-2048:]:
        raise _error(_not_accepted(), "not_accepted")
    if _PDF_ACTIVE.search(raw):
        raise _error(
            _("This PDF carries scripts or embedded files; save it as a plain PDF."),
            "active_content",
        )
    return raw, "application/pdf", "pdf"


def _clean_image(raw: bytes) -> tuple[bytes, str, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in IMAGE_FORMATS:
                    raise _error(_not_accepted(), "not_accepted")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _error(_too_big(), "too_big")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as opened:
                opened.load()
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                if image.mode in ("RGBA", "LA") or (
                    image.mode == "P" and "transparency" in image.info
                ):
                    image.convert("RGBA").save(out, format="PNG", optimize=True)
                    return out.getvalue(), "image/png", "png"
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                return out.getvalue(), "image/jpeg", "jpg"
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise _error(_not_accepted(), "not_accepted") from None


def clean_file(upload: Any) -> CleanFile:
    """A safe copy of one uploaded attachment, or a ValidationError on `attachments`."""
    raw = _read(upload)
    if not raw:
        raise _error(_not_accepted(), "not_accepted")
    if raw.startswith(b"%PDF-"):
        data, content_type, extension = _clean_pdf(raw)
    else:
        data, content_type, extension = _clean_image(raw)
    return CleanFile(
        name=_shown_name(upload, extension),
        data=data,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def clean_files(uploads: list[Any], *, already: int = 0) -> list[CleanFile]:
    """Every attachment cleaned, or one ValidationError with every problem."""
    if already + len(uploads) > MAX_PER_NOTICE:
        raise _error(
            _("At most %(n)d files for one notice.") % {"n": MAX_PER_NOTICE},
            "too_many",
        )
    cleaned, problems = [], []
    for upload in uploads:
        try:
            cleaned.append(clean_file(upload))
        except ValidationError as exc:
            problems.extend(exc.message_dict[FIELD])
    if problems:
        raise ValidationError({FIELD: list(dict.fromkeys(problems))})
    return cleaned


def store(clean: CleanFile) -> str:
    """Write the file under the uploads directory (0600); its path relative to it."""
    return files.store(clean.data, folder="notices", extension=clean.extension)


def file_response(attachment: Any) -> FileResponse:
    """A stored attachment, sent so that no browser runs it as a page: PDFs as a download,
    images inline in a sandbox, never sniffed, kept in no shared cache."""
    response = FileResponse(
        open_stored(attachment.path),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.name,
    )
    if attachment.content_type != "application/pdf":
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
