"""The residents' health hub at /m/health/ (疫情防控服务专区): its tiles.

`HUB_LINKS` is a list of (url_name, title, subtitle). The hub shows the links whose url
name resolves (a module not installed, or not merged yet, is skipped): other modules'
residents' pages join by adding a line here.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

HUB_LINKS: list[tuple[str, Any, Any]] = [
    ("health_me:status", _("My health status"), _("Green, amber or red, and why")),
    ("declare:mine", _("Declare an arrival"), _("Back home or arriving from elsewhere")),
    ("health_m:code", _("My code"), _("Show it at the sampling point")),
    ("health_m:record", _("My record"), _("Doses, tests and results, bookings")),
    ("health_m:sessions", _("Book a session"), _("Testing and vaccination near you")),
    ("health_me:data", _("My health data"), _("What is held about me, and until when")),
]


def hub_tiles() -> list[dict[str, Any]]:
    tiles = []
    for url_name, title, subtitle in HUB_LINKS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        tiles.append({"url": url, "title": title, "subtitle": subtitle})
    return tiles
