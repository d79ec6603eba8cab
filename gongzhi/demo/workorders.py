"""Demo data for work orders (see gongzhi/demo/extras.py): the categories and SLAs (from
the migration), the volunteers and party members of each community with their skills,
Yuling's "8 households as the standard" pairing (包干到户), and orders in every state.

- Party members: in every lowest grid (Yuling's 86 party groups, Qifu's 172 third-level
  grids, Tielu's 15 party branches), at least one, each paired with about 8 households of
  their grid: ~530 in Yuling at full scale, one per ~8 households as the study says; one
  per ~50 households elsewhere. Volunteers: two per first-level grid (one per
  second-level grid in Qifu). They are demo users without a password (`<slug>-pm-0001`, `<slug>-vol-001`):
  they appear in dispatch suggestions; the `<slug>-partymember` and `<slug>-volunteer`
  logins are among them and can sign in.
- Orders: 22 per community, made through the services (so every step has its timeline
  entry, audit entry and notification), then spread over the past days. One waiting
  order is already past its deadline: the worker's first SLA sweep escalates it.

Users, memberships, profiles and pairings are written in bulk (a few thousand rows), with
one `demo.workorders` audit entry per community, as the register's demo does.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, files
from gongzhi.demo.people import _GIVEN_CHARS, _SURNAME_WEIGHTS, _SURNAMES
from gongzhi.registry.models import Area, Household, Person
from gongzhi.workorders import filing, policy, services
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.workorders.models import (
    Attachment,
    Category,
    HandlerProfile,
    Offer,
    Pairing,
    Skill,
    TimelineEntry,
    WorkOrder,
)
from gongzhi.workorders.states import Action

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

HOUSEHOLDS_PER_PARTY_MEMBER = 8
# Party members per household of a lowest grid: Yuling's 500+ sinking party members over
# 4,992 households, ~8 each (the study); elsewhere about one per 50 households.
PARTY_MEMBER_DENSITY = {"yuling": 0.85 / HOUSEHOLDS_PER_PARTY_MEMBER}
VOLUNTEERS_PER_GRID = 2
SKILLS = [s.value for s in Skill]

# (category, description) of the demo's requests.
REQUESTS = [
    ("repair", "厨房水龙头一直滴水，关不紧。"),
    ("repair", "楼道感应灯坏了，晚上看不清台阶。"),
    ("errands", "腿脚不便，想请人帮忙买一周的菜和降压药。"),
    ("escort", "下周二上午要去市人民医院复查，需要有人陪同。"),
    ("sanitation", "单元门口的垃圾桶满了两天没人清运。"),
    ("mediation", "楼上装修噪音太大，中午也不停，想请社区协调。"),
    ("elder_care", "母亲独居，最近电话总打不通，麻烦上门看看。"),
    ("repair", "家里电路跳闸，插座没电。"),
    ("errands", "帮忙代缴一下本季度的水电费。"),
    ("other", "想咨询老年人免费体检怎么报名。"),
]
COMPLAINT = ("complaint", "小区门口烧烤摊油烟很大，晚上十一点还在营业。")
SUGGESTION = ("suggestion", "建议在3栋旁边加装几把休息长椅，方便老人歇脚。")
COMMENTS = ["来得很及时，谢谢！", "态度很好，问题解决了。", "有点慢，不过修好了。", ""]


def _name(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS, k=1)[0]
    chars = _GIVEN_CHARS[rng.choice(list(_GIVEN_CHARS))]
    return surname + "".join(rng.choice(chars) for _ in range(rng.choice((1, 2))))


# --- who serves whom --------------------------------------------------------------------------


def _households_by_leaf(loaded: Any) -> dict[int, list[int]]:
    """Household ids of each lowest grid, in address order."""
    by_building: dict[int, int] = {b.pk: b.parent_id for b in loaded.buildings}
    out: dict[int, list[int]] = {leaf.pk: [] for leaf in loaded.leaves}
    rows = (
        Household.objects.filter(community=loaded.community)
        .exclude(status="closed")
        .order_by("area_path", "unit", "room", "pk")
        .values_list("pk", "building_id")
    )
    for pk, building_id in rows:
        out.setdefault(by_building[building_id], []).append(pk)
    return out


def _handlers(loaded: Any, rng: random.Random, password: str) -> dict[str, list[tuple[User, Area]]]:
    """Party members per lowest grid and volunteers per upper grid: (user, area) pairs.
    Existing demo users are reused (a reset keeps users: the audit log names them)."""
    spec = loaded.plan.spec
    slug = spec.slug
    households = _households_by_leaf(loaded)
    wanted: list[tuple[str, str, Area, str]] = []  # username, display name, area, role
    n = 0
    for leaf in loaded.leaves:
        count = max(
            1, round(len(households.get(leaf.pk, [])) * PARTY_MEMBER_DENSITY.get(slug, 0.02))
        )
        for _ in range(count):
            n += 1
            wanted.append((f"{slug}-pm-{n:04d}", _name(rng), leaf, Role.PARTY_MEMBER))
    volunteer_grids = loaded.grids[2] if len(loaded.grids.get(1, [])) == 1 else loaded.grids[1]
    n = 0
    for grid in volunteer_grids:
        for _ in range(VOLUNTEERS_PER_GRID if grid.grid_level == 1 else 1):
            n += 1
            wanted.append((f"{slug}-vol-{n:03d}", _name(rng), grid, Role.VOLUNTEER))
    existing = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
    new = [
        User(username=u, display_name=d, is_demo=True, password=password)
        for u, d, _area, _role in wanted
        if u not in existing
    ]
    User.objects.bulk_create(new, batch_size=500)
    users = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
    Membership.objects.bulk_create(
        [Membership(user=users[u], area=area, role=role) for u, _d, area, role in wanted],
        batch_size=500,
    )
    out: dict[str, list[tuple[User, Area]]] = {"party": [], "volunteer": []}
    for username, _d, area, role in wanted:
        out["party" if role == Role.PARTY_MEMBER else "volunteer"].append((users[username], area))
    return out


def _profiles_and_pairings(
    loaded: Any, handlers: dict[str, list[tuple[User, Area]]], rng: random.Random
) -> int:
    """Skills for everyone; each party member serves ~8 households of their grid (the
    demo party member login first, with the demo resident's household)."""
    spec = loaded.plan.spec
    demo_pm = User.objects.filter(username=f"{spec.slug}-partymember").first()
    demo_vol = User.objects.filter(username=f"{spec.slug}-volunteer").first()
    party = list(handlers["party"])
    if demo_pm is not None:
        party.insert(0, (demo_pm, loaded.leaves[0]))
    profiles = []
    for user, _area in [*party, *handlers["volunteer"]]:
        skills = sorted(set(rng.sample(SKILLS, k=rng.choice((1, 2, 3)))))
        profiles.append(HandlerProfile(user=user, skills=skills))
    if demo_pm is not None:
        profiles[0].skills = ["care", "errands", "repair"]
    if demo_vol is not None:
        profiles.append(HandlerProfile(user=demo_vol, skills=["errands", "escort", "general"]))
    HandlerProfile.objects.filter(user__in=[p.user for p in profiles]).delete()
    HandlerProfile.objects.bulk_create(profiles, batch_size=500)

    households = _households_by_leaf(loaded)
    resident = (
        User.objects.filter(username=f"{spec.slug}-resident").select_related("person").first()
    )
    own = (
        resident.person.household_id
        if resident is not None and resident.person is not None
        else None
    )
    paths = dict(
        Household.objects.filter(community=loaded.community).values_list("pk", "area_path")
    )
    today = clock.today()
    pairings: list[Pairing] = []
    by_leaf: dict[int, list[User]] = {}
    for user, leaf in party:
        by_leaf.setdefault(leaf.pk, []).append(user)
    for leaf_id, members in by_leaf.items():
        homes = list(households.get(leaf_id, []))
        if own in homes:  # the demo resident's household is served by the first member
            homes.remove(own)
            homes.insert(0, own)
        for index, user in enumerate(members):
            chunk = homes[
                index * HOUSEHOLDS_PER_PARTY_MEMBER : (index + 1) * HOUSEHOLDS_PER_PARTY_MEMBER
            ]
            pairings.extend(
                Pairing(handler=user, household_id=h, area_path=paths[h], since=today)
                for h in chunk
            )
    Pairing.objects.bulk_create(pairings, batch_size=1000)
    return len(pairings)


# --- orders --------------------------------------------------------------------------------------


class _Maker:
    """Orders of one community, made through the services."""

    def __init__(self, loaded: Any, rng: random.Random):
        spec = loaded.plan.spec
        self.loaded = loaded
        self.rng = rng
        self.categories = {c.code: c for c in Category.objects.all()}
        # Every community's logins exist (logins.COMMUNITY_LOGINS); the resident is read as
        # optional, as the steps below treat it.
        get = User.objects.get
        self.worker = get(username=f"{spec.slug}-gridworker")
        self.secretary = get(username=f"{spec.slug}-secretary")
        self.head = get(username=f"{spec.slug}-buildinghead")
        self.resident = User.objects.filter(username=f"{spec.slug}-resident").first()
        self.pm = get(username=f"{spec.slug}-partymember")
        self.volunteer = get(username=f"{spec.slug}-volunteer")
        grid = self.worker.memberships.get().area
        self.grid = grid
        # Residents of the first lowest grid: in the grid worker's grid, and served by the
        # demo party member (whose membership is on that lowest grid).
        self.persons = list(
            Person.objects.within(loaded.leaves[0].path)
            .filter(residency="living")
            .order_by("pk")[:200]
        )
        self.made: list[tuple[WorkOrder, float]] = []  # (order, days ago)

    def _person(self) -> Person:
        return self.rng.choice(self.persons)

    def order(self, request: tuple[str, str], days_ago: float, **extra: Any) -> WorkOrder:
        code, text = request
        data: dict[str, Any] = {"actor": self.worker, "person": self._person()}
        data.update(extra)
        order = filing.workorder_create(category=self.categories[code], description=text, **data)
        self.made.append((order, days_ago))
        return order

    def step(self, order: WorkOrder, actor: Actor, action: str, **kwargs: Any) -> WorkOrder:
        return services.workorder_transition(actor=actor, order=order, action=action, **kwargs)

    def build(self) -> None:
        rng, worker, pm, vol = self.rng, self.worker, self.pm, self.volunteer
        step = self.step
        pick = iter(rng.sample(REQUESTS * 3, k=len(REQUESTS) * 3))
        # Waiting in the grid's inbox (one for the demo resident, one filed by the
        # building head, one anonymous complaint), and one already past its deadline.
        if self.resident is not None and self.resident.person_id:
            self.order(REQUESTS[0], 0.05, actor=self.resident, person=None)
        self.order(next(pick), 0.1, actor=self.head, person=None, household=self._heads_household())
        self.order(COMPLAINT, 0.2, actor=self.resident or worker, person=None, anonymous=True,
                   place=self.grid)  # fmt: skip
        self.order(next(pick), 0.12)
        self.order(next(pick), 4.0)  # overdue: the first SLA sweep escalates it
        # Escalated: by the grid worker with a reason, and by the SLA sweep.
        order = self.order(next(pick), 0.1)
        step(order, worker, Action.ESCALATE, note="涉及物业公司，需要社区出面协调。")
        order = self.order(next(pick), 0.15)
        step(order, None, Action.ESCALATE, note="Deadline passed (SLA): escalated automatically.")
        # Dispatched: to the party member who serves the household, to the volunteer, to
        # both (the first to accept gets it).
        for handlers, days in (([pm], 0.06), ([vol], 0.08), ([pm, vol], 0.1)):
            order = self.order(next(pick), days)
            step(order, worker, Action.DISPATCH, handlers=handlers)
        # In hand.
        for action_list, days in ((["accept"], 0.3), (["accept", "start"], 0.5)):
            order = self.order(next(pick), days)
            step(order, worker, Action.DISPATCH, handlers=[pm])
            for action in action_list:
                step(order, pm, action)
        # Resolved, waiting for the rating (one is the demo resident's).
        for who, days in ((self.resident, 1.2), (None, 2.0), (None, 2.2)):
            extra = {"actor": who, "person": None} if who is not None and who.person_id else {}
            order = self.order(next(pick), days, **extra)
            handler = self._handler(order)
            step(order, self._dispatcher(order), Action.DISPATCH, handlers=[handler])
            step(order, handler, Action.ACCEPT)
            step(order, handler, Action.RESOLVE, note="已上门处理完毕。")
        # Closed with a rating, solved by the grid worker, a suggestion, a cancellation.
        own = {"actor": self.resident, "person": None} if self._resident_linked() else {}
        for days in (3.0, 3.5, 5.0, 6.0):  # the demo resident's earlier requests
            order = self.order(next(pick), days, **own)
            handler = self._handler(order)
            step(order, self._dispatcher(order), Action.DISPATCH, handlers=[handler])
            step(order, handler, Action.ACCEPT)
            step(order, handler, Action.RESOLVE, note="已处理。")
            requester = self._requester(order)
            if requester is not None:
                step(order, requester, Action.RATE, rating=rng.choice((3, 4, 5, 5, 5)),
                     note=rng.choice(COMMENTS))  # fmt: skip
        order = self.order(next(pick), 2.8)
        step(order, worker, Action.SOLVE, note="电话指导居民自行复位空气开关，已解决。")
        self.order(SUGGESTION, 1.8, actor=self.resident or worker, person=None, place=self.grid)
        order = self.order(next(pick), 0.9)
        step(order, worker, Action.CANCEL, note="居民来电说已自行解决。")

    def _resident_linked(self) -> bool:
        return self.resident is not None and bool(self.resident.person_id)

    def _dispatcher(self, order: WorkOrder) -> User:
        """The grid worker for their grid's orders; the secretary for the rest (the demo
        resident may live in another grid)."""
        if policy.is_staff_for(self.worker, order):
            return self.worker
        return self.secretary

    def _handler(self, order: WorkOrder) -> User:
        """The demo party member when they serve the place, else the demo volunteer."""
        able = [h for h in (self.pm, self.volunteer) if policy.may_handle(h, order)]
        return self.rng.choice(able)

    def _heads_household(self) -> Household | None:
        """A household of the building head's own building."""
        building = self.head.memberships.get().area
        return Household.objects.filter(building=building).order_by("pk").first()

    def _requester(self, order: WorkOrder) -> User | None:
        """Who rates: a resident's account for the order's person, else the grid worker's
        on their behalf is not allowed — so the demo resident rates their own only."""
        if order.requester_id and order.requester_id != self.worker.pk:
            return order.requester
        if self.resident is not None and order.person_id == self.resident.person_id:
            return self.resident
        return None


def _spread(made: Sequence[tuple[WorkOrder, float]], now: dt.datetime) -> None:
    """Move each order's life into the past: filed `days ago`, each next step an hour or
    two later. Only demo rows; the audit log keeps the real times it was written."""
    for order, days_ago in made:
        order.refresh_from_db()
        filed = now - dt.timedelta(days=days_ago)
        entries = list(TimelineEntry.objects.filter(order=order).order_by("pk"))
        # Deadlines move with the step that set them (the last one).
        shift = filed - (entries[-1].at if entries else order.submitted_at)
        gap = min(dt.timedelta(hours=2), dt.timedelta(days=days_ago) / (len(entries) + 1))
        for index, entry in enumerate(entries):
            entry.at = filed + gap * index
        TimelineEntry.objects.bulk_update(entries, ["at"])
        last = entries[-1].at if entries else filed
        shift += last - filed
        fields: dict[str, Any] = {"submitted_at": filed}
        for name in ("response_due", "resolve_due", "due_at", "remind_at"):
            value = getattr(order, name)
            fields[name] = value + shift if value is not None else None
        for name in ("accepted_at", "resolved_at", "closed_at"):
            if getattr(order, name) is not None:
                fields[name] = last
        WorkOrder.objects.filter(pk=order.pk).update(**fields)
        Offer.objects.filter(order=order).update(offered_at=filed + gap)
        Attachment.objects.filter(order=order).update(uploaded_at=filed)


# --- load / unload ---------------------------------------------------------------------------------


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    ensure_default_categories()
    password = make_password(None)  # unusable: these handlers appear, they do not sign in
    now = clock.now()
    for loaded in communities:
        spec = loaded.plan.spec
        rng = random.Random(f"{seed}:workorders:{spec.slug}")
        handlers = _handlers(loaded, rng, password)
        pairings = _profiles_and_pairings(loaded, handlers, rng)
        maker = _Maker(loaded, rng)
        maker.build()
        _spread(maker.made, now)
        audit_record(
            actor=None,
            action="demo.workorders",
            obj=loaded.community,
            area_path=loaded.community.path,
            fields=["handlers", "pairings", "orders"],
            purpose=(
                f"demo data: {len(handlers['party'])} party members, "
                f"{len(handlers['volunteer'])} volunteers, {pairings} pairings, "
                f"{len(maker.made)} orders"
            ),
        )
        say(
            f"{spec.name}: {len(handlers['party'])} party members paired with {pairings} "
            f"households, {len(handlers['volunteer'])} volunteers, {len(maker.made)} work orders"
        )
    say(f"Work orders: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' orders, pairings and handler profiles (users stay:
    the audit log names them; `demo.load.unload` removes their memberships)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    orders = WorkOrder.objects.within(*paths)
    count = orders.count()
    for attachment in Attachment.objects.filter(order__in=orders).only("path"):
        # After the commit: a rolled-back reset keeps its rows, so it must keep their files.
        transaction.on_commit(partial(files.remove_stored, attachment.path))
    TimelineEntry.objects.filter(order__in=orders).delete()
    orders.delete()
    Pairing.objects.within(*paths).delete()
    HandlerProfile.objects.filter(Q(user__is_demo=True)).delete()
    say(f"Removed the demo's work orders ({count:,}) and pairings.")
