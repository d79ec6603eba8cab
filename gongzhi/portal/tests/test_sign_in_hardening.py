"""Outside review, items 10 and 11, at /m/: `next`, SMS codes, throttled sign-in."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client

from gongzhi.accounts.services import user_link_person, user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.notifications.models import SmsMessage
from gongzhi.testing import PASSWORD

LOGIN = "/m/login/"


@pytest.mark.parametrize("target", ["abc", "abc/def", "//evil.example/x", "https://evil.example/"])
def test_a_signed_in_resident_with_a_strange_next_goes_home(world, target):
    client = Client(raise_request_exception=False)
    client.force_login(world.resident)
    response = client.get(LOGIN, {"next": target})
    assert response.status_code == 302
    assert response.url == "/m/"


def test_a_password_sign_in_with_next_abc_goes_home(world):
    client = Client(raise_request_exception=False)
    response = client.post(
        f"{LOGIN}?next=abc",
        {"method": "password", "username": "resident", "password": PASSWORD, "next": "abc"},
    )
    assert response.status_code == 302
    assert response.url == "/m/"


def test_a_local_next_is_still_followed(world):
    client = Client()
    client.force_login(world.resident)
    assert client.get(LOGIN, {"next": "/m/inbox/"}).url == "/m/inbox/"


# --- one address asking too often --------------------------------------------------------------


@pytest.fixture
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/m/login/code/", {"phone": "13700000001"}),
        (LOGIN, {"method": "code", "code": "123456", "phone": "13700000001"}),
        (LOGIN, {"method": "password", "username": "nobody", "password": "x"}),
    ],
)
def test_one_address_is_throttled_on_the_sign_in_paths(db, settings, fresh_limits, path, data):
    settings.GONGZHI_RATE_SIGN_IN = "3/min"
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(3):
        assert client.post(path, data).status_code in (200, 302)
    refused = client.post(path, data)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR="10.1.1.2").post(path, data).status_code in (200, 302)


# --- SMS codes: a stranger's wrong guesses do not burn the resident's code ---------------------

PHONE = "13912340000"


@pytest.fixture
def resident(world):
    user_set_phone(user=world.resident, phone=PHONE)
    user_link_person(user=world.resident, person=world.person_a1)
    return world.resident


def _code_from_outbox(kind: str = "auth.sms_code") -> str:
    message = SmsMessage.objects.filter(to_masked="139****0000", kind=kind).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def test_five_wrong_codes_from_a_stranger_do_not_burn_the_residents_code(resident):
    own = Client(REMOTE_ADDR="10.0.0.1")
    own.post("/m/login/code/", {"phone": PHONE})
    code = _code_from_outbox()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    stranger = Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(6):
        stranger.post(LOGIN, {"method": "code", "code": wrong, "phone": PHONE})
    refused = stranger.post(LOGIN, {"method": "code", "code": code, "phone": PHONE})
    assert refused.context["code_form"].has_error("code", "too_many_attempts")
    assert "_auth_user_id" not in stranger.session
    signed_in = own.post(LOGIN, {"method": "code", "code": code})
    assert signed_in.status_code == 302 and signed_in.url == "/m/"
    assert int(own.session["_auth_user_id"]) == resident.pk
    assert AuditEntry.objects.filter(action="auth.sms_code.exhausted").count() == 1


# --- password reset by SMS code ----------------------------------------------------------------

RESET = "/m/password/reset/"
NEW = "Qz9!long-pass"


def test_a_user_resets_a_forgotten_password_with_a_code_to_their_phone(resident):
    client = Client()
    asked = client.post(RESET, {"phone": PHONE})
    assert asked.status_code == 302
    message = SmsMessage.objects.get(kind="auth.password_reset")
    assert message.sensitive and message.recipient == resident
    code = _code_from_outbox("auth.password_reset")
    done = client.post(RESET, {"code": code, "new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password(NEW)
    assert AuditEntry.objects.filter(action="auth.password_reset", object_id=str(resident.pk))
    assert "_auth_user_id" not in client.session  # a reset does not sign in
    signed_in = Client().post(
        LOGIN, {"method": "password", "username": resident.username, "password": NEW}
    )
    assert signed_in.status_code == 302


def test_a_sign_in_code_does_not_reset_a_password(resident):
    client = Client()
    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with clock.freeze(t0):
        client.post("/m/login/code/", {"phone": PHONE})
        code = _code_from_outbox()
    with clock.freeze(t0 + dt.timedelta(minutes=2)):
        client.post(RESET, {"phone": PHONE})
        reset_code = _code_from_outbox("auth.password_reset")
        response = client.post(RESET, {"code": code, "new_password1": NEW, "new_password2": NEW})
    assert code != reset_code  # one in a million: the same digits by chance
    assert response.status_code == 200 and response.context["form"].has_error("code", "wrong")
    resident.refresh_from_db()
    assert not resident.check_password(NEW)


def test_an_unknown_number_gets_the_same_answer_and_no_sms(resident):
    known = Client().post(RESET, {"phone": PHONE})
    unknown = Client().post(RESET, {"phone": "13700000001"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert not SmsMessage.objects.filter(to_masked="137****0001").exists()


def test_a_weak_new_password_is_refused_with_the_rule(resident):
    client = Client()
    client.post(RESET, {"phone": PHONE})
    code = _code_from_outbox("auth.password_reset")
    response = client.post(RESET, {"code": code, "new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
