"""Reads of venues and check-ins, and contact tracing: scoped through `accounts.access`.

- Staff with `venue.manage` list their area's venues (`venue_list_for`), one by id through
  `venue_get_for` (missing and out of scope are both 404).
- Tracers (`health.trace`) see who checked in at a venue of their area in a window
  (`venue_visits`), and everyone who checked in at the same venue within an hour of a
  given person (`contacts_of`: one query, the check-ins joined to themselves by venue and
  time). Names are masked; a visitor known only by a confirmed phone shows as such.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.masking import mask_name
from gongzhi.health.models import CheckIn, Venue
from gongzhi.health.venues import TRACE_OVERLAP, Window
from gongzhi.registry.models import Person


def venue_list_for(*, user: Any, perm: Perm = Perm.VENUE_MANAGE) -> QuerySet[Venue]:
    return Venue.objects.restrict(user, perm).select_related("area").order_by("area_path", "name")


def venue_get_for(*, user: Any, venue_id: Any, perm: Perm = Perm.VENUE_MANAGE) -> Venue:
    try:
        pk = int(venue_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = venue_list_for(user=user, perm=perm).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def venue_counts(venue: Venue) -> dict[str, int]:
    """Check-ins today and in the last 14 days (numbers only)."""
    today_start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return CheckIn.objects.filter(venue=venue).aggregate(
        today=Count("id", filter=Q(at__gte=today_start)),
        total=Count("id"),
    )


@dataclass(frozen=True)
class Visit:
    at: dt.datetime
    who: str  # masked name, or "confirmed phone"
    venue: str = ""
    with_at: dt.datetime | None = None  # the traced person's own check-in nearby


def _who(checkin: CheckIn) -> str:
    person = checkin.person
    if person is not None:
        return mask_name(person.name)
    if checkin.user_id is not None:
        return _("account #%(n)d (not in the register)") % {"n": checkin.user_id}
    return _("visitor by confirmed phone (not in the register)")


def venue_visits(*, user: Any, venue: Venue, window: Window) -> list[Visit]:
    """Who checked in at `venue` within the window, oldest first (masked)."""
    rows = (
        CheckIn.objects.restrict(user, Perm.CONTACT_TRACE)
        .filter(venue=venue, at__gte=window.start, at__lt=window.end)
        .select_related("person")
        .only("at", "user_id", "person__name")
        .order_by("at", "pk")
    )
    return [Visit(at=c.at, who=_who(c)) for c in rows]


def _of_person(person: Person) -> Q:
    """The person's check-ins: as a register person, or by their confirmed phone."""
    q = Q(person_id=person.pk)
    if person.phone_index:
        q |= Q(phone_index=person.phone_index)
    return q


def contacts_of(*, user: Any, person: Person, window: Window, limit: int = 1000) -> list[Visit]:
    """Everyone who checked in at a venue within TRACE_OVERLAP of one of `person`'s own
    check-ins in the window, both within the tracer's area: one query (the check-ins
    joined to themselves on the venue and the time), newest first, masked."""
    scoped = CheckIn.objects.restrict(user, Perm.CONTACT_TRACE)
    theirs = scoped.filter(_of_person(person), at__gte=window.start, at__lt=window.end)
    nearby = theirs.filter(
        venue_id=OuterRef("venue_id"),
        at__gte=OuterRef("at") - TRACE_OVERLAP,
        at__lte=OuterRef("at") + TRACE_OVERLAP,
    )
    rows = (
        scoped.filter(
            at__gte=window.start - TRACE_OVERLAP,
            at__lt=window.end + TRACE_OVERLAP,
        )
        .exclude(_of_person(person))
        .filter(Exists(nearby))
        .annotate(with_at=Subquery(nearby.order_by("at").values("at")[:1]))
        .select_related("person", "venue")
        .only("at", "user_id", "person__name", "venue__name")
        .order_by("-at", "-pk")[:limit]
    )
    return [Visit(at=c.at, who=_who(c), venue=c.venue.name, with_at=c.with_at) for c in rows]
