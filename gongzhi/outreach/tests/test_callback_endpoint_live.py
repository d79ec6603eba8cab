"""The whole provider loop over real sockets: the dispatcher sends a campaign's calls and
messages through the HTTP gateway to the local provider server, which calls the
platform's live server back — signed, duplicated, answers before deliveries — and every
attempt and recipient ends where it should, each event recorded once."""

from __future__ import annotations

import threading

import pytest
from django.test import override_settings
from django.urls import reverse

from gongzhi.core import clock
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.http_gateway import HttpOutreachGateway
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    CallbackEvent,
    Campaign,
    CampaignStatus,
    Recipient,
    RecipientState,
)
from gongzhi.outreach.provider_server import ProviderConfig, ProviderServer, digit_by_hash

SECRET = "live-callback-secret"
KEY = "live-provider-key"
CHOICES = {"1": "已报到", "2": "需要帮助", "3": "不是本人"}


@pytest.fixture
def platform(live_server):
    """The live server, answering one request at a time while the test holds no turn.

    It shares the test's in-memory SQLite connection (pytest-django), so the dispatcher
    in the test and the callbacks in the server must not use it at once: each takes
    `turn` (tests/e2e/conftest.py does the same for the browser tests)."""
    turn = threading.RLock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def taking_turns(environ, start_response):
        with turn:
            return app(environ, start_response)

    httpd.set_app(taking_turns)
    live_server.turn = turn
    with override_settings(GONGZHI_OUTREACH_CALLBACK_SECRET=SECRET):
        yield live_server
    httpd.set_app(app)


def _campaign(world, channels: list[str]) -> Campaign:
    now = clock.now()
    campaign = Campaign.objects.create(
        area=world.community_a,
        area_path=world.community_a.path,
        name="返乡报到",
        sms_text="【共治】请回复1报到",
        voice_script="您好，已报到请按1",
        choices=CHOICES,
        channels=channels,
        pace_per_minute=600,
        status=CampaignStatus.RUNNING,
        started_at=now,
    )
    for person in (world.person_a1, world.person_a2):
        Recipient.objects.create(
            campaign=campaign, person=person, area_path=person.area_path, next_at=now
        )
    return campaign


def _provider(platform, provider_name="local-provider", **config) -> ProviderServer:
    url = platform.url + reverse("outreach_callbacks:receive", kwargs={"provider": provider_name})
    return ProviderServer(
        ProviderConfig(key=KEY, callback_url=url, callback_secret=SECRET, **config)
    ).start()


def _dispatch(platform, provider, campaign):
    gateway = HttpOutreachGateway(url=provider.url, key=KEY, timeout=5)
    with platform.turn:
        return dispatch_round(campaign.pk, gateway=gateway, budget_seconds=2)


@pytest.mark.django_db(transaction=True)
def test_duplicated_and_out_of_order_callbacks_leave_each_call_answered_once(platform, world):
    campaign = _campaign(world, ["voice", "visit"])
    provider = _provider(platform, out_of_order=True, duplicate_rate=1.0)
    try:
        result = _dispatch(platform, provider, campaign)
        assert result.sent == 2
        # Two calls: an answer and a delivery each, every one sent twice.
        assert provider.wait_for("callback_events", 8, timeout=20)
        assert provider.wait_callbacks_idle()
    finally:
        provider.stop()
    counts = provider.counts()
    assert counts.get("callback_failures", 0) == 0 and counts["call_accepted"] == 2
    assert CallbackEvent.objects.filter(provider="local-provider").count() == 4
    for attempt in Attempt.objects.filter(campaign=campaign):
        recipient = Recipient.objects.get(pk=attempt.recipient_id)
        digit = digit_by_hash(attempt.reference, "", CHOICES)
        assert attempt.status == AttemptStatus.ANSWERED and attempt.digit == digit
        assert attempt.delivered_at is not None and attempt.provider_id.startswith("call-")
        assert recipient.state == RecipientState.ANSWERED and recipient.answer == digit


@pytest.mark.django_db(transaction=True)
def test_a_failed_message_is_recorded_and_a_delivered_one_waits_for_its_answer(platform, world):
    campaign = _campaign(world, ["sms", "visit"])
    failing = world.person_a2.phone.reveal()
    provider = _provider(platform, undeliverable={failing})
    try:
        assert _dispatch(platform, provider, campaign).sent == 2
        assert provider.wait_for("callback_events", 2, timeout=20)
        assert provider.wait_callbacks_idle()
    finally:
        provider.stop()
    delivered = Attempt.objects.get(campaign=campaign, recipient__person=world.person_a1)
    failed = Attempt.objects.get(campaign=campaign, recipient__person=world.person_a2)
    assert delivered.status == AttemptStatus.DELIVERED
    assert failed.status == AttemptStatus.FAILED
    assert Recipient.objects.get(pk=delivered.recipient_id).state == RecipientState.WAITING


@pytest.mark.django_db(transaction=True)
def test_callbacks_signed_with_another_secret_change_nothing(platform, world):
    campaign = _campaign(world, ["voice", "visit"])
    url = platform.url + reverse("outreach_callbacks:receive", kwargs={"provider": "forger"})
    provider = ProviderServer(
        ProviderConfig(key=KEY, callback_url=url, callback_secret="not-the-secret")
    ).start()
    try:
        _dispatch(platform, provider, campaign)
        assert provider.wait_for("callback_events_refused", 4, timeout=20)
    finally:
        provider.stop()
    assert not CallbackEvent.objects.exists()
    assert set(Attempt.objects.values_list("status", flat=True)) == {AttemptStatus.SENT}
