"""The points ledger's one write path: `entry_post` appends an entry and moves the
holder's balance in the same transaction; everything that awards, redeems, reverses,
expires or adjusts points calls it.

- **Idempotent by cause**: each entry names its cause in `source` (unique). Posting the
  same source again returns the entry already there and changes nothing, so a replayed
  work-order event or a double-clicked approval never credits twice.
- **Never below zero**: the balance moves by one conditional `UPDATE … SET balance =
  balance + n WHERE balance + n >= 0`; on PostgreSQL concurrent posts queue on the
  account's row and each re-checks the condition, on SQLite writers take turns
  (IMMEDIATE transactions), and a database check backs both. A debit that would go below
  zero raises `ValidationError` and writes nothing.
- **Balances are sums**: `PointsAccount.balance` is the sum of the holder's entries;
  tests hold it to `SUM(points)` after any sequence of movements.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import Role, User
from gongzhi.core import clock
from gongzhi.points.models import EntryKind, HolderKind, LedgerEntry, PointsAccount

SOURCE_MAX = 80


def holder_kind_of(user: User) -> str:
    """Party member, volunteer or resident, by the roles the user holds now."""
    held = access.roles(user)
    if Role.PARTY_MEMBER in held:
        return HolderKind.PARTY_MEMBER
    if Role.VOLUNTEER in held:
        return HolderKind.VOLUNTEER
    return HolderKind.RESIDENT


def home_path_of(user: User) -> str:
    """Where the holder's points count in rankings: their own household's place in the
    register, else the place of the role they serve in (the nearest to the leaves)."""
    person = getattr(user, "person", None)
    if person is not None and person.area_path:
        return str(person.area_path)
    paths = [grant.path for grant in access.grants(user)]
    return max(paths, key=len) if paths else ""


@transaction.atomic
def entry_post(
    *,
    holder: User,
    kind: str,
    points: int,
    source: str,
    hours: Decimal | int = 0,
    reason: str = "",
    area_path: str | None = None,
    holder_kind: str | None = None,
    reverses: LedgerEntry | None = None,
    created_by: User | None = None,
    approved_by: User | None = None,
    at: dt.datetime | None = None,
) -> tuple[LedgerEntry, bool]:
    """Append one entry and move the balance; (entry, created). Posting a source already in
    the ledger returns (that entry, False) and changes nothing."""
    if kind not in EntryKind.values:
        raise ValueError(f"unknown ledger entry kind {kind!r}")
    if not source or len(source) > SOURCE_MAX:
        raise ValueError("a ledger entry names its cause in 1-80 characters")
    existing = LedgerEntry.objects.filter(source=source).first()
    if existing is not None:
        return existing, False
    hours = Decimal(hours)
    if points == 0 and hours == 0:
        raise ValueError("a ledger entry moves points or hours")
    PointsAccount.objects.get_or_create(holder=holder)
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                holder=holder,
                kind=kind,
                points=points,
                hours=hours,
                source=source,
                reverses=reverses,
                reason=reason,
                area_path=home_path_of(holder) if area_path is None else area_path,
                holder_kind=holder_kind or holder_kind_of(holder),
                at=at or clock.now(),
                created_by=created_by,
                approved_by=approved_by,
            )
    except IntegrityError:
        # The same cause posted concurrently (unique source), or an entry reversed twice.
        existing = LedgerEntry.objects.filter(source=source).first()
        if existing is None:
            raise
        return existing, False
    if points:
        moved = PointsAccount.objects.filter(holder=holder, balance__gte=-points).update(
            balance=F("balance") + points
        )
        if not moved:
            raise ValidationError(
                {"points": _("Not enough points: the balance may not go below zero.")}
            )
    return entry, True


def entry_reverse(
    *, entry: LedgerEntry, reason: str, actor: User | None, approved_by: User | None = None
) -> tuple[LedgerEntry, bool]:
    """Undo an entry by a new one of the opposite sign (once: a second reversal returns the
    first). Reversing an award already spent is refused: the balance may not go negative."""
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError({"entry": _("A reversal cannot itself be reversed.")})
    return entry_post(
        holder=entry.holder,
        kind=EntryKind.REVERSAL,
        points=-entry.points,
        hours=-entry.hours,
        source=f"reversal:{entry.pk}",
        reverses=entry,
        reason=reason,
        area_path=entry.area_path,
        holder_kind=entry.holder_kind,
        created_by=actor,
        approved_by=approved_by,
    )


def balance_of(holder: User) -> int:
    account = PointsAccount.objects.filter(holder=holder).first()
    return account.balance if account is not None else 0


def sum_of(holder: User) -> int:
    """The balance as the sum of the entries (what `balance_of` must always equal)."""
    total = LedgerEntry.objects.filter(holder=holder).aggregate(total=Sum("points"))["total"]
    return int(total or 0)
