"""Drill pages: the detail shows the QR, timings and results; the QR's page checks in once,
refuses someone not in the drill and says when the drill is not running."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.emergency import drills

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.UTC)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def drill(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    drill = drills.drill_schedule(
        actor=staff, area=world.community_a, kind="fire", title="消防疏散演练", scheduled_at=AT
    )
    drills.drill_participants_add(
        actor=staff, drill=drill, person_ids=[world.person_a1.pk], user_ids=[world.grid_worker_a.pk],
        task="清点三楼住户",
    )  # fmt: skip
    world.resident.person = world.person_a1
    world.resident.save()
    return drill


def _checkin_url(drill):
    return reverse("drill_m:checkin", kwargs={"code": drill.checkin_code})


def test_the_drill_page_shows_the_assembly_qr_and_the_masked_participants(world, drill):
    response = _client(world.secretary).get(reverse("emergency_drills:detail", args=[drill.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="assembly-qr"' in body and "<svg" in body and drill.checkin_code in body
    assert world.person_a1.name not in body and "清点三楼住户" in body


def test_scheduling_from_the_form(world):
    client = _client(world.secretary)
    response = client.post(
        reverse("emergency_drills:create"),
        {"area": world.community_a.pk, "kind": "earthquake", "title": "地震避险演练",
         "scheduled_at": "2026-06-01T09:30"},
    )  # fmt: skip
    assert response.status_code == 302
    assert drills.drills_visible_to(world.secretary).get().title == "地震避险演练"


def test_a_scheduled_drill_says_check_in_is_not_open(world, drill):
    body = _client(world.resident).get(_checkin_url(drill)).content.decode()
    assert "has not started yet" in body or "还没有开始" in body


def test_a_participant_checks_in_once_then_sees_when(world, drill):
    drills.drill_start(actor=None, drill=drill)
    client = _client(world.resident)
    with clock.freeze(AT + dt.timedelta(minutes=4)):
        first = client.post(_checkin_url(drill)).content.decode()
    second = client.post(_checkin_url(drill)).content.decode()
    assert "alert-success" in first
    assert "alert-info" in second and "17:04:00" in second  # Asia/Shanghai
    row = drill.participants.get(person=world.person_a1)
    assert row.checked_in_at == AT + dt.timedelta(minutes=4)


def test_someone_not_in_the_drill_is_refused_clearly(world, drill):
    drills.drill_start(actor=None, drill=drill)
    response = _client(world.by_role[Role.POLICE]).post(_checkin_url(drill))
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    assert not drill.participants.filter(checked_in_at__isnull=False).exists()


def test_an_unknown_code_is_404_and_anonymous_is_sent_to_sign_in(world, drill):
    assert Client().get(_checkin_url(drill)).status_code == 302
    assert _client(world.resident).get("/m/drill/nope/").status_code == 404


def test_timings_and_results_on_the_drill_page(world, drill):
    with clock.freeze(AT):
        drills.drill_start(actor=None, drill=drill)
    with clock.freeze(AT + dt.timedelta(minutes=2, seconds=5)):
        drills.drill_checkin(actor=world.grid_worker_a, drill=drill)
    row = drill.participants.get(user=world.grid_worker_a)
    client = _client(world.secretary)
    client.post(
        reverse("emergency_drills:record", args=[drill.pk]),
        {"participant": row.pk, "result": "按时到位"},
    )
    body = client.get(reverse("emergency_drills:detail", args=[drill.pk])).content.decode()
    assert "1 / 2" in body and "50%" in body and "2′05″" in body and "按时到位" in body


def test_a_result_for_a_stranger_is_a_message_naming_the_participant(world, drill):
    client = _client(world.secretary)
    response = client.post(
        reverse("emergency_drills:record", args=[drill.pk]), {"participant": 999999, "result": "x"},
        follow=True,
    )  # fmt: skip
    assert "#999999" in response.content.decode()


def test_finishing_from_the_page_writes_the_lesson(world, drill):
    drills.drill_start(actor=None, drill=drill)
    client = _client(world.secretary)
    response = client.post(
        reverse("emergency_drills:finish", args=[drill.pk]),
        {"result": "疏散用时6分钟", "lessons_text": "楼道堆物需清理"},
    )
    assert response.status_code == 302
    lesson = drill.lessons.get()
    page = client.get(reverse("emergency_lessons:detail", args=[lesson.pk])).content.decode()
    assert "楼道堆物需清理" in page
