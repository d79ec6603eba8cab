"""Photos: decoded to know what they are, re-encoded without metadata, stored privately."""

import io
import os
import stat

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.workorders import uploads
from gongzhi.workorders.tests.factories import photo


def test_a_stored_photo_is_private_and_named_at_random():
    relative = uploads.store(uploads.clean_photo(photo()))

    target = uploads.uploads_dir() / relative
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700
    assert "photo" not in relative and relative.endswith(".jpg")


def test_transparency_is_kept_as_png():
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 128))
    out = io.BytesIO()
    image.save(out, format="PNG")

    clean = uploads.clean_photo(SimpleUploadedFile("x.png", out.getvalue()))

    assert clean.content_type == "image/png"


def test_large_photos_are_scaled_down():
    clean = uploads.clean_photo(photo(size=(4000, 3000)))

    assert max(clean.width, clean.height) == uploads.MAX_SIDE


def test_more_than_the_size_limit_is_refused_without_reading_it_all():
    big = SimpleUploadedFile("big.jpg", b"\xff" * (uploads.MAX_BYTES + 1))

    with pytest.raises(ValidationError) as caught:
        uploads.clean_photo(big)
    assert caught.value.error_dict["photos"][0].code == "too_big"


def test_a_decompression_bomb_is_refused():
    image = Image.new("1", (12000, 12000))  # 144 megapixels, a few KB as PNG
    out = io.BytesIO()
    image.save(out, format="PNG")

    with pytest.raises(ValidationError):
        uploads.clean_photo(SimpleUploadedFile("bomb.png", out.getvalue()))


def test_appended_data_after_the_image_is_not_kept():
    data = photo().read() + b"<script>alert(1)</script>"

    clean = uploads.clean_photo(SimpleUploadedFile("x.jpg", data))

    assert b"<script>" not in clean.data


def test_stored_files_are_read_only_from_inside_the_uploads_directory():
    with pytest.raises(FileNotFoundError):
        uploads.open_stored("../keyring.json")
