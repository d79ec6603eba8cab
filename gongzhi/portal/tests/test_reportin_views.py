"""/m/volunteer/ (双报到) and /m/family/ (数字反哺) at the HTTP level."""

import re

import pytest
from django.test import Client

from gongzhi.accounts.models import ProxyLink, ProxyRequest, Role, User
from gongzhi.accounts.services import proxy_link_create, user_link_person, user_set_phone
from gongzhi.notifications.models import SmsMessage
from gongzhi.workorders import pairings, reportin
from gongzhi.workorders.models import ReportIn

VOLUNTEER, CODE, FAMILY = "/m/volunteer/", "/m/volunteer/code/", "/m/family/"
NEW_PHONE = "13655550000"


def _code(masked="136****0000"):
    message = SmsMessage.objects.filter(to_masked=masked).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def _application(world, **extra):
    data = {
        "kind": "volunteer",
        "organisation": "蓝天志愿队",
        "skills": ["errands", "escort"],
        "free_times": ["weekday_evening", "weekend_morning"],
        "community": world.community_a.pk,
        "grid": world.grid_a1.pk,
        "name": "周志愿",
    }
    data.update(extra)
    return data


@pytest.fixture
def resident(world):
    user_set_phone(user=world.resident, phone="13912340000")
    user_link_person(user=world.resident, person=world.person_a1)
    return world.resident


def test_someone_outside_the_register_reports_in_with_an_sms_code(client, world):
    page = client.get(VOLUNTEER)
    assert page.status_code == 200 and 'name="phone"' in page.content.decode()

    response = client.post(CODE, {"phone": NEW_PHONE})
    assert response.status_code == 302
    page = client.get(VOLUNTEER).content.decode()
    assert "136****0000" in page and NEW_PHONE not in page
    assert 'name="code"' in page and 'name="skills"' in page

    response = client.post(VOLUNTEER, {**_application(world), "code": _code()})

    assert response.status_code == 302 and response.url == VOLUNTEER
    report = ReportIn.objects.get()
    user = report.user
    assert user.display_name == "周志愿" and user.person_id is None
    assert not user.memberships.exists()
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get(VOLUNTEER).content.decode()
    assert 'name="skills"' not in page  # one report-in waits at a time: its status instead
    assert "Withdraw" in page or "撤回" in page


def test_a_mistake_in_the_form_does_not_spend_the_code(client, world):
    client.post(CODE, {"phone": NEW_PHONE})
    code = _code()
    response = client.post(VOLUNTEER, {**_application(world, kind=""), "code": code})
    assert response.status_code == 200 and not ReportIn.objects.exists()
    response = client.post(VOLUNTEER, {**_application(world), "code": code})
    assert response.status_code == 302 and ReportIn.objects.count() == 1


def test_a_wrong_code_reports_nothing(client, world):
    client.post(CODE, {"phone": NEW_PHONE})
    users = User.objects.count()
    response = client.post(VOLUNTEER, {**_application(world), "code": "000000"})
    assert response.status_code == 200
    assert not ReportIn.objects.exists() and User.objects.count() == users
    assert "_auth_user_id" not in client.session


def test_a_signed_in_resident_reports_in_without_a_code(client, world, resident):
    client.force_login(resident)
    response = client.post(VOLUNTEER, _application(world, grid=""))
    assert response.status_code == 302
    report = ReportIn.objects.get()
    assert report.user == resident and report.area_path == world.community_a.path


def test_a_grid_outside_the_community_is_a_field_error(client, world, resident):
    client.force_login(resident)
    response = client.post(VOLUNTEER, _application(world, grid=world.grid_b1.pk))
    assert response.status_code == 200 and not ReportIn.objects.exists()


def test_my_households_show_masked_names(client, world, resident):
    member = world.by_role[Role.VOLUNTEER]
    pairings.pairing_set(actor=None, handler=member, households=[world.household_a1])
    client.force_login(member)
    page = client.get(VOLUNTEER).content.decode()
    assert world.household_a1.address in page
    assert world.person_a1.name not in page  # 张晓明 -> 张*明
    assert "张*明" in page
    assert world.person_a1.phone.reveal() not in page


def test_elder_mode_page_renders(client, world, resident):
    client.force_login(resident)
    page = client.get(VOLUNTEER + "?elder=1").content.decode()
    assert 'class="portal elder"' in page


def test_withdraw_my_report_in(client, world, resident):
    client.force_login(resident)
    client.post(VOLUNTEER, _application(world))
    report = ReportIn.objects.get()
    other = Client()
    other.force_login(world.outsider)
    assert other.post("/m/volunteer/withdraw/", {"report": report.pk}).status_code == 404
    assert client.post("/m/volunteer/withdraw/", {"report": report.pk}).status_code == 302
    report.refresh_from_db()
    assert report.status == "withdrawn"


# --- family proxies ------------------------------------------------------------------------


def test_the_answer_is_the_same_whether_or_not_the_parent_exists(client, world, resident):
    client.force_login(resident)
    parent = world.person_a2
    found = client.post(
        FAMILY,
        {"name": parent.name, "id_number": parent.id_number.reveal(), "relation": "child"},
        follow=True,
    )
    missing = client.post(
        FAMILY,
        {"name": "不存在", "phone": "13611112222", "relation": "child"},
        follow=True,
    )
    assert found.status_code == missing.status_code == 200
    messages = [[str(m) for m in r.context["messages"]] for r in (found, missing)]
    assert messages[0] == messages[1]
    page = missing.content.decode()
    assert parent.name not in page and parent.id_number.reveal() not in page
    assert ProxyRequest.objects.count() == 2


def test_a_bad_id_number_is_a_field_error(client, world, resident):
    client.force_login(resident)
    response = client.post(FAMILY, {"name": "李秀英", "id_number": "123", "relation": "child"})
    assert response.status_code == 200 and not ProxyRequest.objects.exists()


def test_the_resident_stops_acting_for_someone(client, world, resident):
    link = proxy_link_create(user=resident, person=world.person_a2, relation="child")
    client.force_login(resident)
    assert "李秀英" in client.get(FAMILY).content.decode()
    assert client.post("/m/family/end/", {"link": link.pk}).status_code == 302
    assert not ProxyLink.objects.get(pk=link.pk).is_active
    # Someone else's link is not found.
    again = proxy_link_create(user=resident, person=world.person_a2, relation="child")
    other = Client()
    other.force_login(world.outsider)
    assert other.post("/m/family/end/", {"link": again.pk}).status_code == 404
    assert ProxyLink.objects.get(pk=again.pk).is_active


def test_home_shows_the_new_tiles(client, world, resident):
    client.force_login(resident)
    page = client.get("/m/").content.decode()
    assert VOLUNTEER in page and FAMILY in page


def test_deciding_sends_the_applicant_an_sms(
    client, world, resident, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    client.post(VOLUNTEER, _application(world))
    with django_capture_on_commit_callbacks(execute=True):
        reportin.reportin_approve(
            actor=world.secretary, report=ReportIn.objects.get(), grid=world.grid_a1
        )
    assert SmsMessage.objects.filter(
        recipient=resident, kind="workorder.reportin_approved"
    ).exists()
