"""The dispatcher with a frozen clock and a recording gateway: pace, retries, quiet
hours, opt-outs, escalation SMS → voice → notice → visit task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import User
from gongzhi.notifications.gateways import SendResult
from gongzhi.notifications.models import Notification
from gongzhi.outreach.callbacks import callback_record
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    OptOut,
    Recipient,
    RecipientState,
)
from gongzhi.outreach.tests.campaign_fixtures import (
    T0,
    FakeClock,
    RecordingGateway,
    more_persons,
    running_campaign,
)
from gongzhi.visits.models import VisitTask

pytestmark = pytest.mark.django_db


def _round(campaign, fake, gateway, budget=50.0):
    return dispatch_round(
        campaign.pk, gateway=gateway, sleep=fake.sleep, now=fake.now, budget_seconds=budget
    )


def _state(person, campaign):
    return Recipient.objects.get(campaign=campaign, person=person)


def test_sms_goes_to_every_recipient_with_the_text_and_a_reference(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1, world.person_a2])
        gateway = RecordingGateway(fake_clock=fake)
        result = _round(campaign, fake, gateway, budget=5)
    assert result.sent == 2
    assert sorted(m.phone for m in gateway.messages) == sorted(
        [world.person_a1.phone.reveal(), world.person_a2.phone.reveal()]
    )
    assert {m.text for m in gateway.messages} == {campaign.sms_text}
    attempts = Attempt.objects.filter(campaign=campaign)
    assert {a.reference for a in attempts} == {m.reference for m in gateway.messages}
    assert {a.status for a in attempts} == {AttemptStatus.SENT}
    assert all(a.provider_id.startswith("p-") for a in attempts)
    r = _state(world.person_a1, campaign)
    assert r.state == RecipientState.WAITING
    assert r.next_at == T0 + dt.timedelta(minutes=60)


def test_the_pace_is_held_within_five_percent_over_a_minute(world):
    with FakeClock() as fake:
        persons = more_persons(world.household_a1, 60)
        campaign = running_campaign(world.community_a, persons, pace_per_minute=30)
        gateway = RecordingGateway(fake_clock=fake)
        _round(campaign, fake, gateway, budget=120)
    times = [at for _kind, n, at in gateway.batches for _ in range(n)]
    assert len(times) == 60
    # Any window of one minute holds at most the pace (+ one batch of 1).
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + dt.timedelta(minutes=1)]
        assert len(in_window) <= 31
    span = (times[-1] - times[0]).total_seconds()
    assert 59 * 2 * 0.95 <= span <= 59 * 2 * 1.05


def test_back_to_back_rounds_do_not_burst_past_the_pace(world):
    with FakeClock() as fake:
        persons = more_persons(world.household_a1, 20)
        campaign = running_campaign(world.community_a, persons, pace_per_minute=6)
        gateway = RecordingGateway(fake_clock=fake)
        for _ in range(5):  # five short rounds, each re-enqueued at once
            _round(campaign, fake, gateway, budget=5)
            fake.move(seconds=1)
    # 5 rounds over ~30 s: at a pace of 6 a minute, 4 messages (3 + the first).
    assert len(gateway.messages) <= 4


def test_a_batch_takes_a_few_queries_whatever_its_size(world, settings):
    settings.GONGZHI_OUTREACH_BATCH = 500

    def queries(n):
        with FakeClock() as fake:
            persons = more_persons(world.household_a1, n)
            campaign = running_campaign(world.community_a, persons, pace_per_minute=60000)
            with CaptureQueriesContext(connection) as ctx:
                _round(campaign, fake, RecordingGateway(), budget=0.5)
        return len(ctx.captured_queries)

    assert queries(40) == queries(5)


def test_a_retryable_failure_is_tried_again_after_the_retry_minutes(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1], retries=2)
        failing = RecordingGateway(
            results=lambda item: SendResult(ok=False, error="busy", retryable=True)
        )
        result = _round(campaign, fake, failing, budget=5)
        assert (result.failed, result.retried) == (1, 1)
        r = _state(world.person_a1, campaign)
        assert (r.state, r.tries, r.channel_index) == (RecipientState.PENDING, 1, 0)
        assert r.next_at == T0 + dt.timedelta(minutes=30)
        fake.move(minutes=10)
        _round(campaign, fake, failing, budget=5)
        assert len(failing.messages) == 1  # not yet
        fake.move(minutes=21)
        _round(campaign, fake, failing, budget=5)
        assert len(failing.messages) == 2
        assert _state(world.person_a1, campaign).tries == 2
        fake.move(minutes=31)
        _round(campaign, fake, failing, budget=5)
    # Three tries on SMS (1 + 2 retries), then the robot call.
    assert len(failing.messages) == 3
    assert len(failing.calls) == 1
    r = _state(world.person_a1, campaign)
    assert (r.channel_index, r.tries) == (1, 1)  # the call failed too: its own first retry
    assert Attempt.objects.filter(campaign=campaign, status="failed").count() == 4


def test_a_refusal_that_is_not_retryable_moves_to_the_next_channel_at_once(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1], retries=3)
        gateway = RecordingGateway(
            results=lambda item: (
                SendResult(ok=False, error="blocked number")
                if isinstance(item, type(item)) and hasattr(item, "text")
                else SendResult(ok=True)
            )
        )
        _round(campaign, fake, gateway, budget=5)
    assert len(gateway.messages) == 1 and len(gateway.calls) == 1
    assert _state(world.person_a1, campaign).state == RecipientState.WAITING
    assert Attempt.objects.get(channel="sms").error == "blocked number"


def test_a_gateway_that_raises_fails_the_batch_as_retryable(world):
    class Broken(RecordingGateway):
        def send_sms_batch(self, messages):
            raise TimeoutError("provider timed out for 13912345678")

    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        result = _round(campaign, fake, Broken(), budget=5)
    assert result.retried == 1
    attempt = Attempt.objects.get()
    assert attempt.status == AttemptStatus.FAILED
    assert attempt.error == "TimeoutError"  # never the message: it could hold a number


def test_quiet_hours_across_midnight_hold_everything_until_they_end(world):
    late = T0.replace(hour=22, minute=30)
    with FakeClock(late) as fake:
        campaign = running_campaign(
            world.community_a,
            [world.person_a1, world.person_a2],
            quiet_start=dt.time(21, 0),
            quiet_end=dt.time(8, 0),
        )
        gateway = RecordingGateway()
        result = _round(campaign, fake, gateway, budget=5)
        assert gateway.messages == []
        morning = (late + dt.timedelta(days=1)).replace(hour=8, minute=0)
        assert result.held_until == morning
        assert set(Recipient.objects.values_list("next_at", flat=True)) == {morning}
        fake.move(hours=2)  # 00:30, still quiet
        _round(campaign, fake, gateway, budget=5)
        assert gateway.messages == []
        fake.at = morning - dt.timedelta(minutes=1)
        fake.move(minutes=0)
        _round(campaign, fake, gateway, budget=5)
        assert gateway.messages == []
        fake.move(minutes=1)  # 08:00: the quiet hours are over
        _round(campaign, fake, gateway, budget=5)
    assert len(gateway.messages) == 2


def test_quiet_hours_within_a_day(world):
    with FakeClock(T0.replace(hour=12, minute=10)) as fake:
        campaign = running_campaign(
            world.community_a, [world.person_a1], quiet_start=dt.time(12), quiet_end=dt.time(14)
        )
        result = _round(campaign, fake, RecordingGateway(), budget=5)
    assert result.held_until == T0.replace(hour=14, minute=0)


def test_an_opted_out_number_is_never_contacted(world):
    OptOut.objects.create(phone_index=world.person_a1.phone_index, created_at=T0, source="keypad")
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1, world.person_a2])
        gateway = RecordingGateway()
        result = _round(campaign, fake, gateway, budget=5)
    assert [m.phone for m in gateway.messages] == [world.person_a2.phone.reveal()]
    assert result.opted_out == 1
    assert _state(world.person_a1, campaign).state == RecipientState.OPTED_OUT


def test_an_opt_out_of_sms_alone_skips_to_the_robot_call(world):
    OptOut.objects.create(
        phone_index=world.person_a1.phone_index, channel="sms", created_at=T0, source="sms_reply"
    )
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        gateway = RecordingGateway()
        _round(campaign, fake, gateway, budget=5)
    assert gateway.messages == [] and len(gateway.calls) == 1
    assert gateway.calls[0].choices == campaign.choices


def test_an_opt_out_answer_stops_later_campaigns_too(world):
    with FakeClock() as fake:
        first = running_campaign(world.community_a, [world.person_a1])
        _round(first, fake, RecordingGateway(), budget=5)
        attempt = Attempt.objects.get(campaign=first)
        callback_record(
            provider="local", event_id="1", reference=attempt.reference, kind="answered", digit="9"
        )
        second = running_campaign(world.community_a, [world.person_a1], name="第二次")
        gateway = RecordingGateway()
        _round(second, fake, gateway, budget=5)
    assert gateway.messages == []
    assert _state(world.person_a1, second).state == RecipientState.OPTED_OUT


def test_no_answer_escalates_sms_then_voice_then_notice_then_a_visit_task(world):
    account = world.resident
    account.person = world.person_a1
    account.save(update_fields=["person"])
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1], answer_minutes=60)
        gateway = RecordingGateway()
        _round(campaign, fake, gateway, budget=5)
        assert len(gateway.messages) == 1 and gateway.calls == []
        fake.move(minutes=59)
        _round(campaign, fake, gateway, budget=5)
        assert gateway.calls == []  # still waiting for an answer
        fake.move(minutes=1)
        _round(campaign, fake, gateway, budget=5)
        assert len(gateway.calls) == 1
        fake.move(minutes=60)
        _round(campaign, fake, gateway, budget=5)
        note = Notification.objects.get(recipient=account)
        notice = Attempt.objects.get(campaign=campaign, channel="notice")
        assert note.url == f"/m/outreach/{notice.reference}/"
        assert _state(world.person_a1, campaign).state == RecipientState.WAITING
        fake.move(minutes=60)
        result = _round(campaign, fake, gateway, budget=5)
    assert result.escalated == 1 and result.done is True
    task = VisitTask.objects.get()
    r = _state(world.person_a1, campaign)
    assert r.state == RecipientState.ESCALATED and r.visit_task == task
    assert task.source == f"campaign:{campaign.pk}"
    assert task.household == world.household_a1 and task.person == world.person_a1
    assert task.assignee == world.grid_worker_a
    assert task.due_on == (fake.at + dt.timedelta(days=1)).date()
    assert "张" not in task.reason
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FINISHED


def test_without_an_account_the_notice_is_skipped(world):
    assert not User.objects.filter(person=world.person_a2).exists()
    with FakeClock() as fake:
        campaign = running_campaign(
            world.community_a, [world.person_a2], channels=["notice", "visit"]
        )
        result = _round(campaign, fake, RecordingGateway(), budget=5)
    assert result.escalated == 1
    assert not Attempt.objects.filter(campaign=campaign).exists()


def test_a_person_without_a_phone_skips_sms_and_voice(world):
    with FakeClock() as fake:
        [nophone] = more_persons(world.household_a2, 1, phone=False)
        campaign = running_campaign(
            world.community_a, [nophone], channels=["sms", "voice", "visit"]
        )
        gateway = RecordingGateway()
        _round(campaign, fake, gateway, budget=5)
    assert gateway.messages == [] and gateway.calls == []
    assert _state(nophone, campaign).state == RecipientState.ESCALATED


def test_past_the_last_channel_the_recipient_could_not_be_reached(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1], channels=["sms"])
        _round(campaign, fake, RecordingGateway(), budget=5)
        fake.move(minutes=61)
        result = _round(campaign, fake, RecordingGateway(), budget=5)
    assert result.unreachable == 1 and result.done
    assert _state(world.person_a1, campaign).state == RecipientState.FAILED


def test_an_answer_ends_the_contact(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1, world.person_a2])
        gateway = RecordingGateway()
        _round(campaign, fake, gateway, budget=5)
        for n, attempt in enumerate(Attempt.objects.filter(campaign=campaign)):
            callback_record(
                provider="fake", event_id=str(n), reference=attempt.reference, kind="answered",
                digit="1",
            )  # fmt: skip
        fake.move(minutes=61)
        result = _round(campaign, fake, gateway, budget=5)
    assert gateway.calls == []
    assert result.done
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FINISHED


def test_a_paused_campaign_sends_nothing(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
        gateway = RecordingGateway()
        result = _round(campaign, fake, gateway, budget=5)
    assert gateway.messages == [] and not result.done


def test_an_answer_that_comes_before_the_results_are_recorded_wins(world):
    """A fast provider calls back while the dispatcher is still in its batch."""

    class Fast(RecordingGateway):
        def send_sms_batch(self, messages):
            results = super().send_sms_batch(messages)
            for m in messages:
                callback_record(
                    provider="fast", event_id=m.reference, reference=m.reference,
                    kind="answered", digit="1",
                )  # fmt: skip
            return results

    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        _round(campaign, fake, Fast(), budget=5)
    assert _state(world.person_a1, campaign).state == RecipientState.ANSWERED
    assert Attempt.objects.get().status == AttemptStatus.ANSWERED


def test_a_fast_pace_is_held_within_five_percent_in_batches(world, settings):
    settings.GONGZHI_OUTREACH_BATCH = 500
    with FakeClock() as fake:
        persons = more_persons(world.household_a1, 150)
        campaign = running_campaign(world.community_a, persons, pace_per_minute=1200)
        gateway = RecordingGateway(fake_clock=fake)
        _round(campaign, fake, gateway, budget=50)
    assert len(gateway.messages) == 150
    # One second's pace a batch (the last takes what is left).
    assert [n for _kind, n, _at in gateway.batches] == [20] * 7 + [10]
    times = [at for _kind, n, at in gateway.batches for _ in range(n)]
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + dt.timedelta(minutes=1)]
        assert len(in_window) <= 1200 * 1.05
    span = (times[-1] - times[0]).total_seconds()
    assert span == pytest.approx(140 / 1200 * 60, rel=0.05)  # 7 batches after the first
