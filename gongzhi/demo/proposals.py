"""Demo data for proposals (居民议事) and polls, see gongzhi/demo/extras.py. Per community:

- a proposal written by the demo resident, published, supported by neighbours (one by
  proxy where the demo resident has a parent to act for), answered, with two dated
  progress updates;
- a proposal still waiting in the staff queue;
- a closed poll made from the first proposal, with its votes and results;
- an open poll whose results show after voting, with a few votes — four of them from one
  device, so that the staff page shows an anomaly flag with its evidence.

Neighbours vote and support with their own demo accounts (`<slug>-neighbour-N`, no
password, linked to their register person), made here and, like every demo account, kept
across a reset (relinked to the new register on the next load).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.hashers import make_password

from gongzhi.accounts.models import User
from gongzhi.core import clock
from gongzhi.proposals import anomalies, services
from gongzhi.proposals.models import Flag, Poll, Proposal, Support, Update, Vote
from gongzhi.registry.choices import Residency
from gongzhi.registry.models import Area, Person

NEIGHBOURS = 12
PREFIX = "-neighbour-"
TITLES = [
    ("在小区增设电动车集中充电棚", "楼道里充电不安全，希望在空地建一个带充电桩的车棚。"),
    ("加装老旧楼栋电梯", "楼里老人多，上下楼困难，希望社区牵头申请加装电梯。"),
    ("修缮小区休闲广场的健身器材", "几件器材已经生锈松动，孩子和老人用着不放心。"),
]
WAITING = ("晚上路灯太暗，希望增加照明", "小区东门到菜市场一段路晚上很黑。")


def _neighbours(community: Area, rng: random.Random, slug: str) -> list[User]:
    persons = list(
        Person.objects.within(community.path)
        .filter(residency=Residency.LIVING)
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    chosen = sorted(rng.sample(persons, min(NEIGHBOURS, len(persons))))
    taken = set(User.objects.filter(person_id__in=chosen).values_list("person_id", flat=True))
    free = [pk for pk in chosen if pk not in taken]
    names = [f"{slug}{PREFIX}{n}" for n in range(1, len(free) + 1)]
    # Demo accounts outlive a reset (the register's persons do not): reuse them by name.
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    unusable, joined = make_password(None), clock.now() - dt.timedelta(days=300)
    fresh, relinked = [], []
    for name, pk in zip(names, free, strict=True):
        user = existing.get(name)
        if user is None:
            fresh.append(
                User(
                    username=name,
                    display_name="居民",
                    is_demo=True,
                    password=unusable,
                    person_id=pk,
                    date_joined=joined,
                )
            )
        else:
            user.person_id = pk
            relinked.append(user)
    User.objects.bulk_create(fresh)
    User.objects.bulk_update(relinked, ["person"])
    return list(User.objects.filter(username__in=names).select_related("person").order_by("pk"))


def _backdate(proposal: Proposal, start: dt.datetime) -> None:
    """Spread the follow-up over the past weeks, four days a step (the answer's date too)."""
    for n, update in enumerate(proposal.updates.order_by("pk")):
        at = start + dt.timedelta(days=4 * n)
        Update.objects.filter(pk=update.pk).update(at=at)
        if update.action == "answer":
            Proposal.objects.filter(pk=proposal.pk).update(answered_at=at)


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    for index, loaded in enumerate(communities):
        community, spec = loaded.community, loaded.plan.spec
        rng = random.Random(f"{seed}:proposals:{spec.slug}")
        staff = User.objects.filter(username=f"{spec.slug}-secretary").first()
        resident = User.objects.filter(username=f"{spec.slug}-resident").first()
        if staff is None or resident is None or resident.person is None:
            continue
        neighbours = _neighbours(community, rng, spec.slug)
        title, body = TITLES[index % len(TITLES)]
        proposal = services.proposal_submit(
            actor=resident, person=resident.person, area=community, title=title, body=body
        )
        proposal = services.proposal_transition(actor=staff, proposal=proposal, action="publish")
        services.proposal_support(actor=resident, proposal=proposal, person=resident.person)
        for user in neighbours[: rng.randint(6, len(neighbours))]:
            services.proposal_support(actor=user, proposal=proposal, person=user.person)
        services.proposal_transition(
            actor=staff, proposal=proposal, action="answer",
            note="感谢提议。社区已与物业商议，先征求全体住户意见，同意的住户过半即申请立项。",
        )  # fmt: skip
        services.proposal_transition(
            actor=staff, proposal=proposal, action="progress",
            note="征求意见投票已结束，多数住户同意，已报街道申请立项。",
        )  # fmt: skip
        services.proposal_transition(
            actor=staff, proposal=proposal, action="progress",
            note="街道已批复，物业正在选址和询价，预计下月施工。",
        )  # fmt: skip
        _backdate(proposal, now - dt.timedelta(days=20))
        Proposal.objects.filter(pk=proposal.pk).update(created_at=now - dt.timedelta(days=21))
        waiting_author = neighbours[0] if neighbours else resident
        services.proposal_submit(
            actor=waiting_author, person=waiting_author.person, area=community,
            title=WAITING[0], body=WAITING[1],
        )  # fmt: skip

        # A closed poll from the proposal: its votes were cast while it was open.
        closed = services.poll_create(
            actor=staff, area=None, question=f"是否同意“{title}”？", options=["同意", "不同意", "无所谓"],
            opens_at=now - dt.timedelta(days=17), closes_at=now - dt.timedelta(days=10),
            results_visibility="after_close", proposal=proposal,
        )  # fmt: skip
        options = list(closed.options.all())
        votes = [
            Vote(
                poll=closed,
                option=rng.choices(options, weights=[6, 2, 1])[0],
                person=user.person,
                user=user,
                at=closed.opens_at + dt.timedelta(hours=rng.randint(1, 150)),
                address_digest=services.digest(
                    f"demo-address-{rng.randint(1, 6)}", services.ADDRESS_PURPOSE
                ),
                device_digest=services.digest(f"demo-device-{user.pk}", services.DEVICE_PURPOSE),
                account_created_at=user.date_joined,
                area_path=closed.area_path,
            )
            for user in [resident, *neighbours]
        ]
        Vote.objects.bulk_create(votes)

        # An open poll: a few votes so far, four of them from one shared phone.
        open_poll = services.poll_create(
            actor=staff, area=community, question="社区周末集市放在哪一天？",
            options=["周六上午", "周六下午", "周日上午"],
            opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=6),
            results_visibility="after_vote",
        )  # fmt: skip
        choices = list(open_poll.options.all())
        for n, user in enumerate(neighbours[:7]):
            device = "demo-shared-phone" if n < 4 else f"demo-phone-{user.pk}"
            vote = services.poll_vote(
                actor=user, poll=open_poll, person=user.person, option=rng.choice(choices),
                address=f"10.0.{index}.{n}", device=device,
            )  # fmt: skip
            anomalies.check_after_vote(vote.pk)
        say(f"{spec.name}: 2 proposals, 2 polls, {len(votes)} votes in the closed one")
    say(f"Proposals and polls: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' proposals and polls (demo accounts stay, as all do)."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    polls = Poll.objects.within(*paths)
    Flag.objects.filter(poll__in=polls).delete()
    Vote.objects.filter(poll__in=polls).delete()
    polls.delete()  # options go with their poll
    proposals = Proposal.objects.within(*paths)
    count = proposals.count()
    Support.objects.filter(proposal__in=proposals).delete()
    proposals.delete()  # updates go with their proposal
    say(f"Removed the demo's proposals ({count}) and polls.")
