"""Photos: checked by their content, re-encoded without metadata, stored privately.

- The type comes from decoding the pixels with Pillow, never from the name or the
  browser's content type: a text file, an HTML page or an SVG (with or without a script)
  named `photo.jpg` does not decode and is refused.
- At most `MAX_BYTES` each and `MAX_PER_ORDER` an order; decompression bombs are refused.
- The stored file is a new JPEG (or PNG when the photo has transparency) made from the
  pixels alone, turned upright first: EXIF (the GPS position where the photo was taken,
  the phone's serial), XMP, ICC comments and anything appended after the image are gone.
- Files live under `settings.DATA_DIR / "uploads"` with mode 0600 (directories 0700),
  named by a random id; only `views.attachment` serves them, after the scope check.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gongzhi.core import files
from gongzhi.core.files import StoredFiles as StoredFiles  # the app's callers use these names
from gongzhi.core.files import open_stored as open_stored
from gongzhi.core.files import remove_stored as remove_stored
from gongzhi.core.files import uploads_dir as uploads_dir
from gongzhi.core.uploads import UploadLimit, upload_limit
from gongzhi.workorders.models import Attachment, TimelineEntry, WorkOrder

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_UPLOAD = 6
MAX_PER_ORDER = 12
# Views that take photos: a request over this is refused before it is read, a photo over
# MAX_BYTES as soon as it passes it (core.uploads; the 413 names the limit).
PHOTOS_LIMIT = UploadLimit(total=MAX_PER_UPLOAD * MAX_BYTES + 1024 * 1024, per_file=MAX_BYTES)
photos_upload_limit = upload_limit(total=PHOTOS_LIMIT.total, per_file=PHOTOS_LIMIT.per_file)
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that Pillow would be a memory bomb
MAX_SIDE = 2048  # stored photos are scaled down to this (plenty for evidence, small on disk)
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}  # MPO: JPEG with a preview (phones)
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def _read(upload: Any, field: str) -> bytes:
    """The upload's bytes, refusing more than MAX_BYTES without reading the rest."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _error(field, _too_big(), "too_big")
    chunks, total = [], 0
    if hasattr(upload, "chunks"):
        pieces = upload.chunks(_READ_CHUNK)
    else:
        pieces = iter(lambda: upload.read(_READ_CHUNK), b"")
    for piece in pieces:
        total += len(piece)
        if total > MAX_BYTES:
            raise _error(field, _too_big(), "too_big")
        chunks.append(piece)
    return b"".join(chunks)


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _too_big() -> str:
    return _("A photo may be at most %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}


def _not_a_photo() -> str:
    return _("This file is not a photo (JPEG, PNG, WebP or GIF).")


def clean_photo(upload: Any, field: str = "photos") -> CleanPhoto:
    """A safe copy of one uploaded photo, or a ValidationError naming `field`."""
    raw = _read(upload, field)
    if not raw:
        raise _error(field, _not_a_photo(), "not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _error(field, _not_a_photo(), "not_an_image")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _error(field, _too_big(), "too_big")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as opened:
                opened.load()
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                has_alpha = image.mode in ("RGBA", "LA") or (
                    image.mode == "P" and "transparency" in image.info
                )
                out = io.BytesIO()
                if has_alpha:
                    image.convert("RGBA").save(out, format="PNG", optimize=True)
                    content_type, extension = "image/png", "png"
                else:
                    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                    content_type, extension = "image/jpeg", "jpg"
                width, height = image.size
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
        raise _error(field, _not_a_photo(), "not_an_image") from None
    data = out.getvalue()
    return CleanPhoto(
        data=data,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def clean_photos(
    uploads: list[Any], *, already: int = 0, field: str = "photos"
) -> list[CleanPhoto]:
    """Every photo cleaned, or one ValidationError with every problem on `field`."""
    if len(uploads) > MAX_PER_UPLOAD or already + len(uploads) > MAX_PER_ORDER:
        raise ValidationError(
            {
                field: [
                    _("At most %(n)d photos at a time and %(total)d for one order.")
                    % {"n": MAX_PER_UPLOAD, "total": MAX_PER_ORDER}
                ]
            },
            code="too_many",
        )
    cleaned, problems = [], []
    for upload in uploads:
        try:
            cleaned.append(clean_photo(upload, field))
        except ValidationError as exc:
            problems.extend(exc.message_dict[field])
    if problems:
        raise ValidationError({field: list(dict.fromkeys(problems))})
    return cleaned


def store(photo: CleanPhoto) -> str:
    """Write the photo under the uploads directory (0600); its path relative to it."""
    return files.store(photo.data, folder="workorders", extension=photo.extension)


def photo_response(handle: Any, content_type: str) -> FileResponse:
    """A stored photo's bytes, sent so that no browser runs them as a page: not sniffed,
    sandboxed with nothing allowed, shown inline, kept in no shared cache. The workbench,
    the API and Open311's media links all answer with it."""
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- photos of a step ---------------------------------------------------------------------


def attach(
    *,
    order: WorkOrder,
    entry: TimelineEntry,
    photos: Sequence[CleanPhoto],
    kind: str,
    actor: Actor,
    files: StoredFiles,
) -> list[Attachment]:
    out = []
    for photo in photos:
        path = store(photo)
        files.paths.append(path)
        out.append(
            Attachment.objects.create(
                order=order,
                entry=entry,
                kind=kind,
                path=path,
                content_type=photo.content_type,
                size=len(photo.data),
                width=photo.width,
                height=photo.height,
                sha256=photo.sha256,
                uploaded_by=actor,
                uploaded_at=entry.at,
            )
        )
    return out
