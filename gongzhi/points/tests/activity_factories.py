"""Builders for the activities' tests: photo-like images made with Pillow (gradients,
shapes and noise from a fixed seed), EXIF written by Pillow, and activities."""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from gongzhi.core import clock
from gongzhi.points import activities

SIZE = (1200, 900)


def photo_image(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A photo-like picture: a two-colour gradient at an angle, 25 filled shapes, a veil of
    noise and a slight blur (as a lens gives), all from `seed`."""
    rnd = random.Random(seed)
    w, h = size
    colour = lambda: tuple(rnd.randint(0, 255) for _ in range(3))  # noqa: E731
    grad = Image.linear_gradient("L").resize(size).rotate(rnd.randint(0, 359)).resize(size)
    base = Image.composite(Image.new("RGB", size, colour()), Image.new("RGB", size, colour()), grad)
    draw = ImageDraw.Draw(base)
    for _ in range(25):
        x0, y0 = rnd.randint(0, w), rnd.randint(0, h)
        box = [x0, y0, x0 + rnd.randint(40, 400), y0 + rnd.randint(40, 300)]
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour())
    noise = Image.frombytes("L", size, rnd.randbytes(w * h)).convert("RGB")  # sensor grain
    return Image.blend(base, noise, 0.15).filter(ImageFilter.GaussianBlur(1))


def jpeg_bytes(image: Image.Image, *, quality: int = 90, taken: dt.datetime | None = None,
               offset: str | None = None) -> bytes:  # fmt: skip
    """The image as a JPEG; with `taken`, EXIF DateTimeOriginal (naive local wall time)."""
    out = io.BytesIO()
    kwargs: dict[str, Any] = {"format": "JPEG", "quality": quality}
    if taken is not None:
        exif = Image.Exif()
        ifd = exif.get_ifd(0x8769)
        ifd[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            ifd[36881] = offset
        exif[0x0110] = "Test phone"  # a model name, gone from the stored copy
        kwargs["exif"] = exif
    image.save(out, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args), timezone.get_default_timezone())


def make_activity(world: Any, *, actor: Any = None, area: Any = None, publish: bool = True,
                  **extra: Any) -> Any:  # fmt: skip
    """An event of grid A1, open now (started an hour ago, ends in three hours)."""
    now = clock.now()
    data: dict[str, Any] = {
        "kind": "event",
        "title": "清扫楼道",
        "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(hours=3),
        "proof_kind": "photo",
        "points": 10,
        "hours": "2.0",
        "place": "1栋楼下",
    }
    data.update(extra)
    return activities.activity_create(
        actor=actor or world.grid_worker_a, area=area or world.grid_a1, publish=publish, **data
    )
