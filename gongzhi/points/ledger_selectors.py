"""Reads of the ledger: balances, service hours, one holder's entries with their causes in
plain words, and staff's lists of holders in their area (`points.view`).

A holder is in a user's area when their points count there (`ledger.home_path_of`: their
household, else the place of their role) or when an entry of theirs was counted there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.points import ledger
from gongzhi.points.models import Adjustment, EntryKind, HolderKind, LedgerEntry, Signup


def hours_of(
    holder: User, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> Decimal:
    """The holder's service hours: the sum of their entries' hours in [start, end)."""
    rows = LedgerEntry.objects.filter(holder=holder)
    if start is not None:
        rows = rows.filter(at__gte=start)
    if end is not None:
        rows = rows.filter(at__lt=end)
    total = rows.aggregate(total=Sum("hours"))["total"]
    return Decimal(total or 0).quantize(TENTH)


TENTH = Decimal("0.1")


def day_start(day: dt.date, *, next_day: bool = False) -> dt.datetime:
    """Local midnight at the start of `day` (or of the day after: an inclusive end)."""
    if next_day:
        day = day + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


def balance_of(holder: User) -> int:
    return ledger.balance_of(holder)


def entries_of(holder: User) -> QuerySet[LedgerEntry]:
    """The holder's entries, newest first."""
    return LedgerEntry.objects.filter(holder=holder).order_by("-at", "-pk")


@dataclass(frozen=True)
class Line:
    entry: LedgerEntry
    cause: str  # plain words, no personal values


def _ids(entries: list[LedgerEntry], prefix: str) -> dict[int, int]:
    found = {}
    for entry in entries:
        head, _sep, tail = entry.source.partition(":")
        if head == prefix and tail.isdigit():
            found[entry.pk] = int(tail)
    return found


def lines_of(entries: list[LedgerEntry]) -> list[Line]:
    """Each entry with its cause in plain words (a few queries for the whole page)."""
    signups = _ids(entries, "signup")
    titles = dict(
        Signup.objects.filter(pk__in=set(signups.values())).values_list("pk", "activity__title")
    )
    adjustments = _ids(entries, "adjustment")
    reasons = dict(
        Adjustment.objects.filter(pk__in=set(adjustments.values())).values_list("pk", "reason")
    )
    reversed_ids = {e.pk: e.reverses_id for e in entries if e.reverses_id}
    reversed_causes = {
        e.pk: e.source
        for e in LedgerEntry.objects.filter(pk__in=set(reversed_ids.values())).only("source")
    }
    lines = []
    for entry in entries:
        head, _sep, tail = entry.source.partition(":")
        if head == "signup":
            title = titles.get(signups.get(entry.pk, 0), "")
            cause = _("Took part in “%(title)s”") % {"title": title}
        elif head == "order-rated":
            cause = _("A work order you handled was rated well")
        elif head == "order-resolved":
            cause = _("Service hours for a work order you resolved")
        elif head == "redemption":
            cause = _("Exchanged for a reward")
        elif head == "reversal":
            earlier = reversed_causes.get(reversed_ids.get(entry.pk, 0), "")
            cause = _("Correction: an earlier award was withdrawn (%(reason)s)") % {
                "reason": entry.reason or earlier
            }
        elif head == "adjustment":
            cause = _("Adjusted by staff: %(reason)s") % {
                "reason": reasons.get(adjustments.get(entry.pk, 0), "")
            }
        elif head == "expiry":
            year = tail.rpartition(":")[2]
            cause = _("Points earned in %(year)s expired") % {"year": year}
        else:
            cause = str(EntryKind(entry.kind).label) if entry.kind in EntryKind.values else ""
        lines.append(Line(entry=entry, cause=cause))
    return lines


# --- staff: holders in their area ---------------------------------------------------------


def holder_get_for(*, user: User, holder_id: int, perm: Perm = Perm.POINTS_VIEW) -> User:
    """A holder whose points count in the user's area (or were counted there); else NotFound."""
    holder = User.objects.filter(pk=holder_id).select_related("person").first()
    if holder is None:
        raise NotFound()
    home = ledger.home_path_of(holder)
    if home and access.can(user, perm, home):
        return holder
    if LedgerEntry.objects.restrict(user, perm).filter(holder=holder).exists():
        return holder
    raise NotFound()


@dataclass(frozen=True)
class HolderRow:
    holder_id: int
    name: str
    holder_kind: str
    points: int
    hours: Decimal

    @property
    def kind_label(self) -> str:
        return str(HolderKind(self.holder_kind).label) if self.holder_kind else ""


def holders_for(
    *,
    user: User,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    search: str = "",
    holder_kind: str = "",
) -> list[HolderRow]:
    """Per holder in the user's area (`points.view`): points and service hours counted
    there in [start, end), most hours first; `holder_kind` keeps volunteers, party members
    or residents only."""
    rows = LedgerEntry.objects.restrict(user, Perm.POINTS_VIEW)
    if holder_kind in HolderKind.values:
        rows = rows.filter(holder_kind=holder_kind)
    if start is not None:
        rows = rows.filter(at__gte=start)
    if end is not None:
        rows = rows.filter(at__lt=end)
    if search:
        rows = rows.filter(Q(holder__display_name__icontains=search) | Q(holder__username=search))
    grouped = (
        rows.values("holder_id", "holder__display_name", "holder__username", "holder_kind")
        .annotate(points=Sum("points"), hours=Sum("hours"))
        .order_by("-hours", "-points", "holder_id")
    )
    return [
        HolderRow(
            holder_id=g["holder_id"],
            name=g["holder__display_name"] or g["holder__username"],
            holder_kind=g["holder_kind"],
            points=int(g["points"] or 0),
            hours=Decimal(g["hours"] or 0).quantize(TENTH),
        )
        for g in grouped
    ]


def summary_of(holder: User) -> dict[str, Any]:
    return {"balance": balance_of(holder), "hours": hours_of(holder)}
