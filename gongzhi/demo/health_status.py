"""Demo data for health statuses (健康码) and the data sunset, see gongzhi/demo/extras.py.
Loaded after the other modules, so it reads their declarations, tests, check-ins and
watch-list entries; where a community has none of a kind, it adds a few of its own (a
recent arrival from out of town, a positive test, a shop where someone with a red code and
two neighbours checked in within the same hour).

Then, per community: Yuling saves its own rule version (stricter on arrivals, with its
reason) so that the rules page shows versions; every person with an input gets a status
(`status_refresh`). Finally one run of the data sunset purges a handful of check-ins made
for it three weeks ago, so that the purge history and its audit entry are not empty.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.accounts.models import Membership, Role
from gongzhi.core import clock
from gongzhi.health import status, status_rules, sunset
from gongzhi.health.models import (
    CheckIn,
    Declaration,
    HealthStatus,
    Purge,
    Sample,
    StatusRuleSet,
    Venue,
    WatchEntry,
)
from gongzhi.registry.models import Area, Person

VENUE_PREFIX = "demohs"  # the codes of this module's venues (a code names nothing)
TUBE_PREFIX = "DEMOHS"  # the tube codes of this module's samples
ORIGINS = ["湖北省武汉市", "上海市浦东新区", "广东省广州市"]
MARK_MODE = "other"  # this module's declarations: travel mode "other", no declarer


def _persons(community: Area, rng: random.Random, n: int) -> list[Person]:
    ids = list(
        Person.objects.within(community.path)
        .filter(moved_out_on__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    chosen = sorted(rng.sample(ids, min(n, len(ids))))
    return list(Person.objects.filter(pk__in=chosen).select_related("household").order_by("pk"))


def _own_inputs(community: Area, rng: random.Random, now: dt.datetime) -> int:
    """A few inputs where the other modules left none: returns how many rows were made."""
    made = 0
    people = _persons(community, rng, 8)
    if len(people) < 6:
        return 0
    today = clock.today()
    if not Declaration.objects.within(community.path).exists():
        for i, person in enumerate(people[:2]):
            arrived = today - dt.timedelta(days=2 + i)
            Declaration.objects.create(
                community=community, area_path=person.area_path, name=person.name,
                origin=ORIGINS[i], arrived_on=arrived, travel_mode=MARK_MODE,
                symptoms=["fever"] if i == 1 else [], person=person, status="matched",
                retain_until=sunset.retain_until("declaration", arrived),
            )  # fmt: skip
            made += 1
    red = people[2]
    if not Sample.objects.within(community.path).filter(result="positive").exists():
        at = now - dt.timedelta(hours=20)
        Sample.objects.create(
            person=red, area_path=red.area_path, kind="pcr", tube_code=f"{TUBE_PREFIX}{red.pk}",
            sampled_at=at, result="positive", result_at=at + dt.timedelta(hours=8),
            retain_until=sunset.retain_until("test", at),
        )  # fmt: skip
        for person in people[3:5]:
            Sample.objects.create(
                person=person, area_path=person.area_path, kind="pcr",
                tube_code=f"{TUBE_PREFIX}{person.pk}", sampled_at=at, result="negative",
                result_at=at + dt.timedelta(hours=8), retain_until=sunset.retain_until("test", at),
            )  # fmt: skip
            made += 1
        made += 1
    if not CheckIn.objects.within(community.path).exists():
        shop = Venue.objects.create(
            area=community, area_path=community.path, name=f"{community.name}便民超市",
            kind="shop", code=f"{VENUE_PREFIX}{community.pk}",
        )  # fmt: skip
        at = now - dt.timedelta(days=2, hours=3)
        for minutes, person in zip((0, 20, 45), [red, people[5], people[6]], strict=False):
            when = at + dt.timedelta(minutes=minutes)
            CheckIn.objects.create(
                venue=shop, area_path=shop.area_path, at=when, person=person,
                retain_until=sunset.retain_until("checkin", when),
            )  # fmt: skip
            made += 1
    return made


def _community_rules(community: Area) -> None:
    """Yuling's own version: any arrival within 14 days is amber until a negative test."""
    rules = copy.deepcopy(status_rules.DEFAULT_RULES)
    arrival = next(r for r in rules if r["id"] == "arrival")
    arrival["when"][0]["days"] = 14
    arrival["reason"] = "黄码：{days} 天内自 {origin} 返回，待核酸（本社区冬季返乡从严）"
    secretary = (
        Membership.objects.filter(area=community, role=Role.SECRETARY, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    status.rule_set_save(
        actor=secretary.user if secretary else None,
        community=community,
        rules=rules,
        reason="冬季返乡高峰，返乡人员 14 天内按黄码管理，待核酸阴性后转绿",
    )


def _with_inputs(community: Area) -> list[int]:
    ids: set[int | None] = set()
    for model in (Declaration, Sample, WatchEntry, CheckIn):
        ids |= set(
            model.objects.within(community.path)
            .filter(person__isnull=False)
            .values_list("person_id", flat=True)
        )
    return sorted(i for i in ids if i is not None)


def _purge_run(communities: Sequence[Any], now: dt.datetime) -> Purge:
    """Check-ins made three weeks ago (14 days kept: due), then one run of the purge."""
    community = communities[0].community
    venue = Venue.objects.filter(code=f"{VENUE_PREFIX}{community.pk}").first()
    if venue is None:
        venue = Venue.objects.create(
            area=community, area_path=community.path, name=f"{community.name}服务站",
            kind="office", code=f"{VENUE_PREFIX}{community.pk}",
        )  # fmt: skip
    old = now - dt.timedelta(days=21)
    people = list(Person.objects.within(community.path).order_by("pk")[:5])
    rows = []
    for i, person in enumerate(people):
        at = old + dt.timedelta(minutes=i)
        rows.append(
            CheckIn(
                venue=venue,
                area_path=venue.area_path,
                at=at,
                person=person,
                retain_until=sunset.retain_until("checkin", old),
            )
        )
    CheckIn.objects.bulk_create(rows)
    return sunset.purge_due()


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    total = 0
    for loaded in communities:
        community = loaded.community
        rng = random.Random(f"{seed}:health_status:{loaded.plan.spec.slug}")
        made = _own_inputs(community, rng, now)
        if loaded.plan.spec.slug == "yuling":
            _community_rules(community)
        ids = _with_inputs(community)
        total += status.status_refresh(ids, now=now)
        if made:
            say(f"  {community.name}: {made} health inputs of the status demo's own.")
    run = _purge_run(communities, now) if communities else None
    counts = {c: HealthStatus.objects.filter(color=c).count() for c in ("green", "amber", "red")}
    say(
        f"Health statuses: {total:,} worked out ({counts['amber']} amber, {counts['red']} red); "
        f"one data-sunset run removed {sum(run.counts.values()) if run else 0} records "
        f"({time.perf_counter() - started:.1f}s)."
    )


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' statuses and rule versions and this module's own inputs."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    statuses = HealthStatus.objects.within(*paths)
    count = statuses.count()
    statuses.delete()
    StatusRuleSet.objects.within(*paths).delete()
    Venue.objects.within(*paths).filter(code__startswith=VENUE_PREFIX).delete()  # + check-ins
    Sample.objects.within(*paths).filter(tube_code__startswith=TUBE_PREFIX).delete()
    Declaration.objects.within(*paths).filter(
        travel_mode=MARK_MODE, origin__in=ORIGINS, declared_by__isnull=True, entry__isnull=True
    ).delete()
    # The purge history stays: counts only, no personal data, and not only the demo's.
    say(f"Removed the demo's health statuses ({count:,}).")
