"""Reads of notices: the staff's scoped lists, a resident's notices, receipts and the
unread list.

Staff (notice.publish) see a notice when one of its targets lies in their area or above
it (`NoticeTarget.objects.restrict(..., overlapping=True)`). A resident sees the live
notices whose targets hold their household (their building's path lies within one).
Who has not read a notice is counted and listed only among the persons of the viewer's
own area, with names masked as the register masks them outside its own pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from gongzhi.accounts.policy import Perm
from gongzhi.core import clock, scope
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_name
from gongzhi.notices.models import Notice, NoticeReceipt, NoticeTarget
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, HouseholdStatus, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

TARGET_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING)
ELDER_AGE = 65


# --- staff ------------------------------------------------------------------------------


def notice_list_for(*, user: Viewer) -> QuerySet[Notice]:
    """Every notice (archive included: expired and withdrawn) that reaches the user's area."""
    reaching = NoticeTarget.objects.restrict(user, Perm.NOTICE_PUBLISH, overlapping=True)
    return (
        Notice.objects.filter(pk__in=reaching.values("notice_id"))
        .prefetch_related("targets__area")
        .order_by("-pinned", "-published_at", "-id")
    )


def notice_get_for(*, user: Viewer, notice_id: Any) -> Notice:
    """A notice the user sees as staff; NotFound when missing or out of their area."""
    return get_by_id(notice_list_for(user=user), notice_id)


def target_choices_for(*, user: Viewer) -> list[Area]:
    """The areas the user may address a notice to: open communities, grids and buildings
    in their area, in tree order."""
    return list(
        Area.objects.restrict(user, Perm.NOTICE_PUBLISH)
        .filter(kind__in=TARGET_KINDS, closed_at__isnull=True)
        .select_related("compound")
        .order_by("path")
    )


def live_q(now: dt.datetime) -> Q:
    """Published, not withdrawn, not expired at `now`."""
    return Q(published_at__lte=now, withdrawn_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def notice_state(notice: Notice, now: dt.datetime | None = None) -> str:
    """ "withdrawn", "scheduled", "expired" or "live"."""
    now = now or clock.now()
    if notice.withdrawn_at is not None:
        return "withdrawn"
    if notice.published_at > now:
        return "scheduled"
    if notice.expires_at is not None and notice.expires_at <= now:
        return "expired"
    return "live"


# --- the audience -------------------------------------------------------------------------


def target_paths(notice: Notice) -> list[str]:
    return [t.path for t in notice.targets.all()]


def audience_persons(notice: Notice, *, among: Any = None) -> QuerySet[Person]:
    """The persons living in the targeted households (moved-out and deceased excluded),
    `among` the rows of a scoped queryset of persons when given."""
    paths = target_paths(notice)
    if not paths:
        return Person.objects.none()
    base = Person.objects.all() if among is None else among
    return base.within(*paths).filter(
        residency__in=PRESENT_RESIDENCY, household__status=HouseholdStatus.ACTIVE
    )


def elder_birth_cutoff(today: dt.date) -> dt.date:
    """Persons born on or before this day are ELDER_AGE or older on `today`."""
    try:
        return today.replace(year=today.year - ELDER_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ELDER_AGE, day=28)


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class ReceiptCounts:
    audience: int
    read: int
    by_proxy: int

    @property
    def unread(self) -> int:
        return self.audience - self.read


def _scoped_audience(user: Viewer, notice: Notice) -> QuerySet[Person]:
    return audience_persons(notice, among=Person.objects.restrict(user, Perm.NOTICE_PUBLISH))


def receipt_counts_for(*, user: Viewer, notice: Notice) -> ReceiptCounts:
    """How many persons of the user's area the notice is for, have read it, by proxy."""
    audience = _scoped_audience(user, notice)
    receipts = NoticeReceipt.objects.filter(notice=notice, person__in=audience.values("pk"))
    counted = receipts.aggregate(read=Count("pk"), proxy=Count("pk", filter=Q(by_proxy=True)))
    return ReceiptCounts(
        audience=audience.count(), read=counted["read"] or 0, by_proxy=counted["proxy"] or 0
    )


@dataclass(frozen=True)
class UnreadRow:
    building: str
    dwelling: str
    name: str  # masked
    elder: bool
    reminded: bool


def unread_for(*, user: Viewer, notice: Notice) -> list[UnreadRow]:
    """Who in the user's area has not read the notice, by building and dwelling; names
    masked (`张*丰`), never in plain text."""
    read = NoticeReceipt.objects.filter(notice=notice, person=OuterRef("pk"))
    reminded = notice.reminders.filter(person=OuterRef("pk"))
    persons = (
        _scoped_audience(user, notice)
        .annotate(has_read=Exists(read), reminded=Exists(reminded))
        .filter(has_read=False)
        .select_related("household__building")
        .order_by("area_path", "household__unit", "household__room", "birth_date")
    )
    cutoff = elder_birth_cutoff(clock.today())
    rows = []
    for person in persons.iterator(chunk_size=500):
        household = person.household
        dwelling = "-".join(p for p in (household.unit, household.room) if p)
        rows.append(
            UnreadRow(
                building=household.building.name,
                dwelling=dwelling,
                name=mask_name(str(person.name)),
                elder=person.birth_date <= cutoff,
                reminded=person.reminded,
            )
        )
    return rows


# --- residents -------------------------------------------------------------------------------


def _reaching_person(person: Person) -> QuerySet[NoticeTarget]:
    """Targets on the person's building or any node above it."""
    return NoticeTarget.objects.filter(path__in=scope.ancestors(person.area_path, inclusive=True))


def resident_notices_for(*, person: Person | None) -> QuerySet[Notice]:
    """The live notices for the person's household, pinned first, then newest; each
    with `is_read` (has the person read it)."""
    if person is None:
        return Notice.objects.none()
    read = NoticeReceipt.objects.filter(notice=OuterRef("pk"), person=person)
    return (
        Notice.objects.filter(live_q(clock.now()))
        .filter(pk__in=_reaching_person(person).values("notice_id"))
        .annotate(is_read=Exists(read))
        .order_by("-pinned", "-published_at", "-id")
    )


def resident_notice_get(*, person: Person | None, notice_id: Any) -> Notice:
    """One live notice for the person; NotFound when it is not (or no longer) theirs."""
    return get_by_id(resident_notices_for(person=person).prefetch_related("attachments"), notice_id)


def unread_count_for(*, person: Person | None) -> int:
    # `is_read` is annotated by resident_notices_for (the stubs cannot see annotations).
    return resident_notices_for(person=person).filter(is_read=False).count()  # type: ignore[misc]
