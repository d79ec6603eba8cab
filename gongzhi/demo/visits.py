"""Demo data for visits (走访记录), see gongzhi/demo/extras.py: each grid worker has visited
some of the households of their grid that a visit rule covers, over the past weeks, so
that "visits due" lists some households (never visited, or overdue) and not all of them.

About 70% of the covered households have been visited: one to three visits each, by the
grid worker of the household's grid, the last one between 0 and 1.6 times the rule's
interval ago (so about a third of the visited ones are due again). Written in bulk (a
few thousand rows at full scale) with one `demo.visits` audit entry per community.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.accounts.models import Membership, Role
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.registry.models import Area, PersonTag
from gongzhi.visits.models import Concern, Method, Visit
from gongzhi.visits.selectors import AT_HOME, effective_rules

VISITED_SHARE = 0.7
NOTES = [
    "老人身体状况良好，独自在家，冰箱里菜够吃。",
    "血压偏高，提醒按时吃药，下周再来看看。",
    "家里整洁，儿子每周回来一次。",
    "反映楼道灯不亮，已记下。",
    "电话联系，说一切都好。",
    "",
    "",
]
METHODS = [Method.HOME, Method.HOME, Method.HOME, Method.PHONE, Method.WECHAT]


def _workers(community: Area) -> dict[str, Any]:
    """Grid path -> its grid worker (the first), for every grid that has one."""
    memberships = (
        Membership.objects.filter(role=Role.GRID_WORKER, is_active=True)
        .filter(area__in=Area.objects.within(community.path))
        .select_related("area", "user")
        .order_by("pk")
    )
    found: dict[str, Any] = {}
    for m in memberships:
        found.setdefault(m.area.path, m.user)
    return found


def _covered(community: Area) -> dict[int, tuple[str, int]]:
    """Households covered by a visit rule: id -> (area path, every N days)."""
    rules = effective_rules([community]).get(community.pk, {})
    days = {tag_id: rule.every_days for tag_id, rule in rules.items()}
    out: dict[int, tuple[str, int]] = {}
    rows = (
        PersonTag.objects.filter(
            tag_id__in=sorted(days),
            person__residency__in=AT_HOME,
            person__household__community=community,
        )
        .exclude(person__household__status="closed")
        .values_list("person__household_id", "person__household__area_path", "tag_id")
    )
    for household_id, path, tag_id in rows:
        every = min(days[tag_id], out.get(household_id, (path, days[tag_id]))[1])
        out[household_id] = (path, every)
    return out


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:visits:{loaded.plan.spec.slug}")
        workers = _workers(community)
        covered = _covered(community)
        visits: list[Visit] = []
        for household_id, (path, every) in sorted(covered.items()):
            visitor = next(
                (workers[p] for p in reversed(scope.ancestors(path)) if p in workers), None
            )
            if visitor is None or rng.random() >= VISITED_SHARE:
                continue
            last = now - dt.timedelta(days=rng.uniform(0, every * 1.6))
            for n in range(rng.choice((1, 1, 2, 3))):
                visits.append(
                    Visit(
                        household_id=household_id,
                        visitor=visitor,
                        visited_at=last - dt.timedelta(days=every * n, hours=rng.randint(0, 5)),
                        method=rng.choice(METHODS),
                        notes=rng.choice(NOTES),
                        concerns=[Concern.HEALTH] if rng.random() < 0.15 else [],
                        area_path=path,
                    )
                )
        Visit.objects.bulk_create(visits, batch_size=1000)
        audit_record(
            actor=None,
            action="demo.visits",
            obj=community,
            area_path=community.path,
            fields=["visits"],
            purpose=f"demo data: {len(visits)} visits to {len(covered)} households with a rule",
        )
        say(f"{loaded.plan.spec.name}: {len(visits):,} visits")
    say(f"Visits: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' visits (and their community rules)."""
    from gongzhi.demo.spec import COMMUNITIES
    from gongzhi.visits.models import VisitRule

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    visits = Visit.objects.within(*paths)
    count = visits.count()
    visits.delete()
    VisitRule.objects.within(*paths).delete()
    say(f"Removed the demo's visits ({count:,}).")
