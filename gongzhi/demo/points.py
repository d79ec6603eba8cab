"""Demo data of the points square (能量广场), see gongzhi/demo/extras.py: per community a few
activities (topics and events, past and upcoming, every proof kind), sign-ups by the demo
volunteers, party members and the demo resident, proofs in every state (one a repeated
photo, one taken outside its activity's window: flagged), the ledger (awards for approved
sign-ups with hours, awards for the good ratings of the demo's work orders, a redemption
or two, an adjustment), the 能量仓 catalogue with stock, and vouchers issued and handed over.

Activities, sign-ups, proofs, rewards and redemptions are written with the models; every
points movement goes through `points.ledger.entry_post` (the ledger's one write path), so
balances are the sums of the entries. Proof photos are small JPEGs made with Pillow and
stored under the uploads directory as proofs are (`points/<yyyy>/<mm>/<random>.jpg`),
with their perceptual hash (imagehash). Deterministic from `seed` (random ids aside).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q

from gongzhi.accounts.models import Membership, User
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, files
from gongzhi.points import ledger
from gongzhi.points.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Adjustment,
    AdjustmentStatus,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    Proof,
    ProofKind,
    ProofStatus,
    Redemption,
    RedemptionStatus,
    Reward,
    Signup,
)
from gongzhi.registry.models import Area
from gongzhi.workorders.models import TimelineEntry
from gongzhi.workorders.states import Action

PHOTO_DIR = "points"  # under the uploads directory, as proofs are stored
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/I)
RATING_POINTS = {5: 10, 4: 5}  # a work order rated 4-5 awards its handler; lower: nothing

# (kind, title, days from now to the start, length in hours, proof, points, hours, where,
#  status, capacity)
ACTIVITIES = [
    (ActivityKind.TOPIC, "垃圾分类督导", -150, 24 * 180, ProofKind.PHOTO, 10, "2", "community",
     ActivityStatus.PUBLISHED, None),
    (ActivityKind.EVENT, "重阳节敬老院慰问", -58, 4, ProofKind.PHOTO, 20, "3", "community",
     ActivityStatus.CLOSED, 20),
    (ActivityKind.EVENT, "反诈宣传进楼栋", -24, 3, ProofKind.TEXT, 10, "1.5", "grid",
     ActivityStatus.CLOSED, None),
    (ActivityKind.EVENT, "小区环境大扫除", -3, 3, ProofKind.CHECKIN, 15, "2", "community",
     ActivityStatus.PUBLISHED, 30),
    (ActivityKind.EVENT, "义诊志愿服务", 7, 4, ProofKind.VIDEO, 20, "4", "community",
     ActivityStatus.PUBLISHED, 10),
    (ActivityKind.EVENT, "冬季消防安全检查", 14, 3, ProofKind.CHECKIN, 15, "2", "grid",
     ActivityStatus.DRAFT, None),
]  # fmt: skip
TEXTS = [
    "在3栋、5栋发放防诈骗宣传单40份，给两位老人讲解了冒充客服的骗局。",
    "和邻居一起清理了单元门口的杂物和小广告。",
    "陪老人聊天、打扫房间，送去了水果。",
]
REVIEW_NOTES: dict[str, str] = {
    ProofStatus.REJECTED: "照片看不出是活动现场，请补充。",
    ProofStatus.MORE: "请补一张活动现场的照片。",
}
# (name, description, points, stock)
REWARDS = [
    ("大米 5kg", "东北大米一袋，社区服务站领取。", 200, 20),
    ("食用油 1.8L", "非转基因压榨菜籽油一桶。", 150, 15),
    ("理发券", "社区爱心理发店理发一次。", 50, 30),
    ("洗衣液", "2kg 装洗衣液一瓶。", 80, 0),  # out of stock
    ("环保购物袋", "可折叠环保袋一个。", 20, 50),
]


@dataclass
class _Community:
    loaded: Any
    rng: random.Random
    slug: str
    secretary: User
    reviewer: User  # the grid worker
    leader: User
    grid: Area  # the grid worker's grid
    participants: list[User]


def _login(slug: str, suffix: str) -> User | None:
    return User.objects.filter(username=f"{slug}-{suffix}").first()


def _grid_of(user: User, fallback: Area) -> Area:
    membership = Membership.objects.filter(user=user, is_active=True).select_related("area").first()
    return membership.area if membership is not None else fallback


def _participants(loaded: Any, slug: str, rng: random.Random) -> list[User]:
    """The demo logins who take part (volunteer, party member, resident, building head),
    then some of the community's other demo volunteers and party members (apart, so that
    both rankings have several people)."""
    logins = [
        u for s in ("volunteer", "partymember", "resident", "buildinghead")
        if (u := _login(slug, s)) is not None
    ]  # fmt: skip
    demo = User.objects.filter(is_demo=True).order_by("username")
    volunteers = list(demo.filter(username__startswith=f"{slug}-vol-")[:20])
    members = list(demo.filter(username__startswith=f"{slug}-pm-")[:60])
    return (
        logins
        + rng.sample(volunteers, k=min(7, len(volunteers)))
        + rng.sample(members, k=min(8, len(members)))
    )


def _photo(rng: random.Random, base: tuple[int, int, int] | None = None) -> tuple[bytes, str]:
    """A small JPEG (a few shapes) and its perceptual hash."""
    import imagehash
    from PIL import Image, ImageDraw

    colour = base or (rng.randint(40, 220), rng.randint(40, 220), rng.randint(40, 220))
    image = Image.new("RGB", (96, 72), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y = rng.randint(0, 80), rng.randint(0, 56)
        fill = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.rectangle([x, y, x + rng.randint(8, 30), y + rng.randint(8, 30)], fill=fill)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue(), str(imagehash.phash(image))


def _store(data: bytes) -> str:
    return files.store(data, folder=PHOTO_DIR, extension="jpg")


def _activities(c: _Community, now: dt.datetime) -> list[Activity]:
    made = []
    for n, (
        kind,
        title,
        start_days,
        hours_long,
        proof,
        points,
        hours,
        where,
        status,
        cap,
    ) in enumerate(ACTIVITIES):
        area = c.loaded.community if where == "community" else c.grid
        starts = (now + dt.timedelta(days=start_days)).replace(minute=0, second=0, microsecond=0)
        starts = starts.replace(hour=9)
        activity = Activity.objects.create(
            area=area,
            area_path=area.path,
            kind=kind,
            title=title,
            description=f"{title}：欢迎居民、志愿者和党员报名参加。",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=hours_long),
            place=f"{c.loaded.community.name}党群服务中心" if n % 2 else f"{area.name}",
            capacity=cap,
            proof_kind=proof,
            points=points,
            hours=Decimal(hours),
            status=status,
            checkin_token=secrets.token_urlsafe(32),
            created_by=c.secretary,
            published_at=None if status == ActivityStatus.DRAFT else starts - dt.timedelta(days=7),
        )
        activity.reviewers.set([c.reviewer, c.leader])
        made.append(activity)
    return made


def _proof_for(
    c: _Community, signup: Signup, activity: Activity, status: str, *, photo: Any = None,
    flags: list[dict[str, Any]] | None = None, taken_at: dt.datetime | None = None,
) -> Proof:  # fmt: skip
    import hashlib

    kind = activity.proof_kind
    when = activity.starts_at + dt.timedelta(hours=1)
    fields: dict[str, Any] = {"text": "", "file": "", "content_type": "", "sha256": "", "phash": ""}
    if kind == ProofKind.PHOTO:
        data, phash = photo or _photo(c.rng)
        fields.update(
            file=_store(data), content_type="image/jpeg",
            sha256=hashlib.sha256(data).hexdigest(), phash=phash,
        )  # fmt: skip
    elif kind == ProofKind.TEXT:
        fields["text"] = c.rng.choice(TEXTS)
    reviewed = status != ProofStatus.SUBMITTED
    return Proof.objects.create(
        signup=signup,
        kind=kind,
        taken_at=taken_at or (when if kind == ProofKind.PHOTO else None),
        flags=flags or [],
        status=status,
        submitted_by=signup.signed_up_by,
        reviewed_by=c.reviewer if reviewed else None,
        reviewed_at=when + dt.timedelta(hours=20) if reviewed else None,
        review_note=REVIEW_NOTES.get(status, ""),
        area_path=activity.area_path,
        **fields,
    )


def _award(signup: Signup, activity: Activity, at: dt.datetime, actor: User) -> int:
    entry, _ = ledger.entry_post(
        holder=signup.participant,
        kind=EntryKind.AWARD,
        points=activity.points,
        hours=activity.hours,
        source=f"signup:{signup.pk}",
        reason=f"activity:{activity.pk}",
        created_by=actor,
        approved_by=actor,
        at=at,
    )
    return entry.points


def _signup(person: User, activity: Activity) -> Signup:
    found = Signup.objects.filter(activity=activity, participant=person).first()
    return found or Signup.objects.create(
        activity=activity,
        participant=person,
        person=person.person,
        signed_up_by=person,
        area_path=activity.area_path,
    )


def _signups_and_proofs(c: _Community, activities: list[Activity], now: dt.datetime) -> dict:
    counts = {"signups": 0, "proofs": 0, "awarded": 0}
    past = [a for a in activities if a.ends_at < now or a.kind == ActivityKind.TOPIC]
    upcoming = [a for a in activities if a.starts_at > now and a.status != ActivityStatus.DRAFT]
    first_photo: tuple[Proof, Activity, tuple[bytes, str]] | None = None
    forced = [ProofStatus.REJECTED, ProofStatus.MORE, ProofStatus.SUBMITTED]
    for i, person in enumerate(c.participants):
        # The demo logins (first) take part in everything, the others in some.
        chosen = past if i < 3 else [a for a in past if c.rng.random() < 0.75] or past[:1]
        for activity in chosen:
            signup = Signup.objects.create(
                activity=activity, participant=person, person=person.person,
                signed_up_by=person, area_path=activity.area_path,
                checked_in_at=activity.starts_at + dt.timedelta(minutes=10)
                if activity.proof_kind == ProofKind.CHECKIN else None,
            )  # fmt: skip
            counts["signups"] += 1
            roll = c.rng.random() / 2 if i < 3 else c.rng.random()
            status = (
                ProofStatus.APPROVED if roll < 0.72 else ProofStatus.SUBMITTED if roll < 0.85
                else ProofStatus.MORE if roll < 0.93 else ProofStatus.REJECTED
            )  # fmt: skip
            if activity.proof_kind == ProofKind.CHECKIN:
                status = ProofStatus.APPROVED  # the check-in at the place is the proof
            elif forced and i >= 3:  # every state at least once
                status = forced.pop()
            photo = None
            if activity.proof_kind == ProofKind.PHOTO and first_photo is None:
                photo = _photo(c.rng)
            proof = _proof_for(c, signup, activity, status, photo=photo)
            if photo is not None:
                first_photo = (proof, activity, photo)
            counts["proofs"] += 1
            if status == ProofStatus.APPROVED:
                at = min(activity.ends_at, now) if activity.kind == ActivityKind.EVENT else (
                    now - dt.timedelta(days=c.rng.randint(1, 140), hours=c.rng.randint(0, 9))
                )  # fmt: skip
                counts["awarded"] += _award(signup, activity, at, c.reviewer)
        for activity in upcoming:
            if c.rng.random() < 0.5:
                Signup.objects.create(
                    activity=activity, participant=person, person=person.person,
                    signed_up_by=person, area_path=activity.area_path,
                )  # fmt: skip
                counts["signups"] += 1
    photo_activities = [a for a in past if a.proof_kind == ProofKind.PHOTO]
    if first_photo is not None:
        # The same photo again, by someone else for another activity: flagged.
        original, used_for, photo = first_photo
        other = next(a for a in photo_activities if a.pk != used_for.pk)
        signup = _signup(c.participants[1], other)
        _proof_for(
            c, signup, other, ProofStatus.SUBMITTED, photo=photo,
            flags=[{"code": "duplicate_photo",
                    "detail": {"proof": original.pk, "distance": 0, "matches": 1}}],
        )  # fmt: skip
        counts["proofs"] += 1
    # A photo taken a week before its activity: flagged, waiting for review.
    event = next(a for a in photo_activities if a.kind == ActivityKind.EVENT)
    signup = _signup(c.participants[-1], event)
    taken = event.starts_at - dt.timedelta(days=7)
    _proof_for(
        c, signup, event, ProofStatus.SUBMITTED, taken_at=taken,
        flags=[{"code": "taken_outside_window", "detail": {
            "taken_at": taken.isoformat(), "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat()}}],
    )  # fmt: skip
    counts["proofs"] += 1
    return counts


def _rated_orders(c: _Community) -> int:
    """Awards for the community's work orders rated 4-5, to their handler (once per
    rating event: `order-rated:<event id>`, as the listener of `order_rated` posts them)."""
    awarded = 0
    rated = (
        TimelineEntry.objects.filter(
            action__in=[Action.RATE, Action.CALLBACK], rating__gte=4,
            order__area_path__startswith=c.loaded.community.path,
        )
        .select_related("order__assignee")
        .order_by("pk")
    )  # fmt: skip
    for event in rated:
        handler = event.order.assignee
        if handler is None or event.rating not in RATING_POINTS:
            continue
        ledger.entry_post(
            holder=handler, kind=EntryKind.AWARD, points=RATING_POINTS[event.rating], hours=1,
            source=f"order-rated:{event.pk}", reason=f"workorder:{event.order_id}", at=event.at,
        )  # fmt: skip
        awarded += 1
    return awarded


def _voucher(rng: random.Random) -> str:
    return "".join(rng.choice(VOUCHER_ALPHABET) for _ in range(10))


def _redeem(c: _Community, reward: Reward, holder: User, at: dt.datetime, handed: bool) -> bool:
    if ledger.balance_of(holder) < reward.price or reward.stock < 1:
        return False
    voucher = _voucher(c.rng)
    fields = {
        "reward": reward, "holder": holder, "redeemed_by": holder, "points": reward.price,
        "voucher": voucher, "area_path": reward.area_path,
        "status": RedemptionStatus.HANDED_OVER if handed else RedemptionStatus.ISSUED,
        "handed_over_by": c.reviewer if handed else None,
        "handed_over_at": at + dt.timedelta(days=1) if handed else None,
    }  # fmt: skip
    if Redemption._meta.get_field("entry").null:  # the entry posted after the row
        redemption = Redemption.objects.create(**fields)
        source = f"redemption:{redemption.pk}"
    else:  # the row needs its entry first: the voucher names the cause
        redemption, source = None, f"redemption:{voucher}"
    entry, _ = ledger.entry_post(
        holder=holder, kind=EntryKind.REDEMPTION, points=-reward.price, source=source,
        reason=f"reward:{reward.pk}", created_by=holder, at=at,
    )  # fmt: skip
    if redemption is None:
        Redemption.objects.create(entry=entry, **fields)
    else:
        Redemption.objects.filter(pk=redemption.pk).update(entry=entry)
    Reward.objects.filter(pk=reward.pk).update(stock=reward.stock - 1)
    reward.stock -= 1
    return True


def _rewards_and_redemptions(c: _Community, now: dt.datetime) -> int:
    community = c.loaded.community
    rewards = [
        Reward.objects.create(
            community=community,
            area_path=community.path,
            name=name,
            description=text,
            price=price,
            stock=stock,
        )
        for name, text, price, stock in REWARDS
    ]
    by_name = {r.name: r for r in rewards}
    made = 0
    volunteer, member = _login(c.slug, "volunteer"), _login(c.slug, "partymember")
    for holder, name, handed, days in (
        (volunteer, "理发券", False, 2),
        (member, "环保购物袋", True, 6),
        (member, "理发券", True, 12),
    ):
        if holder is not None and _redeem(
            c, by_name[name], holder, now - dt.timedelta(days=days), handed
        ):
            made += 1
    return made


def _adjustment(c: _Community, now: dt.datetime) -> None:
    """A grid leader proposes, the secretary approves: +8 points for a volunteer who
    helped at an event without signing up."""
    holder = _login(c.slug, "volunteer") or c.participants[0]
    adjustment = Adjustment.objects.create(
        holder=holder, points=8, hours=Decimal("1.5"),
        reason="活动当天临时帮忙搬运物资，未在系统报名，经网格长核实补记。",
        status=AdjustmentStatus.APPROVED, proposed_by=c.leader, decided_by=c.secretary,
        decided_at=now - dt.timedelta(days=9), area_path=c.grid.path,
    )  # fmt: skip
    entry, _ = ledger.entry_post(
        holder=holder, kind=EntryKind.ADJUSTMENT, points=8, hours=Decimal("1.5"),
        source=f"adjustment:{adjustment.pk}", reason=adjustment.reason, created_by=c.leader,
        approved_by=c.secretary, at=now - dt.timedelta(days=9),
    )  # fmt: skip
    Adjustment.objects.filter(pk=adjustment.pk).update(entry=entry)
    # And one still waiting for approval.
    Adjustment.objects.create(
        holder=c.participants[1], points=5, reason="协助入户走访一次，待书记审批。",
        proposed_by=c.leader, area_path=c.grid.path,
    )  # fmt: skip


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    for loaded in communities:
        slug = loaded.plan.spec.slug
        rng = random.Random(f"{seed}:points:{slug}")
        secretary = _login(slug, "secretary")
        reviewer = _login(slug, "gridworker")
        leader = _login(slug, "gridleader") or secretary
        if secretary is None or reviewer is None or leader is None:
            say(f"{loaded.plan.spec.name}: no demo logins, no points data")
            continue
        c = _Community(
            loaded=loaded, rng=rng, slug=slug, secretary=secretary, reviewer=reviewer,
            leader=leader, grid=_grid_of(reviewer, loaded.community),
            participants=_participants(loaded, slug, rng),
        )  # fmt: skip
        activities = _activities(c, now)
        counts = _signups_and_proofs(c, activities, now)
        rated = _rated_orders(c)
        _adjustment(c, now)
        redeemed = _rewards_and_redemptions(c, now)
        audit_record(
            actor=None,
            action="demo.points",
            obj=loaded.community,
            area_path=loaded.community.path,
            fields=["activities", "signups", "proofs", "ledger", "rewards"],
            purpose=(
                f"demo data: {len(activities)} activities, {counts['signups']} sign-ups, "
                f"{counts['proofs']} proofs, {rated} rated orders awarded, {redeemed} vouchers"
            ),
        )
        say(
            f"{loaded.plan.spec.name}: {len(activities)} activities, {counts['signups']} "
            f"sign-ups, {counts['proofs']} proofs, {counts['awarded']} points for activities, "
            f"{rated} rated orders awarded, {len(REWARDS)} rewards, {redeemed} vouchers"
        )
    say(f"Points: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' points data, foreign keys first (PROTECT): vouchers and
    adjustments, then the ledger (reversals before what they reverse) and the accounts,
    proofs (and their files), sign-ups, activities and rewards."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    if not paths:
        return
    demo_holders = User.objects.filter(is_demo=True)
    Redemption.objects.filter(
        Q(holder__in=demo_holders) | Q(pk__in=Redemption.objects.within(*paths))
    ).delete()
    Adjustment.objects.filter(
        Q(holder__in=demo_holders) | Q(pk__in=Adjustment.objects.within(*paths))
    ).delete()
    entries = LedgerEntry.objects.filter(
        Q(holder__in=demo_holders) | Q(pk__in=LedgerEntry.objects.within(*paths))
    )
    count = entries.count()
    holders = set(entries.values_list("holder_id", flat=True))
    entries.exclude(reverses=None).delete()
    entries.delete()
    # Their balances go with their entries (balance = sum); holders with entries elsewhere
    # keep an account of what is left.
    PointsAccount.objects.filter(Q(holder__in=demo_holders) | Q(holder_id__in=holders)).delete()
    for holder in User.objects.filter(pk__in=holders, is_demo=False):
        left = ledger.sum_of(holder)
        if left:
            PointsAccount.objects.create(holder=holder, balance=left)
    proofs = Proof.objects.within(*paths)
    for relative in proofs.exclude(file="").values_list("file", flat=True):
        # After the commit: a rolled-back reset keeps its rows, so it must keep their files.
        transaction.on_commit(partial(files.remove_stored, relative))
    proofs.delete()
    Signup.objects.within(*paths).delete()
    Activity.objects.within(*paths).delete()
    Reward.objects.within(*paths).delete()
    say(f"Removed the demo's points data ({count:,} ledger entries).")
