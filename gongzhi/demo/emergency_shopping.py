"""Demo data for lockdown supply runs (see gongzhi/demo/extras.py): Qifu's past supply run.

Twelve days ago, during a short lockdown, households of two of Qifu's buildings posted
shopping lists (one by a daughter acting for her mother), the community's volunteer took
both buildings into one run, bought in bulk, delivered building by building, and the
residents confirmed receipt, most with a rating. Everything goes through the services
(`emergency.shopping`) under a frozen clock, so the work orders, timelines, audit entries
and the volunteer's points are what a real run leaves. The lists were posted while Qifu
was in emergency mode; the community is back in normal mode when the loader ends (its mode
row as it was before: the browser test switches it).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.hashers import make_password

from gongzhi.accounts.models import User
from gongzhi.accounts.services import proxy_link_create
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.emergency import shopping
from gongzhi.emergency.models import Mode, ModeState, ShoppingList, SupplyRun
from gongzhi.registry.models import Area, Household, Person

SLUG = "qifu"
BUILDINGS = 2
HOUSEHOLDS_PER_BUILDING = 4
DAYS_AGO = 12
RATINGS = (5, 5, 4, 5, None, 5, 4, 5)  # None: received without stars


def _households(community: Area) -> list[list[Household]]:
    """The first buildings with enough households that have a living person."""
    chosen: list[list[Household]] = []
    by_building: dict[int, list[Household]] = {}
    households = (
        Household.objects.within(community.path)
        .filter(persons__residency="living")
        .distinct()
        .order_by("building__path", "unit", "room")
    )
    for household in households.iterator():
        found = by_building.setdefault(household.building_id, [])
        if len(found) < HOUSEHOLDS_PER_BUILDING:
            found.append(household)
            if len(found) == HOUSEHOLDS_PER_BUILDING:
                chosen.append(found)
                if len(chosen) == BUILDINGS:
                    break
    return chosen


def _shopper(household: Household, n: int, password: str) -> tuple[User, Person]:
    """A demo account linked to the household's first living person (made once)."""
    person = household.persons.filter(residency="living").order_by("pk").first()
    assert person is not None
    user, _created = User.objects.get_or_create(
        username=f"{SLUG}-shop-{n:02d}",
        defaults={"display_name": f"{SLUG}-shop-{n:02d}", "is_demo": True, "password": password},
    )
    if user.person_id != person.pk:
        user.person = person
        user.save(update_fields=["person"])
    return user, person


def _items(rng: random.Random) -> list[shopping.ItemIn]:
    picked = rng.sample(shopping.COMMON_ITEMS, k=rng.randint(2, 5))
    return [shopping.ItemIn(name, rng.randint(1, 3), unit) for name, unit in picked]


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    loaded = next((c for c in communities if c.plan.spec.slug == SLUG), None)
    volunteer = User.objects.filter(username=f"{SLUG}-volunteer").first()
    if loaded is None or volunteer is None:
        return
    community = loaded.community
    rng = random.Random(f"{seed}:emergency_shopping")
    buildings = _households(community)
    if len(buildings) < BUILDINGS:
        return
    before = ModeState.objects.filter(area=community).first()
    saved = (before.mode, before.kind, before.reason, before.since) if before else None
    at = clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    at -= dt.timedelta(days=DAYS_AGO)
    ModeState.objects.update_or_create(
        area=community,
        defaults={"area_path": community.path, "mode": Mode.EMERGENCY, "kind": "epidemic",
                  "reason": "演示：封控期间", "since": at - dt.timedelta(days=2)},
    )  # fmt: skip
    password = make_password(None)  # unusable: these residents appear, they do not sign in
    posted: list[tuple[User, ShoppingList]] = []
    n = 0
    for households in buildings:
        for household in households:
            n += 1
            user, person = _shopper(household, n, password)
            with clock.freeze(at + dt.timedelta(minutes=7 * n)):
                posted.append(
                    (
                        user,
                        shopping.shopping_list_post(actor=user, person=person, items=_items(rng)),
                    )
                )
    # A daughter in the first building acts for her mother in the second (数字反哺).
    daughter, mother_list = posted[0][0], posted[HOUSEHOLDS_PER_BUILDING][1]
    mother = mother_list.person
    if not daughter.proxy_links.filter(person=mother, is_active=True).exists():
        proxy_link_create(user=daughter, person=mother, relation="child", label="妈妈")
    daughter = User.objects.get(pk=daughter.pk)  # whom she acts for is cached per object
    with clock.freeze(at + dt.timedelta(minutes=70)):
        posted.append(
            (daughter, shopping.shopping_list_post(
                actor=daughter, person=mother, items=[shopping.ItemIn("退烧药", 1, "盒")],
                note="老人腿脚不便，请放门口",
            ))
        )  # fmt: skip
    with clock.freeze(at + dt.timedelta(hours=3)):
        run = shopping.run_create(
            actor=volunteer,
            area=community,
            building_ids=[households[0].building_id for households in buildings],
        )
    for index, households in enumerate(buildings):
        with clock.freeze(at + dt.timedelta(hours=5, minutes=40 * index)):
            shopping.run_deliver_building(
                actor=volunteer, run=run, building_id=households[0].building_id
            )
    for index, (user, shopping_list) in enumerate(posted):
        with clock.freeze(at + dt.timedelta(hours=6, minutes=10 * index)):
            shopping.shopping_list_receive(
                actor=user,
                shopping_list=shopping_list,
                rating=RATINGS[index % len(RATINGS)],
                comment="谢谢志愿者，送得很及时" if index % 3 == 0 else "",
            )
    if saved is None:
        ModeState.objects.filter(area=community).delete()
    else:
        ModeState.objects.filter(area=community).update(
            mode=saved[0], kind=saved[1], reason=saved[2], since=saved[3]
        )
    audit_record(
        actor=None,
        action="demo.emergency_shopping",
        obj=community,
        area_path=community.path,
        fields=["supply_runs"],
        purpose=f"demo data: supply run #{run.pk} with {len(posted)} lists",
    )
    say(
        f"{loaded.plan.spec.name}: a past supply run of {len(posted)} lists in "
        f"{len(buildings)} buildings ({time.perf_counter() - started:.1f} s)"
    )


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' shopping lists and runs (their work orders go with the
    work orders' demo)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    if not paths:
        return
    lists = ShoppingList.objects.within(*paths)
    count = lists.count()
    lists.delete()
    SupplyRun.objects.within(*paths).delete()
    say(f"Removed the demo's shopping lists ({count}).")
