"""Flags on a poll's votes that staff should look at — never a change to the result.

After each vote (on commit) the votes of the same poll in the window before it are counted:
many from one device digest, many from one address digest, or many from accounts made
shortly before they voted. Reaching a threshold flags it with its evidence (count,
window, vote ids — the digests' first characters, no personal value). A flag grows with
later votes of the same kind; a reviewed flag that grows is shown again.

Thresholds come from settings (defaults here), e.g. `GONGZHI_POLL_DEVICE_VOTES = 4`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction

from gongzhi.core import clock
from gongzhi.proposals.models import Flag, Vote
from gongzhi.proposals.states import FlagKind

DEFAULTS = {
    "GONGZHI_POLL_WINDOW_SECONDS": 10 * 60,
    "GONGZHI_POLL_DEVICE_VOTES": 4,  # a family may vote for a parent or two on one phone
    "GONGZHI_POLL_ADDRESS_VOTES": 15,  # a building's shared network sends many
    "GONGZHI_POLL_NEW_ACCOUNT_HOURS": 48,
    "GONGZHI_POLL_NEW_ACCOUNT_VOTES": 8,
}
SUBJECT_CHARS = 12


def setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def check_after_vote(vote_id: int) -> list[Flag]:
    """Check the window before one vote; safe to run twice. Returns the flags raised or grown."""
    vote = Vote.objects.filter(pk=vote_id).select_related("poll").first()
    if vote is None:
        return []
    window = dt.timedelta(seconds=setting("GONGZHI_POLL_WINDOW_SECONDS"))
    recent = Vote.objects.filter(poll=vote.poll, at__gt=vote.at - window, at__lte=vote.at)
    found = []
    if vote.device_digest:
        ids = list(recent.filter(device_digest=vote.device_digest).values_list("pk", "at"))
        if len(ids) >= setting("GONGZHI_POLL_DEVICE_VOTES"):
            found.append(_raise(vote, FlagKind.DEVICE, vote.device_digest, ids, window))
    if vote.address_digest:
        ids = list(recent.filter(address_digest=vote.address_digest).values_list("pk", "at"))
        if len(ids) >= setting("GONGZHI_POLL_ADDRESS_VOTES"):
            found.append(_raise(vote, FlagKind.ADDRESS, vote.address_digest, ids, window))
    young = dt.timedelta(hours=setting("GONGZHI_POLL_NEW_ACCOUNT_HOURS"))
    if vote.at - vote.account_created_at < young:
        rows = [
            (pk, at)
            for pk, at, made in recent.values_list("pk", "at", "account_created_at")
            if at - made < young
        ]
        if len(rows) >= setting("GONGZHI_POLL_NEW_ACCOUNT_VOTES"):
            found.append(_raise(vote, FlagKind.NEW_ACCOUNTS, "", rows, window))
    return found


def _raise(
    vote: Vote, kind: str, digest: str, rows: list[tuple[int, dt.datetime]], window: dt.timedelta
) -> Flag:
    subject = digest[:SUBJECT_CHARS]
    with transaction.atomic():
        flag = (
            Flag.objects.select_for_update()
            .filter(poll=vote.poll, kind=kind, subject=subject)
            .first()
        )
        ids = sorted(pk for pk, _at in rows)
        first, last = min(at for _pk, at in rows), max(at for _pk, at in rows)
        if flag is None:
            try:
                with transaction.atomic():
                    return Flag.objects.create(
                        poll=vote.poll, kind=kind, subject=subject, count=len(ids),
                        window_seconds=int(window.total_seconds()), first_at=first,
                        last_at=last, vote_ids=ids, flagged_at=clock.now(),
                        area_path=vote.poll.area_path,
                    )  # fmt: skip
            except IntegrityError:  # another worker flagged it first: grow theirs
                flag = Flag.objects.select_for_update().get(
                    poll=vote.poll, kind=kind, subject=subject
                )
        merged = sorted(set(flag.vote_ids) | set(ids))
        if merged != flag.vote_ids:
            flag.vote_ids, flag.count = merged, len(merged)
            flag.first_at, flag.last_at = min(flag.first_at, first), max(flag.last_at, last)
            flag.flagged_at = clock.now()
            flag.reviewed_at = flag.reviewed_by = None  # grown: to be looked at again
            flag.save()
    return flag
