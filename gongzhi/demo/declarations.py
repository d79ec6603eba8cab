"""Demo arrival declarations (返乡/外来人员登记), see gongzhi/demo/extras.py. In each
community: a few registered residents who declared their return (matched on the ID number,
each a watch-list task of their grid worker), one who also was on the upstream list (the
declaration joins that open entry: one task, not two), and two arrivals the register does
not know (waiting for the grid worker of the declared building to confirm them).

Written through `health.declarations` (the numbers count as confirmed: nobody is texted),
after the upstream lists of `gongzhi.demo.datasets`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.fields import reveal
from gongzhi.core.identity import id_check_digit
from gongzhi.health import declarations
from gongzhi.health.models import Declaration, WatchEntry
from gongzhi.health.states import OPEN_STATUSES
from gongzhi.registry.models import PRESENT_RESIDENCY, Person

Say = Callable[[str], Any]
ORIGINS = ("武汉市", "上海市", "广州市", "深圳市", "北京市", "西安市", "成都市", "杭州市")
STRANGERS = ("陈归乡", "周远行", "吴思源", "郑来福")
MATCHED = 3


def _id_number(rng: random.Random) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    first17 = f"420106{birth:%Y%m%d}{rng.randrange(100, 999):03d}"
    return first17 + id_check_digit(first17)


def _data(rng: random.Random, building: Any, **values: Any) -> dict[str, Any]:
    today = clock.today()
    data = {
        "origin": rng.choice(ORIGINS),
        "arrived_on": today - dt.timedelta(days=rng.randrange(0, 10)),
        "travel_mode": rng.choice(["train", "train", "plane", "coach", "car"]),
        "building": building.pk,
        "room": f"{rng.randrange(1, 4)}-{rng.randrange(1, 7)}0{rng.randrange(1, 5)}",
        "symptoms": ["none"] if rng.random() < 0.8 else ["cough"],
    }
    data.update(values)
    return data


def _mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.startswith("1")


def _person_values(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "id_number": reveal(person.id_number),
        "phone": reveal(person.phone),
    }


def _community(community: Any, *, seed: int) -> dict[str, int]:
    area = community.community
    rng = random.Random(f"{seed}:{area.code}:declarations")
    buildings = declarations.building_choices(area)
    if not buildings:
        return {}
    people = [
        p
        for p in Person.objects.within(area.path)
        .filter(residency__in=PRESENT_RESIDENCY, birth_date__lte=dt.date(2004, 1, 1))
        .exclude(phone_index="")
        .select_related("household")
        .order_by("pk")[:400]
        if _mobile(reveal(p.phone))
    ]
    listed = set(
        WatchEntry.objects.within(area.path)
        .filter(status__in=OPEN_STATUSES, person__isnull=False, merged_into__isnull=True)
        .values_list("person_id", flat=True)
    )
    counts = {"matched": 0, "merged": 0, "pending": 0}
    with_entry = [
        p
        for p in Person.objects.filter(pk__in=listed, birth_date__lte=dt.date(2004, 1, 1))
        .select_related("household")
        .order_by("pk")
        if _mobile(reveal(p.phone))
    ]
    without = [p for p in people if p.pk not in listed]
    for person in rng.sample(without, min(MATCHED, len(without))):
        building = next((b for b in buildings if b.pk == person.household.building_id), None)
        data = _data(rng, building or buildings[0], **_person_values(person))
        declarations.declaration_record_confirmed(community=area, data=data)
        counts["matched"] += 1
    if with_entry:
        person = rng.choice(with_entry)
        building = next((b for b in buildings if b.pk == person.household.building_id), None)
        data = _data(rng, building or buildings[0], **_person_values(person))
        declarations.declaration_record_confirmed(community=area, data=data)
        counts["merged"] += 1
    for name in rng.sample(STRANGERS, 2):
        data = _data(
            rng, rng.choice(buildings), name=name, id_number=_id_number(rng),
            phone=f"137{rng.randrange(10**7, 10**8)}",
        )  # fmt: skip
        declarations.declaration_record_confirmed(community=area, data=data)
        counts["pending"] += 1
    audit_record(
        actor=None,
        action="demo.declarations",
        obj=area,
        area_path=area.path,
        purpose=f"demo data: {sum(counts.values())} arrival declarations",
    )
    return counts


def load(communities: Sequence[Any], *, seed: int, say: Say) -> None:
    for community in communities:
        counts = _community(community, seed=seed)
        if counts:
            say(
                f"{community.community.name}: {counts['matched']} arrival declarations matched, "
                f"{counts['merged']} joined an upstream list's entry, {counts['pending']} "
                "waiting for the grid worker"
            )


def unload(*, say: Say) -> None:
    """Remove the demo communities' declarations and the watch-list entries they opened."""
    from gongzhi.demo.load import _demo_community_paths

    paths = _demo_community_paths()
    if not paths:
        return
    Declaration.objects.within(*paths).delete()
    WatchEntry.objects.within(*paths).filter(upstream_list__isnull=True).delete()
    say("Removed the demo's arrival declarations.")
