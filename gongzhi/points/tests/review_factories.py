"""Activities, sign-ups and proofs for the review and ledger tests, written straight through
the models (the sign-up and submission services live in another part of the module)."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from decimal import Decimal
from typing import Any

from gongzhi.core import clock
from gongzhi.points.models import Activity, ActivityStatus, Proof, ProofKind, Signup

_n = itertools.count(1)


def activity(world: Any, *, area: Any = None, points: int = 20, hours: str = "2.0", **extra: Any):
    area = area or world.grid_a1
    now = clock.now()
    reviewers = extra.pop("reviewers", ())
    found = Activity.objects.create(
        area=area,
        area_path=area.path,
        kind="event",
        title=extra.pop("title", f"清扫楼道 {next(_n)}"),
        starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=1),
        proof_kind=ProofKind.PHOTO,
        points=points,
        hours=Decimal(hours),
        status=ActivityStatus.PUBLISHED,
        checkin_token=secrets.token_urlsafe(32),
        created_by=extra.pop("created_by", world.secretary),
        **extra,
    )
    if reviewers:
        found.reviewers.set(reviewers)
    return found


def signup(act: Activity, participant: Any, *, by: Any = None) -> Signup:
    return Signup.objects.create(
        activity=act, participant=participant, signed_up_by=by or participant,
        area_path=act.area_path,
    )  # fmt: skip


def proof(sign: Signup, *, by: Any = None, flags: list | None = None, **extra: Any) -> Proof:
    return Proof.objects.create(
        signup=sign,
        kind=extra.pop("kind", ProofKind.PHOTO),
        text=extra.pop("text", "打扫了一楼到三楼"),
        flags=flags or [],
        submitted_by=by or sign.participant,
        area_path=sign.area_path,
        **extra,
    )


def submitted(world: Any, participant: Any = None, **extra: Any) -> Proof:
    """A proof waiting for review, of the volunteer unless told, on grid A1."""
    from gongzhi.accounts.models import Role

    participant = participant or world.by_role[Role.VOLUNTEER]
    act = activity(world, **extra)
    return proof(signup(act, participant))
