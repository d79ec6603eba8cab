"""Notices for tests: published by the system unless an actor is given."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongzhi.accounts.services import user_create
from gongzhi.notices import services
from gongzhi.registry import services as registry_services
from gongzhi.testing import PASSWORD, make_id_number, make_phone


def publish(*targets: Any, actor: Any = None, **extra: Any) -> Any:
    data = {"title": "停水通知", "body": "明天 8:00–12:00 停水。\n请提前储水。", "kind": "news"}
    data.update(extra)
    return services.notice_publish(actor=actor, targets=list(targets), **data)


def resident_of(household: Any, name: str = "赵大妈", *, birth: dt.date | None = None,
                phone: str | None = None, username: str = "") -> Any:  # fmt: skip
    """A person in `household` (born `birth`), with an account linked when `username`."""
    person = registry_services.person_create(
        actor=None,
        household=household,
        data={
            "name": name,
            "id_number": make_id_number(birth=birth or dt.date(1980, 5, 17)),
            "phone": make_phone() if phone is None else phone,
            "relation": "other",
        },
    )
    if username:
        user = user_create(username=username, password=PASSWORD, display_name=name)
        user.person = person
        user.save(update_fields=["person"])
        return person, user
    return person


def png(size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile("通知.png", out.getvalue(), content_type="image/png")


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf(data: bytes = PDF, name: str = "停水通知.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")
