"""Activities' pages: the workbench (activity.manage) and the phone (/m/points/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.services import proxy_link_create, user_link_person
from gongzhi.core import clock
from gongzhi.points import activities as svc
from gongzhi.points.models import Activity, Proof, Signup
from gongzhi.points.tests.activity_factories import jpeg_bytes, make_activity, photo_image
from gongzhi.testing import _user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(world):
    return user_link_person(user=world.resident, person=world.person_a1, actor=None)


def _form(world, **extra):
    now = clock.now()
    data = {
        "area": world.grid_a1.pk,
        "kind": "event",
        "title": "垃圾分类宣传",
        "starts_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "小区广场",
        "radius_m": 200,
        "proof_kind": "photo",
        "points": 10,
        "hours": "2.0",
        "capacity": 20,
        "reviewers": [world.grid_worker_a.pk],
    }
    data.update(extra)
    return data


def test_grid_worker_creates_and_publishes_an_activity(world):
    client = _client(world.grid_worker_a)
    assert client.get(reverse("points_activities:create")).status_code == 200
    response = client.post(reverse("points_activities:create"), _form(world))
    activity = Activity.objects.get()
    assert response.status_code == 302 and activity.status == "draft"
    assert list(activity.reviewers.all()) == [world.grid_worker_a]
    url = reverse("points_activities:transition", args=[activity.pk])
    client.post(url, {"action": "publish"})
    activity.refresh_from_db()
    assert activity.status == "published"
    page = client.get(reverse("points_activities:list")).content.decode()
    assert "垃圾分类宣传" in page


def test_the_form_names_the_field_of_an_activity_ending_before_it_starts(world):
    client = _client(world.grid_worker_a)
    now = clock.now()
    data = _form(world, ends_at=(now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    response = client.post(reverse("points_activities:create"), data)
    assert response.status_code == 200 and not Activity.objects.exists()
    assert response.context["form"].errors["ends_at"]


def test_a_grid_in_another_area_is_not_offered(world):
    client = _client(world.grid_worker_a)
    response = client.post(reverse("points_activities:create"), _form(world, area=world.grid_a2.pk))
    assert response.status_code == 200 and "area" in response.context["form"].errors


def test_edit_changes_the_title(world):
    activity = make_activity(world)
    client = _client(world.grid_worker_a)
    url = reverse("points_activities:edit", args=[activity.pk])
    assert client.get(url).status_code == 200
    data = _form(world, title="新标题")
    data["starts_at"] = activity.starts_at.astimezone().strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "新标题"


def test_participants_are_masked(world, member):
    activity = make_activity(world)
    svc.signup_create(actor=member, activity=activity)
    page = _client(world.grid_worker_a).get(reverse("points_activities:detail", args=[activity.pk]))
    body = page.content.decode()
    assert world.person_a1.name not in body and "张*明" in body


def test_poster_has_the_checkin_qr(world):
    activity = make_activity(world, proof_kind="checkin")
    page = _client(world.grid_worker_a).get(reverse("points_activities:poster", args=[activity.pk]))
    assert page.status_code == 200 and b"<svg" in page.content
    assert activity.checkin_token.encode() in page.content


def test_other_grid_worker_gets_404_and_resident_too(world):
    activity = make_activity(world)
    for user in (world.grid_worker_b, world.resident):
        url = reverse("points_activities:detail", args=[activity.pk])
        assert _client(user).get(url).status_code == 404


def test_nav_shows_activities_to_staff_only(world):
    home = reverse("web:home")
    assert reverse("points_activities:list") in _client(world.grid_worker_a).get(home).content.decode()  # fmt: skip


# --- the phone ---------------------------------------------------------------------------------


def test_resident_sees_signs_up_and_sends_a_photo(world, member):
    activity = make_activity(world)
    client = _client(member)
    assert activity.title in client.get(reverse("points_m:list")).content.decode()
    assert client.get(reverse("points_m:detail", args=[activity.pk])).status_code == 200
    client.post(reverse("points_m:signup", args=[activity.pk]))
    signup = Signup.objects.get(participant=member)
    url = reverse("points_m:proof", args=[signup.pk])
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(photo_image(1)), content_type="image/jpeg")
    response = client.post(url, {"file": photo, "text": ""})
    assert response.status_code == 302
    proof = Proof.objects.get()
    assert proof.kind == "photo" and proof.flags[0]["code"] == "no_capture_time"
    mine = client.get(reverse("points_m:mine")).content.decode()
    assert activity.title in mine


def test_sending_a_text_to_a_photo_activity_names_the_file(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world))
    response = _client(member).post(reverse("points_m:proof", args=[signup.pk]), {"text": "我来了"})
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_elder_mode_and_phone_width(world, member):
    activity = make_activity(world)
    member.elder_mode = True
    member.save()
    body = _client(member).get(reverse("points_m:detail", args=[activity.pk])).content.decode()
    assert 'class="portal elder"' in body and 'name="viewport"' in body


def test_checkin_page_checks_in(world, member):
    activity = make_activity(world, proof_kind="checkin")
    client = _client(member)
    url = reverse("points_m:checkin", args=[activity.checkin_token])
    assert client.get(url).status_code == 200
    response = client.post(url, {})
    assert response.status_code == 302
    assert Proof.objects.get().kind == "checkin"


def test_checkin_with_a_wrong_token_is_404(world, member):
    make_activity(world, proof_kind="checkin")
    response = _client(member).get(reverse("points_m:checkin", args=["forged"]))
    assert response.status_code == 404


def test_checkin_anonymous_is_sent_to_sign_in(world):
    activity = make_activity(world, proof_kind="checkin")
    response = Client().get(reverse("points_m:checkin", args=[activity.checkin_token]))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_proxy_signs_up_the_parent_from_the_phone(world):
    child = _user("child", None, None)
    link = proxy_link_create(user=child, person=world.person_a1, relation="child")
    client = _client(child)
    session = client.session
    session["gongzhi.acting_for"] = link.person_id
    session.save()
    activity = make_activity(world)
    client.post(reverse("points_m:signup", args=[activity.pk]))
    signup = Signup.objects.get()
    assert signup.person == world.person_a1 and signup.signed_up_by == child
    assert signup.participant != child


def test_portal_home_has_the_points_square(world, member):
    body = _client(member).get(reverse("portal:home")).content.decode()
    assert reverse("points_m:list") in body


def test_someone_elses_signup_is_404(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world))
    other = _user("other", world.grid_a1, "volunteer")
    assert _client(other).get(reverse("points_m:proof", args=[signup.pk])).status_code == 404
    assert _client(other).post(reverse("points_m:cancel", args=[signup.pk])).status_code == 404
