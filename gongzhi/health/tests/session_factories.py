"""Sessions and the people who book them, for the sessions tests (through the services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gongzhi.accounts.services import proxy_link_create, user_create, user_link_person
from gongzhi.core import clock
from gongzhi.health import sessions


def session(area, *, kind="vaccination", capacity=10, in_hours=24, hours=3, actor=None, **extra):
    starts = clock.now() + dt.timedelta(hours=in_hours)
    data: dict[str, Any] = {
        "area": area,
        "kind": kind,
        "place": "玉岭社区卫生服务站",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=hours),
        "capacity": capacity,
        "vaccine": "新冠病毒灭活疫苗（Vero细胞）" if kind == "vaccination" else "",
    }
    data.update(extra)
    return sessions.session_create(actor=actor, **data)


def resident_of(person, username: str | None = None):
    """An account linked to `person` (the resident themselves)."""
    user = user_create(username=username or f"res_{person.pk}", password=None)
    return user_link_person(user=user, person=person, actor=None)


def proxy_of(person, username: str | None = None):
    """An account that acts for `person` (a son or daughter), not a person itself."""
    user = user_create(username=username or f"child_{person.pk}", password=None)
    proxy_link_create(user=user, person=person, relation="child")
    return user
