"""Files browsers ask for at fixed addresses, outside /static/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

_FAVICON = Path(__file__).resolve().parent / "static" / "web" / "favicon.ico"


@cache
def _favicon_bytes() -> bytes:
    return _FAVICON.read_bytes()


@require_GET
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: every browser asks for it, signed in or not."""
    return HttpResponse(_favicon_bytes(), content_type="image/x-icon")
