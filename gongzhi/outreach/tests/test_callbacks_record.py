"""Provider callbacks: idempotent, out-of-order safe, answers and opt-outs."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.outreach.callbacks import callback_record
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    CallbackEvent,
    OptOut,
    Recipient,
    RecipientState,
)
from gongzhi.outreach.tests.campaign_fixtures import FakeClock, RecordingGateway, running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world):
    """One SMS sent to person A1 (waiting for an answer)."""
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        dispatch_round(
            campaign.pk, gateway=RecordingGateway(), sleep=fake.sleep, now=fake.now,
            budget_seconds=1,
        )  # fmt: skip
        attempt = Attempt.objects.get(campaign=campaign)
        yield attempt, fake


def _cb(attempt, kind, event_id, digit="", provider="local"):
    return callback_record(
        provider=provider, event_id=event_id, reference=attempt.reference, kind=kind, digit=digit
    )


def test_delivery_moves_the_attempt_forward(sent):
    attempt, _fake = sent
    assert attempt.status == AttemptStatus.SENT
    assert _cb(attempt, "delivered", "e1") is True
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.DELIVERED and attempt.delivered_at is not None


def test_a_repeated_event_changes_nothing(sent):
    attempt, _fake = sent
    assert _cb(attempt, "answered", "e1", "1") is True
    Recipient.objects.filter(pk=attempt.recipient_id).update(answer="")
    assert _cb(attempt, "answered", "e1", "2") is False
    assert CallbackEvent.objects.count() == 1
    assert Recipient.objects.get(pk=attempt.recipient_id).answer == ""


def test_the_same_event_id_from_another_provider_is_another_event(sent):
    attempt, _fake = sent
    assert _cb(attempt, "delivered", "e1") is True
    assert _cb(attempt, "delivered", "e1", provider="acme") is True


def test_a_late_delivery_never_moves_an_answered_attempt_back(sent):
    attempt, _fake = sent
    _cb(attempt, "answered", "e2", "1")
    _cb(attempt, "delivered", "e1")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.ANSWERED
    assert attempt.delivered_at is not None  # the step's time is still filled in


def test_a_failure_after_delivery_is_ignored(sent):
    attempt, _fake = sent
    _cb(attempt, "delivered", "e1")
    _cb(attempt, "failed", "e2")
    attempt.refresh_from_db()
    recipient = Recipient.objects.get(pk=attempt.recipient_id)
    assert attempt.status == AttemptStatus.DELIVERED
    assert recipient.state == RecipientState.WAITING


def test_a_failure_before_delivery_schedules_a_retry(sent):
    attempt, fake = sent
    _cb(attempt, "failed", "e1")
    attempt.refresh_from_db()
    recipient = Recipient.objects.get(pk=attempt.recipient_id)
    assert attempt.status == AttemptStatus.FAILED
    assert recipient.state == RecipientState.PENDING
    assert recipient.tries == 1 and recipient.channel_index == 0
    assert recipient.next_at == fake.at + dt.timedelta(minutes=30)


def test_an_answer_sets_the_recipient_answered(sent):
    attempt, fake = sent
    assert _cb(attempt, "answered", "e1", "2") is True
    recipient = Recipient.objects.get(pk=attempt.recipient_id)
    assert recipient.state == RecipientState.ANSWERED
    assert (recipient.answer, recipient.answered_via) == ("2", "sms")
    assert recipient.answered_at == fake.at
    assert recipient.retain_until == fake.at.date() + dt.timedelta(days=30)


def test_the_first_answer_counts(sent):
    attempt, _fake = sent
    _cb(attempt, "answered", "e1", "2")
    _cb(attempt, "answered", "e2", "1")
    assert Recipient.objects.get(pk=attempt.recipient_id).answer == "2"


def test_a_digit_that_is_no_choice_answers_nothing(sent):
    attempt, _fake = sent
    assert _cb(attempt, "answered", "e1", "7") is True
    assert Recipient.objects.get(pk=attempt.recipient_id).state == RecipientState.WAITING


@pytest.mark.parametrize("answer", ["9", "TD", "td "])
def test_the_opt_out_answer_records_an_opt_out(sent, world, answer):
    attempt, _fake = sent
    _cb(attempt, "answered", "e1", answer)
    recipient = Recipient.objects.get(pk=attempt.recipient_id)
    assert recipient.state == RecipientState.OPTED_OUT
    assert recipient.answer == ""
    optout = OptOut.objects.get()
    assert optout.phone_index == world.person_a1.phone_index and optout.channel == ""


def test_an_unknown_reference_is_recorded_and_ignored(db):
    assert (
        callback_record(provider="acme", event_id="x1", reference="nope", kind="delivered") is False
    )
    assert CallbackEvent.objects.filter(reference="nope").count() == 1


def test_an_unknown_kind_is_recorded_and_ignored(sent):
    attempt, _fake = sent
    assert _cb(attempt, "exploded", "e1") is False
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SENT


def test_an_sms_reply_answers_like_a_key(sent):
    attempt, _fake = sent
    assert _cb(attempt, "reply", "r1", " 3 ") is True
    assert Recipient.objects.get(pk=attempt.recipient_id).answer == "3"
