"""The demo's venues: each community has open venues with check-ins of the last days,
a closed market, and people who shared a place and hour."""

import datetime as dt

from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.health import venues
from gongzhi.health.models import CheckIn
from gongzhi.health.venue_selectors import contacts_of, venue_list_for
from gongzhi.registry.models import Person


def test_each_community_has_venues_with_check_ins(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        found = list(venue_list_for(user=secretary))
        assert len(found) >= 3, slug
        assert any(v.closed_at for v in found) and any(not v.closed_at for v in found), slug
        assert CheckIn.objects.filter(venue__in=found).count() > 100, slug
        assert CheckIn.objects.filter(venue__in=found, person=None).exists(), slug  # phone only


def test_the_trace_finds_contacts_in_the_demo(demo):
    secretary = User.objects.get(username="yuling-secretary")
    now = clock.now()
    window = venues.Window(now - dt.timedelta(days=4), now)
    with_contacts = 0
    mine = CheckIn.objects.restrict(secretary, Perm.CONTACT_TRACE).exclude(person=None)
    person_ids = mine.values_list("person_id", flat=True)[:20]
    for person in Person.objects.filter(pk__in=list(person_ids)):
        if contacts_of(user=secretary, person=person, window=window):
            with_contacts += 1
    assert with_contacts > 0
