"""notify(): the inbox now, SMS after commit through the gateway, every SMS in the outbox."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from gongzhi.accounts.services import user_set_phone
from gongzhi.core import clock
from gongzhi.notifications import services
from gongzhi.notifications.gateways import LocalGateway, SendResult
from gongzhi.notifications.models import Notification, SmsMessage, SmsStatus
from gongzhi.notifications.selectors import inbox_for, unread_count_for
from gongzhi.notifications.tasks import send_sms

PHONE = "13912340000"


class Scripted:
    """A gateway that answers from a list, for the retry logic (the real HTTP gateway is
    tested against a real server in test_http_gateway.py)."""

    name = "scripted"

    def __init__(self, *results: SendResult):
        self.results = list(results)
        self.sent: list[tuple[str, str]] = []

    def send(self, *, phone, text, reference=""):
        self.sent.append((phone, text))
        return self.results.pop(0)


@pytest.fixture
def resident_with_phone(world):
    user_set_phone(user=world.resident, phone=PHONE)
    return world.resident


def _queued_sends() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="gongzhi.notifications.tasks.send_sms"))


def test_notify_puts_one_row_in_each_inbox_once(world):
    notes = services.notify(
        recipients=[world.resident, world.grid_worker_a, world.resident.pk],
        kind="test.hello",
        title="你好",
        body="正文",
        url="/m/",
        actor=world.secretary,
        obj=world.household_a1,
    )
    assert len(notes) == 2
    note = inbox_for(user=world.resident).get()
    assert (note.title, note.body, note.url, note.kind) == ("你好", "正文", "/m/", "test.hello")
    assert note.actor == world.secretary
    assert (note.object_type, note.object_id) == ("registry.household", str(world.household_a1.pk))
    assert unread_count_for(world.grid_worker_a) == 1


def test_notify_skips_inactive_users(world):
    world.outsider.is_active = False
    world.outsider.save()
    assert services.notify(recipients=[world.outsider], kind="k", title="t") == []


def test_without_sms_nothing_is_texted(resident_with_phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[resident_with_phone], kind="k", title="t")
    assert not SmsMessage.objects.exists()
    assert not _queued_sends()


def test_sms_is_recorded_masked_and_sent_after_commit_by_a_task(
    resident_with_phone, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(
            recipients=[resident_with_phone, world.grid_worker_a],  # the worker has no phone
            kind="workorder.accepted",
            title="您的工单已受理",
            body="志愿者将联系您",
            sms=True,
        )
    message = SmsMessage.objects.get()
    assert message.to_masked == "139****0000" and message.to.reveal() == PHONE
    assert message.text == "【共治】您的工单已受理：志愿者将联系您"
    assert (message.status, message.gateway, message.recipient) == (
        "queued",
        "local",
        resident_with_phone,
    )
    assert message.notification.recipient == resident_with_phone
    assert not _queued_sends()  # nothing is enqueued before the commit
    for callback in callbacks:
        callback()
    [task] = _queued_sends()
    assert task.args_kwargs["args"] == [message.pk]


def test_a_rolled_back_change_sends_nothing(
    resident_with_phone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
        transaction.set_rollback(True)
    assert not SmsMessage.objects.exists()
    assert not _queued_sends()


def test_the_local_gateway_marks_the_message_delivered(resident_with_phone):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()
    assert send_sms.call(message.pk) == "delivered"
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED and message.attempts == 1
    assert message.provider_id.startswith("local-") and message.sent_at is not None


def test_sending_twice_sends_once(resident_with_phone):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()
    gateway = Scripted(SendResult(ok=True, provider_id="p1"))
    services.sms_deliver(message.pk, gateway=gateway)
    assert services.sms_deliver(message.pk, gateway=gateway) is None
    assert len(gateway.sent) == 1
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_a_temporary_failure_is_retried_later_with_backoff(
    resident_with_phone, django_capture_on_commit_callbacks
):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()
    gateway = Scripted(
        SendResult(ok=False, error="HTTP 503", retryable=True),
        SendResult(ok=False, error="HTTP 429", retryable=True, retry_after=7),
        SendResult(ok=True, provider_id="p-9"),
    )
    now = clock.now()
    with clock.freeze(now), django_capture_on_commit_callbacks(execute=True):
        services.sms_deliver(message.pk, gateway=gateway)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == ("queued", 1, "HTTP 503")
    assert message.next_attempt_at == now + dt.timedelta(seconds=30)
    [retry] = _queued_sends()
    assert retry.run_after == now + dt.timedelta(seconds=30)

    with clock.freeze(now), django_capture_on_commit_callbacks(execute=True):
        services.sms_deliver(message.pk, gateway=gateway)
    message.refresh_from_db()
    assert message.next_attempt_at == now + dt.timedelta(seconds=7)  # the provider's wish

    services.sms_deliver(message.pk, gateway=gateway)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id, message.error) == (
        "sent",
        3,
        "p-9",
        "",
    )


def test_backoff_doubles_and_is_capped():
    assert [services.retry_delay(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert services.retry_delay(20) == 3600
    assert services.retry_delay(3, retry_after=5) == 5


@override_settings(GONGZHI_SMS_MAX_ATTEMPTS=2)
def test_after_the_last_attempt_the_message_fails(resident_with_phone):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()
    gateway = Scripted(*[SendResult(ok=False, error="timeout", retryable=True)] * 2)
    services.sms_deliver(message.pk, gateway=gateway)
    services.sms_deliver(message.pk, gateway=gateway)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == ("failed", 2, "timeout")


def test_a_refusal_is_not_retried(resident_with_phone):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()
    services.sms_deliver(
        message.pk, gateway=Scripted(SendResult(ok=False, error="HTTP 400 bad_number"))
    )
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)


def test_a_gateway_that_crashes_does_not_leave_the_message_sending(resident_with_phone):
    services.notify(recipients=[resident_with_phone], kind="k", title="t", sms=True)
    message = SmsMessage.objects.get()

    class Broken(LocalGateway):
        def send(self, **kwargs):
            raise RuntimeError("boom")

    services.sms_deliver(message.pk, gateway=Broken())
    message.refresh_from_db()
    assert message.status == "failed" and "boom" in message.error


def test_a_sign_in_code_sent_by_a_real_provider_is_blanked_out_afterwards(db):
    message = services.sms_send(
        phone=PHONE,
        text="【共治】验证码 123456，5分钟内有效。",
        kind="auth.sms_code",
        sensitive=True,
    )
    services.sms_deliver(message.pk, gateway=Scripted(SendResult(ok=True)))
    message.refresh_from_db()
    assert "123456" not in message.text and "••••••" in message.text


def test_the_local_gateway_keeps_a_sign_in_code_readable_in_the_outbox(db):
    message = services.sms_send(
        phone=PHONE, text="【共治】验证码 123456", kind="auth.sms_code", sensitive=True
    )
    services.sms_deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "delivered" and "123456" in message.text


def test_long_texts_are_cut_for_sms(resident_with_phone):
    services.notify(
        recipients=[resident_with_phone], kind="k", title="标题", body="长" * 500, sms=True
    )
    text = SmsMessage.objects.get().text
    assert len(text) == services.SMS_MAX and text.endswith("…")
    assert len(Notification.objects.get().body) == 500


def test_mark_read_touches_only_ones_own(world):
    mine = services.notify(recipients=[world.resident], kind="k", title="a")[0]
    theirs = services.notify(recipients=[world.outsider], kind="k", title="b")[0]
    assert services.notifications_mark_read(user=world.resident, ids=[mine.pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    services.notify(recipients=[world.resident], kind="k", title="c")
    assert services.notifications_mark_read(user=world.resident) == 1
    assert unread_count_for(world.resident) == 0


def test_a_gateway_with_the_bare_protocol_works(db):
    class Bare:
        name = "bare"

        def send(self, *, phone, text):
            return SendResult(ok=True, provider_id=f"bare-{phone[-4:]}")

    message = services.sms_send(phone=PHONE, text="x", kind="k")
    services.sms_deliver(message.pk, gateway=Bare())
    message.refresh_from_db()
    assert (message.status, message.provider_id, message.gateway) == ("sent", "bare-0000", "bare")


def test_lazy_translated_texts_are_accepted(world):
    from django.utils.translation import gettext_lazy

    [note] = services.notify(recipients=[world.resident], kind="k", title=gettext_lazy("Home"))
    assert note.title in {"Home", "首页"}


def test_an_sms_may_leave_the_inbox_body_out(world):
    user_set_phone(user=world.resident, phone="13912340000")
    services.notify(
        recipients=[world.resident], kind="k", title="工单已办结", body="张三家的水管", sms=True,
        sms_body="",
    )  # fmt: skip

    assert SmsMessage.objects.get().text.endswith("工单已办结")
    assert Notification.objects.get().body == "张三家的水管"
