"""Team cases for tests: a person's watch-list entry, put on the board by the system."""

from __future__ import annotations

from typing import Any

from gongzhi.core import clock
from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, Mode, ModeState
from gongzhi.health.tests.factories import entry_for


def community_of(person: Any) -> Any:
    from gongzhi.registry.models import Area

    return Area.objects.get(path=person.area_path[:-8])  # building -> grid -> community


def case_for(person: Any, *, step: str = "screening", community: Any = None) -> CareCase:
    """A case for `person` (from a fresh watch-list entry), moved by the system to `step`."""
    entry = entry_for(person, community or community_of(person))
    case = care.case_open_from_entry(actor=None, entry=entry)
    path = {
        "screening": [],
        "sampling": ["sampling"],
        "transfer": ["sampling", "transfer"],
        "isolation": ["sampling", "isolation"],
        "released": ["sampling", "transfer", "released"],
    }[step]
    for to in path:
        case = care.case_advance(actor=None, case=case, to_step=to)
    return case


def emergency(community: Any) -> ModeState:
    return ModeState.objects.create(
        area=community, area_path=community.path, mode=Mode.EMERGENCY, kind="epidemic",
        reason="测试", since=clock.now(),
    )  # fmt: skip
