"""The demo's sessions: past and upcoming in each community, with bookings, some attended."""

from types import SimpleNamespace

from gongzhi.core import clock
from gongzhi.demo import health_sessions
from gongzhi.health.models import Booking, TestingSession


def _loaded(world):
    spec = SimpleNamespace(slug="yuling", name="玉岭社区")
    return [SimpleNamespace(community=world.community_a, plan=SimpleNamespace(spec=spec))]


def test_the_demo_makes_past_and_upcoming_sessions_with_bookings(world):
    said = []
    health_sessions.load(_loaded(world), seed=1, say=said.append)
    now = clock.now()
    sessions = TestingSession.objects.filter(community=world.community_a)
    assert sessions.filter(ends_at__lt=now).count() == 2
    assert sessions.filter(starts_at__gt=now, closed_at=None).count() == 2
    bookings = Booking.objects.filter(session__in=sessions)
    assert bookings.filter(status="attended").exists()
    assert bookings.filter(status="booked", session__starts_at__gt=now).exists()
    assert not bookings.filter(retain_until=None).exists()
    for s in sessions:
        assert s.bookings.count() <= s.capacity
