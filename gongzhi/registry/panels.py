"""Blocks that apps above the register add to the household and person pages.

The register knows no app above it; an app registers a provider in its AppConfig.ready()
(`provide("household", fn)`), and the page shows what each provider returns for the
viewer — work orders show who serves a household (the 8-household pairing). A provider
gets the viewer and the object the page already checked, and returns None to show
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PAGES = ("household", "person")


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[Any, Any], Panel | None]
_providers: dict[str, list[Provider]] = {page: [] for page in PAGES}


def provide(page: str, provider: Provider) -> None:
    if provider not in _providers[page]:
        _providers[page].append(provider)


def panels_for(page: str, *, user: Any, obj: Any) -> list[Panel]:
    found = (provider(user, obj) for provider in _providers[page])
    return [panel for panel in found if panel is not None]
