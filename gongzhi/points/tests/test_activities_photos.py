"""Duplicate photos and capture times on real images: a photo-like picture made with
Pillow, re-encoded, scaled and cropped a little, is the same photo; another is not."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from gongzhi.points import photos
from gongzhi.points.tests.activity_factories import jpeg_bytes, local, photo_image, upload


def _phash(data: bytes) -> str:
    return photos.inspect_photo(upload(data)).phash


@pytest.fixture(scope="module")
def original():
    return photo_image(7)


def _variants(image: Image.Image) -> dict[str, bytes]:
    w, h = image.size
    return {
        "re-encoded at JPEG quality 60": jpeg_bytes(image, quality=60),
        "scaled to 80 %": jpeg_bytes(image.resize((int(w * 0.8), int(h * 0.8)))),
        "cropped by 3 % (centred)": jpeg_bytes(
            image.crop((int(w * 0.015), int(h * 0.015), int(w * 0.985), int(h * 0.985)))
        ),
        "cropped by 5 % on one side": jpeg_bytes(image.crop((int(w * 0.05), 0, w, h))),
        "cropped by 4 % at the top": jpeg_bytes(image.crop((0, int(h * 0.04), w, h))),
    }


def test_reencoded_resized_and_cropped_copies_are_duplicates(original):
    first = _phash(jpeg_bytes(original))
    for name, data in _variants(original).items():
        d = photos.distance(first, _phash(data))
        assert d <= photos.DUPLICATE_DISTANCE, f"{name}: {d} bits apart"


@pytest.mark.parametrize("seed", [1, 2, 3, 11, 42])
def test_a_different_photo_is_not_a_duplicate(original, seed):
    first = _phash(jpeg_bytes(original))
    other = _phash(jpeg_bytes(photo_image(seed)))
    assert photos.distance(first, other) > photos.DUPLICATE_DISTANCE


def test_perceptual_hash_is_sixteen_hex_digits(original):
    value = _phash(jpeg_bytes(original))
    assert len(value) == 16 and int(value, 16) >= 0


def test_capture_time_is_read_from_exif_in_the_server_time_zone(original):
    data = jpeg_bytes(original, taken=local(2026, 5, 3, 9, 30))
    assert photos.inspect_photo(upload(data)).taken_at == local(2026, 5, 3, 9, 30)


def test_capture_time_honours_an_exif_offset(original):
    import datetime as dt

    data = jpeg_bytes(original, taken=local(2026, 5, 3, 9, 30), offset="+00:00")
    taken = photos.inspect_photo(upload(data)).taken_at
    assert taken == dt.datetime(2026, 5, 3, 9, 30, tzinfo=dt.UTC)


def test_a_photo_without_exif_has_no_capture_time(original):
    assert photos.inspect_photo(upload(jpeg_bytes(original))).taken_at is None


def test_exif_is_stripped_from_the_stored_copy(original):
    data = jpeg_bytes(original, taken=local(2026, 5, 3, 9, 30))
    stored = photos.inspect_photo(upload(data)).data
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
    assert b"Test phone" not in stored


def test_a_forged_image_is_refused():
    forged = b"<svg onload=alert(1)></svg>" + b"\x00" * 100
    with pytest.raises(ValidationError) as caught:
        photos.inspect_photo(upload(forged, "photo.jpg"))
    assert "file" in caught.value.message_dict


def test_an_oversize_photo_is_refused():
    big = b"\xff\xd8" + b"\x00" * (photos.MAX_PHOTO_BYTES + 1)
    with pytest.raises(ValidationError) as caught:
        photos.inspect_photo(upload(big))
    assert "file" in caught.value.message_dict


def test_a_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("L", (8000, 8000)).save(out, format="PNG")  # 64 megapixels, a few kB
    with pytest.raises(ValidationError):
        photos.inspect_photo(upload(out.getvalue(), "bomb.png", "image/png"))


def test_a_video_is_checked_by_its_signature():
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
    assert photos.inspect_video(upload(mp4, "v.mp4", "video/mp4")).content_type == "video/mp4"
    with pytest.raises(ValidationError):
        photos.inspect_video(upload(b"not a video at all", "v.mp4", "video/mp4"))
