"""The provider callback endpoint through the test client: the signature and its time
window are the only permission; malformed bodies get a 400 naming the field; each event
is recorded once, in whatever order events arrive."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from gongzhi.core import clock
from gongzhi.outreach.callback_protocol import sign
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    CallbackEvent,
    Campaign,
    CampaignStatus,
    OptOut,
    Recipient,
    RecipientState,
)

SECRET = "callback-secret-for-tests"
URL = "/outreach/callbacks/acme-sms/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret():
    with override_settings(GONGZHI_OUTREACH_CALLBACK_SECRET=SECRET):
        yield


def make_attempt(world, reference="ref-1", channel="voice", status=AttemptStatus.SENT) -> Attempt:
    """A running campaign asking person A1, waiting for the answer to one attempt."""
    now = clock.now()
    campaign = Campaign.objects.create(
        area=world.community_a,
        area_path=world.community_a.path,
        name="返乡报到",
        voice_script="您好",
        choices={"1": "已报到", "2": "需要帮助", "3": "不是本人"},
        channels=["voice", "visit"],
        pace_per_minute=600,
        status=CampaignStatus.RUNNING,
        started_at=now,
    )
    person = world.person_a1
    recipient = Recipient.objects.create(
        campaign=campaign,
        person=person,
        area_path=person.area_path,
        state=RecipientState.WAITING,
        tries=1,
        next_at=now + dt.timedelta(hours=1),
    )
    return Attempt.objects.create(
        recipient=recipient,
        campaign=campaign,
        channel=channel,
        reference=reference,
        gateway="http",
        status=status,
        created_at=now,
        sent_at=now,
    )


def post(client, events, *, secret=SECRET, timestamp=None, url=URL, raw=None):
    body = raw if raw is not None else json.dumps({"events": events}).encode()
    stamp = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
    return client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-Gongzhi-Timestamp": stamp, "X-Gongzhi-Signature": sign(secret, stamp, body)},
    )


def event(eid, kind, reference="ref-1", **extra):
    return {"id": eid, "reference": reference, "kind": kind, **extra}


def _error(response) -> dict:
    return response.json()["error"]


# --- who may call -------------------------------------------------------------------------


def test_an_unsigned_request_is_refused(client, world):
    attempt = make_attempt(world)
    body = json.dumps({"events": [event("e1", "delivered")]})
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 401 and _error(response)["code"] == "unsigned"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SENT and not CallbackEvent.objects.exists()


def test_a_wrong_signature_is_refused(client, world):
    make_attempt(world)
    response = post(client, [event("e1", "delivered")], secret="guessed")
    assert response.status_code == 401 and _error(response)["code"] == "bad_signature"
    assert not CallbackEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, world):
    make_attempt(world)
    body = json.dumps({"events": [event("e1", "delivered")]}).encode()
    stamp = str(int(time.time()))
    response = client.post(
        URL,
        body.replace(b"delivered", b"failed"),
        content_type="application/json",
        headers={"X-Gongzhi-Timestamp": stamp, "X-Gongzhi-Signature": sign(SECRET, stamp, body)},
    )
    assert response.status_code == 401


@pytest.mark.parametrize("seconds", [-301, 301, -3600])
def test_a_timestamp_outside_the_window_is_refused_as_a_replay(client, world, seconds):
    make_attempt(world)
    stamp = int(clock.now().timestamp()) + seconds
    response = post(client, [event("e1", "delivered")], timestamp=stamp)
    assert response.status_code == 401 and _error(response)["code"] == "stale"


def test_the_window_is_read_on_the_platforms_clock(client, world):
    make_attempt(world)
    then = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    with clock.freeze(then):
        response = post(client, [event("e1", "delivered")], timestamp=int(then.timestamp()) - 299)
    assert response.status_code == 200


def test_a_timestamp_that_is_not_a_number_is_refused(client, world):
    response = post(client, [event("e1", "delivered")], timestamp="yesterday")
    assert response.status_code == 401 and _error(response)["code"] == "bad_timestamp"


def test_without_a_configured_secret_every_callback_is_refused(client, world):
    make_attempt(world)
    with override_settings(GONGZHI_OUTREACH_CALLBACK_SECRET=""):
        response = post(client, [event("e1", "delivered")], secret="")
    assert response.status_code == 401 and _error(response)["code"] == "not_configured"


def test_no_csrf_token_and_no_sign_in_are_needed(world):
    make_attempt(world)
    client = Client(enforce_csrf_checks=True)
    response = post(client, [event("e1", "delivered")])
    assert response.status_code == 200


def test_only_post_is_answered(client):
    assert client.get(URL).status_code == 405


def test_a_provider_name_too_long_to_store_is_not_a_route(client):
    assert client.post("/outreach/callbacks/" + "x" * 41 + "/").status_code == 404


def test_the_route_is_named(client):
    assert reverse("outreach_callbacks:receive", kwargs={"provider": "acme-sms"}) == URL


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, world):
    with override_settings(GONGZHI_OUTREACH_CALLBACK_MAX_BYTES=200):
        response = post(client, [event(f"e{i}", "delivered") for i in range(10)])
    assert response.status_code == 413 and _error(response)["field"] == "body"


# --- what the body must be ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([], "events"),
        ("many", "events"),
        ([42], "events[0]"),
        ([{"reference": "ref-1", "kind": "delivered"}], "events[0].id"),
        ([event("e1", "delivered", reference="")], "events[0].reference"),
        ([event("e1", "delivered", reference="r" * 41)], "events[0].reference"),
        ([event("e1", "delivered"), event("e2", "opened")], "events[1].kind"),
        ([event("e1", "answered")], "events[0].digit"),
        ([event("e1", "answered", digit="yes")], "events[0].digit"),
        ([event("e1", "delivered", at="yesterday")], "events[0].at"),
        ([event("e1", "delivered", at="2026-12-06T08:00:00")], "events[0].at"),
        ([event("e1", "reply")], "events[0].text"),
    ],
)
def test_a_malformed_event_is_refused_naming_its_field(client, world, events, field):
    make_attempt(world)
    response = post(client, events)
    assert response.status_code == 400
    assert _error(response)["field"] == field and _error(response)["message"]
    assert not CallbackEvent.objects.exists()


def test_a_body_that_is_not_json_is_refused(client):
    response = post(client, None, raw=b"events=1")
    assert response.status_code == 400 and _error(response)["field"] == "body"


def test_too_many_events_in_one_request_are_refused(client):
    response = post(client, [event(f"e{i}", "delivered") for i in range(1001)])
    assert response.status_code == 400 and _error(response)["field"] == "events"


def test_a_refusal_repeats_no_value_from_the_body(client, world):
    secretive = "13812345678"
    response = post(client, [event("e1", "delivered", reference=secretive, at=secretive)])
    assert response.status_code == 400 and secretive not in response.content.decode()


def test_log_lines_carry_no_value_from_the_body(client, world, caplog):
    make_attempt(world, reference="13812345678")
    with caplog.at_level(logging.DEBUG, logger="gongzhi.outreach"):
        post(client, [event("e1", "answered", reference="13812345678", digit="1")])
        post(client, [event("e2", "answered", reference="13812345678", digit="no")])
    assert caplog.records
    assert all("13812345678" not in record.getMessage() for record in caplog.records)


# --- what is recorded ---------------------------------------------------------------------


def test_events_are_counted_as_new_repeated_or_unknown(client, world):
    make_attempt(world)
    first = post(client, [event("e1", "delivered"), event("e9", "delivered", reference="nope")])
    again = post(client, [event("e1", "delivered")])
    assert first.status_code == 200 and first.json() == {"new": 1, "repeated": 0, "unknown": 1}
    assert again.json() == {"new": 0, "repeated": 1, "unknown": 0}
    assert CallbackEvent.objects.filter(provider="acme-sms").count() == 1


def test_a_delivery_moves_the_attempt_on(client, world):
    attempt = make_attempt(world)
    at = "2026-12-06T08:00:05+08:00"
    post(client, [event("e1", "delivered", at=at)])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.DELIVERED
    assert attempt.delivered_at == dt.datetime.fromisoformat(at)


def test_an_answer_before_its_delivery_leaves_the_attempt_answered(client, world):
    attempt = make_attempt(world)
    post(client, [event("e2", "answered", digit="2")])
    post(client, [event("e1", "delivered")])
    attempt.refresh_from_db()
    recipient = attempt.recipient
    recipient.refresh_from_db()
    assert attempt.status == AttemptStatus.ANSWERED and attempt.digit == "2"
    assert attempt.delivered_at is not None
    assert recipient.state == RecipientState.ANSWERED and recipient.answer == "2"
    assert recipient.answered_via == "voice"


def test_a_failure_after_the_delivery_is_ignored(client, world):
    attempt = make_attempt(world)
    post(client, [event("e1", "delivered"), event("e2", "failed")])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.DELIVERED


def test_keypad_nine_opts_the_number_out(client, world):
    attempt = make_attempt(world)
    post(client, [event("e1", "answered", digit="9")])
    attempt.recipient.refresh_from_db()
    assert attempt.recipient.state == RecipientState.OPTED_OUT
    assert OptOut.objects.filter(phone_index=world.person_a1.phone_index).exists()


def test_an_sms_reply_td_opts_the_number_out(client, world):
    attempt = make_attempt(world, channel="sms")
    response = post(client, [event("e1", "reply", text="TD 退订")])
    assert response.json()["new"] == 1
    attempt.recipient.refresh_from_db()
    assert attempt.recipient.state == RecipientState.OPTED_OUT
    assert OptOut.objects.filter(phone_index=world.person_a1.phone_index).exists()
