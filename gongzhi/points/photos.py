"""Proof files of the points square: photos checked by their content, their perceptual hash
and capture time read, stored without metadata; videos checked by their signature.

- A photo goes through `workorders.uploads.clean_photo`: decoded by Pillow (never trusted
  by its name or content type), at most 5 MB and 40 megapixels, re-encoded from the pixels
  alone (upright, at most 2048 px): EXIF with the GPS position, XMP and anything appended
  are gone from the stored copy.
- Its **perceptual hash** is imagehash's `phash` (64 bits, 16 hex digits) of the cleaned,
  upright image. Two photos are the same picture when their hashes differ in at most
  `DUPLICATE_DISTANCE` bits: re-encoded (JPEG quality 60), scaled to 80 % or cropped by
  3-5 % the tests' photo stays within 6 bits; different photos differ by about 32 (half the
  bits; the closest of 40 generated pictures, 18). 12 leaves room for a phone's own
  re-compression and a slightly larger crop, and keeps unrelated pictures apart
  (tests/test_activities_photos.py measures both on real images). A crop of much more than
  5 % or a mirror image is not caught: the flag helps the reviewer, it does not replace them.
- Its **capture time** is EXIF `DateTimeOriginal` of the file as sent, read before the
  metadata is stripped. EXIF has no time zone: the time is read in the server's time zone
  (`settings.TIME_ZONE`, Asia/Shanghai by default) unless `OffsetTimeOriginal` gives one.
  A photo without it gets the flag "no_capture_time" (screenshots, photos sent through chat
  apps that strip EXIF).
- The sha256 is of the file **as sent**: the same file twice for one sign-up is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Any

import imagehash
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from gongzhi.core import files
from gongzhi.workorders import uploads

MAX_PHOTO_BYTES = uploads.MAX_BYTES
MAX_VIDEO_BYTES = 50 * 1024 * 1024
DUPLICATE_DISTANCE = 12  # bits of 64; see the module's docstring
_READ_CHUNK = 64 * 1024
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
SUBDIR = "points"


@dataclass(frozen=True)
class ProofFile:
    """A checked proof file ready to store."""

    data: bytes  # what is stored: the cleaned photo, or the video as sent
    content_type: str
    extension: str
    sha256: str  # of the file as sent
    phash: str = ""  # photos only
    taken_at: dt.datetime | None = None  # photos only


def read_limited(upload: Any, field: str, limit: int) -> bytes:
    """The upload's bytes, refusing more than `limit` without reading the rest."""
    size = getattr(upload, "size", None)
    too_big = ValidationError(
        {field: [ValidationError(_too_big(limit), code="too_big")]},
    )
    if size is not None and size > limit:
        raise too_big
    chunks, total = [], 0
    pieces = upload.chunks(_READ_CHUNK) if hasattr(upload, "chunks") else None
    if pieces is None:
        pieces = iter(lambda: upload.read(_READ_CHUNK), b"")
    for piece in pieces:
        total += len(piece)
        if total > limit:
            raise too_big
        chunks.append(piece)
    return b"".join(chunks)


def _too_big(limit: int) -> str:
    return _("The file may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}


def phash_of(image: Image.Image) -> str:
    return str(imagehash.phash(image))


def distance(a: str, b: str) -> int:
    """Hamming distance of two hex perceptual hashes (bits that differ)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def capture_time(raw: bytes) -> dt.datetime | None:
    """EXIF DateTimeOriginal of the file as sent, aware; None when absent or unreadable."""
    try:
        with Image.open(io.BytesIO(raw)) as image:
            exif = image.getexif().get_ifd(_EXIF_IFD)
    except Exception:  # a photo whose EXIF does not parse has no capture time
        return None
    text = exif.get(_DATETIME_ORIGINAL)
    if not isinstance(text, str):
        return None
    try:
        naive = dt.datetime.strptime(text.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            zone = dt.datetime.strptime(offset.strip().rstrip("\x00"), "%z").tzinfo
            return naive.replace(tzinfo=zone)
        except ValueError:
            pass
    return timezone.make_aware(naive, timezone.get_default_timezone())


def inspect_photo(upload: Any, field: str = "file") -> ProofFile:
    """A photo checked and cleaned, with its perceptual hash and capture time; or a
    ValidationError naming `field` (not a photo, too big, too many pixels)."""
    raw = read_limited(upload, field, MAX_PHOTO_BYTES)
    clean = uploads.clean_photo(io.BytesIO(raw), field)
    with Image.open(io.BytesIO(clean.data)) as stored:
        stored.load()
        phash = phash_of(stored)
    return ProofFile(
        data=clean.data,
        content_type=clean.content_type,
        extension=clean.extension,
        sha256=hashlib.sha256(raw).hexdigest(),
        phash=phash,
        taken_at=capture_time(raw),
    )


# ISO base media (MP4, MOV, 3GP: "ftyp" at offset 4) and Matroska/WebM (EBML magic).
_VIDEO_SIGNATURES = (
    (lambda head: head[4:8] == b"ftyp" and head[8:10] == b"qt", "video/quicktime", "mov"),
    (lambda head: head[4:8] == b"ftyp", "video/mp4", "mp4"),
    (lambda head: head[:4] == b"\x1a\x45\xdf\xa3", "video/webm", "webm"),
)


def inspect_video(upload: Any, field: str = "file") -> ProofFile:
    """A video checked by its signature (MP4, MOV, WebM) and size; stored as sent."""
    raw = read_limited(upload, field, MAX_VIDEO_BYTES)
    for matches, content_type, extension in _VIDEO_SIGNATURES:
        if len(raw) > 12 and matches(raw[:12]):
            return ProofFile(
                data=raw,
                content_type=content_type,
                extension=extension,
                sha256=hashlib.sha256(raw).hexdigest(),
            )
    raise ValidationError(
        {
            field: [
                ValidationError(_("This file is not a video (MP4, MOV or WebM)."), code="invalid")
            ]
        }
    )


def store(proof_file: ProofFile) -> str:
    """Write the file under the uploads directory (0600, directories 0700), named by a
    random id; its path relative to that directory."""
    return files.store(proof_file.data, folder=SUBDIR, extension=proof_file.extension)
