"""Workbench pages of sessions (/health/sessions/): create, edit, close, bookings with
masked names, doses and attendance recorded from the session page."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.health import sessions
from gongzhi.health.models import Booking, TestingSession, Vaccination
from gongzhi.health.tests.session_factories import proxy_of, resident_of, session

FMT = "%Y-%m-%dT%H:%M"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(area=None, **extra):
    starts = clock.now() + dt.timedelta(days=2)
    data = {
        "kind": "vaccination", "place": "玉岭社区卫生服务站",
        "starts_at": starts.strftime(FMT), "ends_at": (starts + dt.timedelta(hours=3)).strftime(FMT),
        "capacity": "50", "vaccine": "新冠疫苗",
    }  # fmt: skip
    if area is not None:
        data["area"] = str(area.pk)
    data.update(extra)
    return data


def test_the_secretary_creates_a_session(world):
    response = _client(world.secretary).post(
        reverse("health_sessions:create"), _form(world.community_a)
    )
    s = TestingSession.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "health_sessions:detail", args=[s.pk]
    )


def test_an_end_before_the_start_is_shown_on_its_field_in_chinese(world):
    starts = clock.now() + dt.timedelta(days=2)
    response = _client(world.secretary).post(
        reverse("health_sessions:create"),
        _form(world.community_a, ends_at=(starts - dt.timedelta(hours=1)).strftime(FMT)),
    )
    assert response.status_code == 200
    assert "ends_at" in response.context["form"].errors
    assert "结束" in response.context["form"].errors["ends_at"][0]
    assert not TestingSession.objects.exists()


def test_capacity_zero_is_shown_on_its_field(world):
    response = _client(world.secretary).post(
        reverse("health_sessions:create"), _form(world.community_a, capacity="0")
    )
    assert "capacity" in response.context["form"].errors
    assert not TestingSession.objects.exists()


def test_the_list_shows_the_users_sessions_only(world):
    session(world.community_a, place="玉岭采样点")
    session(world.community_b, place="江边采样点")
    body = _client(world.grid_worker_a).get(reverse("health_sessions:list")).content.decode()
    assert "玉岭采样点" in body and "江边采样点" not in body


def test_edit_and_close(world):
    s = session(world.community_a)
    client = _client(world.secretary)
    data = _form(capacity="80", place="新地点")
    response = client.post(reverse("health_sessions:edit", args=[s.pk]), data)
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.capacity, s.place) == (80, "新地点")
    client.post(reverse("health_sessions:close", args=[s.pk]))
    assert TestingSession.objects.get().closed_at is not None


def test_a_grid_worker_sees_a_community_session_without_edit_or_close(world):
    s = session(world.community_a)
    client = _client(world.grid_worker_a)
    body = client.get(reverse("health_sessions:detail", args=[s.pk])).content.decode()
    assert reverse("health_sessions:edit", args=[s.pk]) not in body
    assert client.post(reverse("health_sessions:close", args=[s.pk])).status_code == 403


def test_bookings_show_masked_names_the_proxy_label_and_the_dose_button(world):
    s = session(world.community_a, in_hours=1)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    sessions.booking_create(actor=proxy_of(world.person_a2), session=s, person=world.person_a2)
    body = (
        _client(world.secretary)
        .get(reverse("health_sessions:detail", args=[s.pk]))
        .content.decode()
    )
    assert "张*明" in body and "张晓明" not in body
    assert "李*英" in body and "代预约" in body
    assert "记录第 1 剂" in body


def test_a_grid_worker_sees_the_bookings_of_their_grid_only(world):
    s = session(world.community_a, in_hours=1)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)  # grid A1
    sessions.booking_create(actor=resident_of(world.person_a2), session=s)  # grid A2
    body = (
        _client(world.grid_worker_b)
        .get(reverse("health_sessions:detail", args=[s.pk]))
        .content.decode()
    )
    assert "李*英" in body and "张*明" not in body


def test_recording_a_dose_from_the_session_page(world):
    s = session(world.community_a, in_hours=1)
    sessions.booking_create(actor=resident_of(world.person_a1), session=s)
    with clock.freeze(s.starts_at + dt.timedelta(minutes=10)):
        response = _client(world.by_role[Role.DOCTOR]).post(
            reverse("health_sessions:record", args=[s.pk]), {"person": world.person_a1.pk}
        )
    assert response.status_code == 302
    assert Vaccination.objects.get().person == world.person_a1
    assert Booking.objects.get().status == "attended"


def test_a_dose_for_someone_not_booked_says_so_and_records_nothing(world):
    s = session(world.community_a, in_hours=1)
    with clock.freeze(s.starts_at):
        response = _client(world.secretary).post(
            reverse("health_sessions:record", args=[s.pk]),
            {"person": world.person_a1.pk},
            follow=True,
        )
    assert "没有预约" in response.content.decode()
    assert not Vaccination.objects.exists()


def test_another_communitys_session_is_not_found(world):
    s = session(world.community_b)
    assert (
        _client(world.secretary).get(reverse("health_sessions:detail", args=[s.pk])).status_code
        == 404
    )


def test_roles_without_health_record_do_not_see_the_pages(world):
    client = _client(world.by_role[Role.POLICE])
    assert client.get(reverse("health_sessions:list")).status_code == 404
