"""The recording pages: one person's test, and the scanning page of a sampling point."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.health import codes
from gongzhi.health.models import Booking, BookingStatus, Sample, TestingSession, WatchEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(world):
    now = clock.now()
    return TestingSession.objects.create(
        community=world.community_a, area_path=world.community_a.path, kind="test",
        place="社区广场", starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3), capacity=100,
    )  # fmt: skip


def signed_in(client, user):
    client.force_login(user)
    return client


def scan_url(session=None):
    if session is None:
        return reverse("health_samples:scan")
    return reverse("health_samples:session_scan", kwargs={"session_id": session.pk})


def test_the_scanning_page_autofocuses_the_code_input(client, world, session):
    response = signed_in(client, world.grid_worker_a).get(scan_url(session))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="scan-code"' in body and "autofocus" in body
    assert 'id="scan-count">0<' in body


def test_a_scan_then_a_tube_records_one_sample_masked(client, world, session):
    signed_in(client, world.grid_worker_a)
    code = codes.person_code(world.person_a1.pk)
    Booking.objects.create(
        session=session, person=world.person_a1, area_path=world.person_a1.area_path
    )
    first = client.post(scan_url(session), {"code": code, "kind": "pcr"}, HTTP_HX_REQUEST="true")
    body = first.content.decode()
    assert 'id="scan-tube"' in body and "张*明" in body
    assert world.person_a1.name not in body
    assert world.person_a1.id_number.reveal() not in body
    assert not Sample.objects.exists()
    second = client.post(
        scan_url(session), {"code": code, "kind": "pcr", "tube": "T0001"}, HTTP_HX_REQUEST="true"
    )
    body = second.content.decode()
    assert 'id="scan-ok"' in body and 'id="scan-count">1<' in body
    assert "<html" not in body  # the panel only
    sample = Sample.objects.get()
    assert sample.session == session and sample.tube_code == "T0001"
    assert Booking.objects.get().status == BookingStatus.ATTENDED


def test_the_same_person_scanned_again_is_said_and_not_doubled(client, world, session):
    signed_in(client, world.grid_worker_a)
    code = codes.person_code(world.person_a1.pk)
    client.post(scan_url(session), {"code": code, "kind": "pcr", "tube": "T0001"})
    again = client.post(scan_url(session), {"code": code, "kind": "pcr"}, HTTP_HX_REQUEST="true")
    body = again.content.decode()
    assert 'id="scan-errors"' in body and "刚刚已采样" in body
    assert 'id="scan-tube"' not in body
    assert Sample.objects.count() == 1


def test_a_forged_code_is_refused_in_chinese(client, world):
    signed_in(client, world.grid_worker_a)
    response = client.post(scan_url(), {"code": "p1:forged", "kind": "pcr"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "不是本平台的居民码" in body or "This is not a resident" in body
    assert not Sample.objects.exists()


def test_a_resident_of_another_area_is_refused(client, world):
    signed_in(client, world.grid_worker_a)
    code = codes.person_code(world.person_a2.pk)
    body = client.post(scan_url(), {"code": code, "kind": "pcr", "tube": "T1"}).content.decode()
    assert 'id="scan-errors"' in body
    assert world.person_a2.name not in body
    assert not Sample.objects.exists()


def test_a_used_tube_keeps_the_resident_and_asks_for_another(client, world):
    signed_in(client, world.by_role[Role.SECRETARY])
    client.post(
        scan_url(), {"code": codes.person_code(world.person_a1.pk), "kind": "pcr", "tube": "T1X1"}
    )
    code = codes.person_code(world.person_a2.pk)
    body = client.post(scan_url(), {"code": code, "kind": "pcr", "tube": "T1X1"}).content.decode()
    assert 'id="scan-errors"' in body and 'id="scan-tube"' in body
    assert Sample.objects.count() == 1


def test_an_antigen_scan_with_a_positive_result_opens_a_watch_entry(client, world):
    signed_in(client, world.by_role[Role.DOCTOR])
    code = codes.person_code(world.person_a1.pk)
    client.post(scan_url(), {"code": code, "kind": "antigen", "result": "positive"})
    assert Sample.objects.get().result == "positive"
    assert WatchEntry.objects.filter(person=world.person_a1).exists()


def test_a_vaccination_session_has_no_scanning_page(client, world, session):
    session.kind = "vaccination"
    session.save()
    assert signed_in(client, world.grid_worker_a).get(scan_url(session)).status_code == 404


def test_record_one_person_found_by_search_masked(client, world):
    signed_in(client, world.grid_worker_a)
    found = client.get(reverse("health_samples:record"), {"q": "张晓明"}).content.decode()
    assert "张*明" in found and "张晓明" not in found.replace('value="张晓明"', "")
    url = reverse("health_samples:record")
    response = client.post(
        url + f"?person={world.person_a1.pk}",
        {
            "person": world.person_a1.pk, "kind": "antigen", "tube_code": "",
            "sampled_at": clock.now().strftime("%Y-%m-%dT%H:%M"), "result": "negative",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert Sample.objects.get().result == "negative"


def test_record_names_the_field_that_is_wrong(client, world):
    signed_in(client, world.grid_worker_a)
    response = client.post(
        reverse("health_samples:record"),
        {
            "person": world.person_a1.pk, "kind": "pcr", "tube_code": "",
            "sampled_at": clock.now().strftime("%Y-%m-%dT%H:%M"), "result": "",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "tube_code" in response.context["form"].errors
    assert not Sample.objects.exists()


def test_a_person_of_another_grid_is_not_found_for_recording(client, world):
    signed_in(client, world.grid_worker_a)
    url = reverse("health_samples:record") + f"?person={world.person_a2.pk}"
    assert client.get(url).status_code == 404


def test_the_list_shows_masked_persons_of_the_area_only(client, world):
    from gongzhi.health import samples

    samples.sample_record(
        actor=world.secretary, person=world.person_a1, kind="pcr", tube_code="T0001"
    )
    samples.sample_record(
        actor=world.secretary, person=world.person_a2, kind="pcr", tube_code="T0002"
    )
    body = signed_in(client, world.grid_worker_a).get(reverse("health_samples:index"))
    text = body.content.decode()
    assert "张*明" in text and "李*英" not in text
    assert world.person_a1.id_number.reveal() not in text


def test_police_have_no_recording_pages(client, world):
    signed_in(client, world.by_role[Role.POLICE])
    assert client.get(reverse("health_samples:index")).status_code == 404
    assert client.get(scan_url()).status_code == 404


def test_an_empty_post_is_a_form_error_not_a_crash(client, world):
    signed_in(client, world.grid_worker_a)
    response = client.post(reverse("health_samples:record"), {})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = client.post(
        reverse("health_samples:record"),
        {"kind": "antigen", "sampled_at": clock.now().strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_a_positive_tests_watch_entry_opens_on_the_watch_list(client, world):
    from gongzhi.health import samples

    samples.sample_record(
        actor=world.by_role[Role.DOCTOR], person=world.person_a1, kind="antigen", result="positive"
    )
    entry = WatchEntry.objects.get()
    for user in (world.grid_worker_a, world.by_role[Role.COMMUNITY_STAFF]):
        client.force_login(user)
        assert client.get(reverse("health:watchlist")).status_code == 200
        page = client.get(reverse("health:entry_detail", kwargs={"entry_id": entry.pk}))
        assert page.status_code == 200


def test_open_testing_sessions_are_listed_with_their_scanning_page(client, world, session):
    body = signed_in(client, world.grid_worker_a).get(reverse("health_samples:index"))
    assert scan_url(session) in body.content.decode()


def test_the_running_count_at_a_free_standing_point_is_ones_own_today(client, world):
    from gongzhi.health import samples

    samples.sample_record(
        actor=world.secretary, person=world.person_a1, kind="pcr", tube_code="T0001"
    )
    signed_in(client, world.grid_worker_a)
    assert 'id="scan-count">0<' in client.get(scan_url()).content.decode()
    code = codes.person_code(world.person_a1.pk)
    body = client.post(scan_url(), {"code": code, "kind": "antigen", "result": "negative"})
    assert 'id="scan-count">1<' in body.content.decode()
