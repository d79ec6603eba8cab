"""The resident portal at /m/: sign-in by SMS code or password, home, elder mode, acting
for a family member."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from gongzhi.accounts.models import Role, SmsCode, User
from gongzhi.accounts.services import (
    proxy_link_create,
    user_link_person,
    user_set_phone,
)
from gongzhi.audit.models import AuditEntry
from gongzhi.notifications.models import SmsMessage
from gongzhi.notifications.services import notify
from gongzhi.testing import PASSWORD

PHONE = "13912340000"
HOME, LOGIN, CODE = "/m/", "/m/login/", "/m/login/code/"


@pytest.fixture
def resident(world):
    """The world's resident, living in household A1 as 张晓明, with a mobile number."""
    user_set_phone(user=world.resident, phone=PHONE)
    user_link_person(user=world.resident, person=world.person_a1)
    return world.resident


@pytest.fixture
def signed_in(resident):
    client = Client()
    client.force_login(resident)
    return client


def _code_from_outbox(phone_masked: str = "139****0000") -> str:
    message = SmsMessage.objects.filter(to_masked=phone_masked).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def _page(client, masked: str) -> str:
    """The sign-in page as the visitor sees it, their number and the CSRF token set aside."""
    body = client.get(LOGIN).content.decode().replace(masked, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def _ask_code(client, phone=PHONE, **extra):
    return client.post(CODE, {"phone": phone, **extra})


# --- sign-in ---------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_the_portal_sign_in(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_a_resident_signs_in_with_an_sms_code_from_the_outbox(client, resident):
    response = _ask_code(client)
    assert response.status_code == 302 and response.url == LOGIN
    page = client.get(LOGIN)
    assert "139****0000" in page.content.decode()
    assert PHONE not in page.content.decode()
    response = client.post(LOGIN, {"method": "code", "code": _code_from_outbox()})
    assert response.status_code == 302 and response.url == HOME
    assert int(client.session["_auth_user_id"]) == resident.pk
    assert AuditEntry.objects.filter(action="auth.login.sms", actor_name=resident.username).exists()
    assert client.get(HOME).status_code == 200


def test_the_code_sms_is_a_sensitive_message_to_the_user(client, resident):
    _ask_code(client)
    message = SmsMessage.objects.get()
    assert message.sensitive and message.kind == "auth.sms_code" and message.recipient == resident


def test_a_wrong_code_keeps_the_visitor_out_and_says_which_rule(client, resident):
    _ask_code(client)
    code = _code_from_outbox()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with translation.override("en"):
        response = client.post(LOGIN, {"method": "code", "code": wrong})
    assert response.status_code == 200
    assert response.context["code_form"].has_error("code", "wrong")
    assert "_auth_user_id" not in client.session


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, resident):
    known = _ask_code(client)
    other = Client()
    unknown = _ask_code(other, phone="13700000001")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert _page(client, "139****0000") == _page(other, "137****0001")
    assert SmsMessage.objects.filter(to_masked="137****0001").count() == 0
    assert SmsCode.objects.count() == 2  # both count for the rate limits


def test_asking_again_within_a_minute_is_refused_with_a_reason(client, resident):
    _ask_code(client)
    response = _ask_code(client)
    assert response.status_code == 200
    assert response.context["phone_form"].has_error("phone", "rate_limited")
    assert SmsMessage.objects.count() == 1


def test_a_malformed_number_is_refused(client, db):
    response = _ask_code(client, phone="12345")
    assert response.status_code == 200 and response.context["phone_form"].errors["phone"]


def test_a_person_of_the_register_signs_in_by_code_and_gets_a_resident_account(client, world):
    person = world.person_a2  # 李秀英, no account yet
    phone = person.phone.reveal()
    _ask_code(client, phone=phone)
    masked = str(person.phone)
    response = client.post(LOGIN, {"method": "code", "code": _code_from_outbox(masked)})
    assert response.status_code == 302
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.person == person and user.phone.reveal() == phone
    membership = user.memberships.get()
    assert (membership.role, membership.area) == (Role.RESIDENT, world.community_a)
    assert not user.has_usable_password()
    assert AuditEntry.objects.filter(action="user.provision", object_id=str(user.pk)).exists()
    assert person.name in client.get(HOME).content.decode()


@override_settings(GONGZHI_RESIDENT_SELF_SIGNUP=False)
def test_without_self_signup_a_register_number_gets_no_code(client, world):
    _ask_code(client, phone=world.person_a2.phone.reveal())
    assert not SmsMessage.objects.exists()


def test_a_shared_number_in_the_register_is_not_enough_to_make_an_account(client, world):
    from gongzhi.registry.services import person_update

    phone = world.person_a2.phone.reveal()
    person_update(actor=None, person=world.person_b1, data={"phone": phone})
    _ask_code(client, phone=phone)
    assert not SmsMessage.objects.exists()


def test_a_resident_signs_in_with_a_password_too(client, resident):
    response = client.post(
        LOGIN, {"method": "password", "username": resident.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == HOME
    assert AuditEntry.objects.filter(action="auth.login", actor_name=resident.username).exists()


def test_five_wrong_passwords_lock_the_account_on_the_portal_too(client, resident):
    for _ in range(5):
        client.post(LOGIN, {"method": "password", "username": resident.username, "password": "x"})
    response = client.post(
        LOGIN, {"method": "password", "username": resident.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_in_follows_a_local_next_but_not_another_site(client, resident):
    response = client.post(
        LOGIN + "?next=/m/inbox/",
        {"method": "password", "username": resident.username, "password": PASSWORD,
         "next": "/m/inbox/"},
    )  # fmt: skip
    assert response.url == "/m/inbox/"
    other = Client()
    response = other.post(
        LOGIN,
        {"method": "password", "username": resident.username, "password": PASSWORD,
         "next": "https://evil.example/"},
    )  # fmt: skip
    assert response.url == HOME


def test_staff_may_use_the_portal_too(world):
    client = Client()
    client.force_login(world.grid_worker_a)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "not linked to a household" in _en(client, HOME)


def _en(client, url):
    client.cookies["django_language"] = "en"
    return client.get(url).content.decode()


# --- home --------------------------------------------------------------------------------------


def test_home_is_built_for_a_phone_and_shows_the_household_masked(signed_in, world):
    body = signed_in.get(HOME).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    assert world.household_a1.address in body
    assert "张晓明" in body
    person = world.person_a1
    assert str(person.phone) in body and person.phone.reveal() not in body
    assert person.id_number.reveal() not in body
    assert "<script" not in body  # works without script in old WebViews


def test_home_names_other_members_masked(signed_in, world):
    from gongzhi.registry.services import person_create
    from gongzhi.testing import make_id_number

    person_create(
        actor=None,
        household=world.household_a1,
        data={"name": "张丽华", "id_number": make_id_number(male=False), "relation": "spouse"},
    )
    body = signed_in.get(HOME).content.decode()
    assert "张*华" in body and "张丽华" not in body


def test_home_shows_the_unread_count_and_the_inbox_lists_messages(signed_in, resident):
    notify(recipients=[resident], kind="test", title="停水通知", body="明天 9 点到 12 点停水")
    body = signed_in.get(HOME).content.decode()
    assert 'bg-red text-white">1<' in body
    assert "停水通知" in signed_in.get("/m/inbox/").content.decode()


def test_the_portal_inbox_downloads_as_a_spreadsheet(signed_in, resident, world):
    import csv
    import io

    notify(recipients=[resident], kind="test", title="停水通知", body="明天 9 点到 12 点停水")
    notify(recipients=[world.secretary], kind="test", title="给书记")

    response = signed_in.get("/m/inbox/", {"export": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(row[1], row[2]) for row in rows[1:]] == [("停水通知", "明天 9 点到 12 点停水")]


def test_the_ask_for_help_entry_appears_when_work_orders_provide_it(signed_in):
    from gongzhi.portal.state import PortalState

    state = PortalState(signed_in.get(HOME).wsgi_request)
    names = {entry["url"] for entry in state.entries}
    try:
        url = reverse("workorders_resident:new")
    except Exception:
        assert names == set() or all(n.startswith("/m/") for n in names)
    else:
        assert url in names


# --- elder mode --------------------------------------------------------------------------------


def _body_class(response) -> str:
    return re.search(r'<body class="([^"]*)"', response.content.decode()).group(1)


def test_elder_mode_changes_the_page_and_is_kept_on_the_account(signed_in, resident):
    assert "elder" not in _body_class(signed_in.get(HOME)).split()
    response = signed_in.post("/m/elder/", {"elder": "1", "next": HOME})
    assert response.status_code == 302 and response.url == HOME
    resident.refresh_from_db()
    assert resident.elder_mode
    assert "elder" in _body_class(signed_in.get(HOME)).split()
    other_device = Client()
    other_device.force_login(resident)
    assert "elder" in _body_class(other_device.get("/m/inbox/")).split()
    signed_in.post("/m/elder/", {"elder": "0"})
    resident.refresh_from_db()
    assert not resident.elder_mode


def test_elder_mode_hides_extra_fields_on_the_sign_in_page(client, db):
    plain = client.get(LOGIN).content.decode()
    elder = client.get(LOGIN + "?elder=1").content.decode()
    assert "elder-hide" in plain  # the hints exist …
    assert "elder" in _body_class(client.get(LOGIN + "?elder=1")).split()  # … and CSS hides them
    assert elder.count("<input") <= plain.count("<input")


def test_elder_link_before_sign_in_carries_over_to_the_account(client, resident):
    client.get(LOGIN + "?elder=1")
    assert "elder" in _body_class(client.get(LOGIN)).split()  # kept in the session
    client.post(LOGIN, {"method": "password", "username": resident.username, "password": PASSWORD})
    resident.refresh_from_db()
    assert resident.elder_mode


def test_a_friendly_elder_link_works_for_a_signed_in_user(signed_in, resident):
    signed_in.get(HOME + "?elder=1")
    resident.refresh_from_db()
    assert resident.elder_mode


# --- acting for a family member ---------------------------------------------------------------


@pytest.fixture
def mother_link(resident, world):
    return proxy_link_create(
        user=resident, person=world.person_a2, relation="child", label="妈妈", actor=world.secretary
    )


def test_a_resident_acts_for_their_mother_and_it_is_recorded(
    signed_in, resident, mother_link, world
):
    with translation.override("en"):
        body = signed_in.get(HOME).content.decode()
    assert "妈妈" in body
    response = signed_in.post("/m/acting/", {"person": world.person_a2.pk, "next": HOME})
    assert response.status_code == 302
    body = signed_in.get(HOME).content.decode()
    assert "acting-banner" in body and "妈妈" in body
    assert world.household_a2.address in body  # her household now
    entry = AuditEntry.objects.get(action="proxy.act")
    assert entry.actor_name == resident.username
    assert f"for person {world.person_a2.pk}" in entry.purpose
    assert entry.area_path == world.person_a2.area_path

    signed_in.post("/m/acting/", {"next": HOME})
    body = signed_in.get(HOME).content.decode()
    assert "acting-banner" not in body and world.household_a1.address in body
    assert AuditEntry.objects.filter(action="proxy.stop").exists()


def test_acting_for_someone_without_a_link_is_not_found(signed_in, world):
    response = signed_in.post("/m/acting/", {"person": world.person_b1.pk})
    assert response.status_code == 404


def test_an_ended_link_stops_the_acting_at_the_next_request(signed_in, mother_link, world):
    from gongzhi.accounts.services import proxy_link_end

    signed_in.post("/m/acting/", {"person": world.person_a2.pk})
    proxy_link_end(link=mother_link, actor=None)
    body = signed_in.get(HOME).content.decode()
    assert "acting-banner" not in body and world.household_a2.address not in body


def test_the_settings_page_lists_whom_one_acts_for(signed_in, mother_link):
    body = signed_in.get("/m/account/").content.decode()
    assert "妈妈" in body and "139****0000" in body
