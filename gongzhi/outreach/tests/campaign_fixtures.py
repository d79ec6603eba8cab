"""Shared pieces of the campaign tests: a clock that sleeps by moving, a recording
gateway, and a running campaign made straight in the tables (the services' own tests
make theirs through the services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone

from gongzhi.core import clock
from gongzhi.notifications.gateways import SendResult
from gongzhi.outreach.gateways import Call, Message
from gongzhi.outreach.models import Campaign, CampaignStatus, Recipient

# A Monday at 10:00 local time.
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))


class FakeClock:
    """`now` and `sleep` for `dispatch_round`: sleeping moves the (frozen) clock."""

    def __init__(self, at: dt.datetime = T0):
        self.at = at
        self.slept: list[float] = []
        self._freeze: Any = None

    def now(self) -> dt.datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.move(seconds=seconds)

    def move(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)
        self.__enter__()

    def __enter__(self) -> FakeClock:
        if self._freeze is not None:
            self._freeze.__exit__(None, None, None)
        self._freeze = clock.freeze(self.at)
        self._freeze.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._freeze is not None:
            self._freeze.__exit__(None, None, None)
            self._freeze = None


class RecordingGateway:
    """Accepts everything (or answers with `results(item)`), and remembers what it got,
    with the clock time of each batch."""

    name = "fake"

    def __init__(
        self,
        results: Callable[[Message | Call], SendResult] | None = None,
        fake_clock: FakeClock | None = None,
    ):
        self.messages: list[Message] = []
        self.calls: list[Call] = []
        self.batches: list[tuple[str, int, dt.datetime | None]] = []
        self.results = results
        self.clock = fake_clock

    def _answer(self, items: Sequence[Message | Call]) -> list[SendResult]:
        if self.results is None:
            return [
                SendResult(ok=True, status="sent", provider_id=f"p-{i.reference}") for i in items
            ]
        return [self.results(item) for item in items]

    def send_sms_batch(self, messages: Sequence[Message]) -> list[SendResult]:
        self.messages.extend(messages)
        self.batches.append(("sms", len(messages), self.clock.at if self.clock else None))
        return self._answer(messages)

    def place_calls(self, calls: Sequence[Call]) -> list[SendResult]:
        self.calls.extend(calls)
        self.batches.append(("voice", len(calls), self.clock.at if self.clock else None))
        return self._answer(calls)


def running_campaign(area: Any, persons: Sequence[Any], **fields: Any) -> Campaign:
    """A running campaign with one pending recipient per person, due now."""
    values: dict[str, Any] = {
        "name": "报到确认",
        "sms_text": "请回复 1 已报到，2 需要帮助，3 不是本人，9 不再接收",
        "voice_script": "您好，这里是社区。已报到请按 1，需要帮助请按 2，不是本人请按 3。",
        "choices": {"1": "已报到", "2": "需要帮助", "3": "不是本人"},
        "channels": ["sms", "voice", "notice", "visit"],
        "pace_per_minute": 600,
        "retries": 1,
        "retry_minutes": 30,
        "answer_minutes": 60,
    }
    values.update(fields)
    now = clock.now()
    campaign = Campaign.objects.create(
        area=area,
        area_path=area.path,
        status=CampaignStatus.RUNNING,
        started_at=now,
        **values,
    )
    Recipient.objects.bulk_create(
        Recipient(campaign=campaign, person=p, area_path=p.area_path, next_at=now) for p in persons
    )
    return campaign


def more_persons(household: Any, n: int, *, phone: bool = True) -> list[Any]:
    """`n` more persons in `household`, through the register's service."""
    from gongzhi.registry import services
    from gongzhi.testing import make_id_number, make_phone

    return [
        services.person_create(
            actor=None,
            household=household,
            data={
                "name": "测试" + chr(0x4E00 + i % 20000),
                "id_number": make_id_number(),
                "phone": make_phone() if phone else "",
                "relation": "other",
            },
        )
        for i in range(n)
    ]
