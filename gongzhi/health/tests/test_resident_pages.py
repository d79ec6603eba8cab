"""Residents' health pages on /m/health/: the hub, my code, my record, booking a session
(for oneself and, acting, for a parent), at phone width and in elder mode."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from gongzhi.accounts import acting
from gongzhi.core import clock
from gongzhi.health import codes, sessions
from gongzhi.health.models import Booking, Sample
from gongzhi.health.services import vaccination_record
from gongzhi.health.tests.session_factories import proxy_of, resident_of, session


def _client(user, acting_for=None) -> Client:
    client = Client()
    client.force_login(user)
    if acting_for is not None:
        s = client.session
        s[acting.SESSION_KEY] = acting_for.pk
        s.save()
    return client


def test_the_hub_shows_its_tiles_and_the_portal_links_to_it(world):
    me = resident_of(world.person_a1)
    client = _client(me)
    body = client.get(reverse("health_m:hub")).content.decode()
    for name in ("health_m:code", "health_m:record", "health_m:sessions"):
        assert reverse(name) in body
    assert reverse("health_m:hub") in client.get(reverse("portal:home")).content.decode()


def test_the_hub_skips_links_that_do_not_resolve(world, monkeypatch):
    from gongzhi.health import portal_hub

    monkeypatch.setattr(
        portal_hub, "HUB_LINKS", [*portal_hub.HUB_LINKS, ("nowhere:page", "无处", "")]
    )
    response = _client(resident_of(world.person_a1)).get(reverse("health_m:hub"))
    assert response.status_code == 200 and "无处" not in response.content.decode()


def test_signing_in_is_needed(world):
    response = Client().get(reverse("health_m:record"))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_an_account_without_a_person_is_told_so(world):
    body = _client(world.resident).get(reverse("health_m:record")).content.decode()
    assert "网格员" in body


def test_my_code_is_a_qr_of_my_signed_code(world):
    response = _client(resident_of(world.person_a1)).get(reverse("health_m:code"))
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    code = codes.person_code(world.person_a1.pk)
    assert codes.person_id_from_code(code) == world.person_a1.pk
    assert code not in body  # only as a picture, not as text to copy


def test_acting_for_a_parent_the_code_is_the_parents(world, monkeypatch):
    made = []
    real = codes.person_code
    monkeypatch.setattr(codes, "person_code", lambda pk: made.append(pk) or real(pk))
    child = proxy_of(world.person_a2)
    _client(child, acting_for=world.person_a2).get(reverse("health_m:code"))
    assert made == [world.person_a2.pk]


def test_my_record_shows_doses_tests_with_results_and_bookings(world):
    me = resident_of(world.person_a1)
    vaccination_record(
        actor=None,
        person=world.person_a1,
        dose=1,
        vaccine="灭活疫苗甲",
        vaccinated_on=dt.date(2021, 4, 1),
    )
    Sample.objects.create(
        person=world.person_a1, area_path=world.person_a1.area_path, kind="pcr",
        sampled_at=clock.now() - dt.timedelta(days=1), result="negative",
        result_at=clock.now() - dt.timedelta(hours=12),
    )  # fmt: skip
    s = session(world.community_a, place="玉岭广场采样点")
    sessions.booking_create(actor=me, session=s)
    body = _client(me).get(reverse("health_m:record")).content.decode()
    assert "灭活疫苗甲" in body and "2021-04-01" in body
    assert "阴性" in body
    assert "玉岭广场采样点" in body


def test_someone_elses_record_is_not_shown(world):
    vaccination_record(
        actor=None,
        person=world.person_a2,
        dose=1,
        vaccine="灭活疫苗乙",
        vaccinated_on=dt.date(2021, 4, 1),
    )
    body = _client(resident_of(world.person_a1)).get(reverse("health_m:record")).content.decode()
    assert "灭活疫苗乙" not in body


def test_booking_lists_open_future_sessions_of_my_community_with_places(world):
    mine = session(world.community_a, place="本社区采样点")
    session(world.community_b, place="别的社区采样点")
    full = session(world.community_a, place="满员采样点", capacity=1)
    sessions.booking_create(actor=resident_of(world.person_a2), session=full)
    closed = session(world.community_a, place="已关闭采样点")
    sessions.session_close(actor=None, session=closed)
    body = _client(resident_of(world.person_a1)).get(reverse("health_m:sessions")).content.decode()
    assert "本社区采样点" in body and reverse("health_m:book", args=[mine.pk]) in body
    for hidden in ("别的社区采样点", "满员采样点", "已关闭采样点"):
        assert hidden not in body


def test_a_resident_books_and_cancels(world):
    me = resident_of(world.person_a1)
    s = session(world.community_a)
    client = _client(me)
    response = client.post(reverse("health_m:book", args=[s.pk]))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.person, booking.by_proxy) == (world.person_a1, False)
    body = client.get(reverse("health_m:sessions")).content.decode()
    assert reverse("health_m:cancel", args=[booking.pk]) in body
    client.post(reverse("health_m:cancel", args=[booking.pk]))
    assert Booking.objects.get().status == "cancelled"


def test_booking_twice_says_why_in_chinese(world):
    me = resident_of(world.person_a1)
    s = session(world.community_a)
    client = _client(me)
    client.post(reverse("health_m:book", args=[s.pk]))
    body = client.post(reverse("health_m:book", args=[s.pk]), follow=True).content.decode()
    assert "已预约" in body
    assert Booking.objects.count() == 1


def test_acting_for_a_parent_books_for_the_parent_by_proxy(world):
    child = proxy_of(world.person_a2)
    s = session(world.community_a)
    _client(child, acting_for=world.person_a2).post(reverse("health_m:book", args=[s.pk]))
    booking = Booking.objects.get()
    assert (booking.person, booking.by_proxy, booking.booked_by) == (world.person_a2, True, child)


def test_another_communitys_session_is_not_found(world):
    s = session(world.community_b)
    response = _client(resident_of(world.person_a1)).post(reverse("health_m:book", args=[s.pk]))
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_cancelling_someone_elses_booking_is_not_found(world):
    booking = sessions.booking_create(
        actor=resident_of(world.person_a2), session=session(world.community_a)
    )
    response = _client(resident_of(world.person_a1)).post(
        reverse("health_m:cancel", args=[booking.pk])
    )
    assert response.status_code == 404
    assert Booking.objects.get().status == "booked"


def test_elder_mode_and_phone_width(world):
    me = resident_of(world.person_a1)
    me.elder_mode = True
    me.save()
    client = _client(me)
    for name in ("health_m:hub", "health_m:code", "health_m:record", "health_m:sessions"):
        body = client.get(reverse(name)).content.decode()
        assert 'class="portal elder"' in body and 'name="viewport"' in body, name
