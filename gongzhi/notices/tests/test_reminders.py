"""Urgent notices: one SMS to each unread person aged 65+, after the notice's delay,
through the configured gateway (the local one here), never twice."""

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from gongzhi.core import clock
from gongzhi.notices import services
from gongzhi.notices.models import NoticeReminder
from gongzhi.notices.tests.factories import publish, resident_of
from gongzhi.notifications.models import SmsMessage, SmsStatus
from gongzhi.notifications.tasks import send_sms

ELDER = dt.date(1950, 3, 1)


@pytest.fixture
def now():
    return clock.now()


@pytest.fixture
def elder(world):
    return resident_of(world.household_a1, "孙奶奶", birth=ELDER, phone="13912340001")


def _urgent(world, now, **extra):
    data = {"kind": "urgent", "published_at": now - dt.timedelta(hours=3)}
    data.update(extra)
    return publish(world.building_a1, **data)


def _run(now, django_capture_on_commit_callbacks):
    with clock.freeze(now), django_capture_on_commit_callbacks(execute=True):
        return services.urgent_reminders_send(now=now)


def test_an_unread_elder_gets_one_sms_through_the_gateway(
    world, elder, now, django_capture_on_commit_callbacks
):
    notice = _urgent(world, now)
    assert _run(now, django_capture_on_commit_callbacks) == 1
    message = SmsMessage.objects.get()
    assert message.to.reveal() == "13912340001" and message.to_masked == "139****0001"
    [task] = DBTaskResult.objects.filter(task_path="gongzhi.notifications.tasks.send_sms")
    assert task.args_kwargs["args"] == [message.pk]  # queued after the commit
    assert send_sms.call(message.pk) == "delivered"  # by the local gateway
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED and message.kind == "notice.urgent"
    assert notice.title in message.text
    assert NoticeReminder.objects.get().person == elder


def test_running_again_sends_nothing_more(world, elder, now, django_capture_on_commit_callbacks):
    _urgent(world, now)
    _run(now, django_capture_on_commit_callbacks)
    assert _run(now + dt.timedelta(minutes=5), django_capture_on_commit_callbacks) == 0
    assert SmsMessage.objects.count() == 1


def test_younger_residents_get_none(world, now, django_capture_on_commit_callbacks):
    resident_of(world.household_a1, "周小刚", birth=dt.date(1990, 1, 1))
    _urgent(world, now)
    assert _run(now, django_capture_on_commit_callbacks) == 0  # 张晓明 (1980) neither


def test_an_elder_who_has_read_it_gets_none(world, elder, now, django_capture_on_commit_callbacks):
    notice = _urgent(world, now)
    services.notice_mark_read(notice=notice, person=elder, user=None)
    assert _run(now, django_capture_on_commit_callbacks) == 0


def test_news_is_never_texted(world, elder, now, django_capture_on_commit_callbacks):
    _urgent(world, now, kind="news")
    assert _run(now, django_capture_on_commit_callbacks) == 0


def test_nothing_before_the_delay(world, elder, now, django_capture_on_commit_callbacks):
    _urgent(world, now, published_at=now - dt.timedelta(minutes=50), sms_delay_minutes=60)
    assert _run(now, django_capture_on_commit_callbacks) == 0
    assert _run(now + dt.timedelta(minutes=11), django_capture_on_commit_callbacks) == 1


def test_elders_outside_the_targets_get_none(world, now, django_capture_on_commit_callbacks):
    resident_of(world.household_a2, "吴爷爷", birth=ELDER)
    _urgent(world, now)
    assert _run(now, django_capture_on_commit_callbacks) == 0


def test_a_withdrawn_notice_is_not_texted(world, elder, now, django_capture_on_commit_callbacks):
    notice = _urgent(world, now)
    services.notice_withdraw(actor=None, notice=notice)
    assert _run(now, django_capture_on_commit_callbacks) == 0


def test_an_elder_without_phone_is_skipped(world, now, django_capture_on_commit_callbacks):
    resident_of(world.household_a1, "郑奶奶", birth=ELDER, phone="")
    _urgent(world, now)
    assert _run(now, django_capture_on_commit_callbacks) == 0


def test_the_phone_is_never_logged(world, elder, now, django_capture_on_commit_callbacks, caplog):
    _urgent(world, now)
    with caplog.at_level("DEBUG"):
        _run(now, django_capture_on_commit_callbacks)
    assert "13912340001" not in caplog.text and "孙奶奶" not in caplog.text


def test_the_periodic_job_is_declared():
    from gongzhi.jobs import PERIODIC_JOBS

    names = {job.task for job in PERIODIC_JOBS}
    assert "gongzhi.notices.tasks.send_urgent_reminders" in names
