"""Demo data for this module (see gongzhi/demo/extras.py). Not built yet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    return None


def unload(*, say: Callable[[str], Any]) -> None:
    return None
