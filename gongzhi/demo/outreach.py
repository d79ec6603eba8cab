"""Demo data for outreach campaigns (智能外呼), see gongzhi/demo/extras.py: in each
community a finished campaign to the elderly living alone (answers by choice, a few who
never answered turned into home-visit tasks for their grid worker, a few unreachable),
and in the first community a second campaign, paused after its start.

Created and started by the system (`campaign_create` / `campaign_start` with
`actor=None`); the outcomes (attempts, answers) are written in bulk as the dispatcher and
the provider's callbacks would have left them, with one `demo.outreach` audit entry per
community. Nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone

from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.health.sunset import retain_until
from gongzhi.outreach import services
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Recipient,
    RecipientState,
)
from gongzhi.registry.models import Area, AreaKind, Household
from gongzhi.visits.models import VisitTask
from gongzhi.visits.services import visit_task_create

PACE = 600
ESCALATED = 3  # per community: "a few" visit tasks
# Of the others: answered 1 / 2 / 3, or not reached at all.
OUTCOMES = (("1", 0.78), ("2", 0.12), ("3", 0.04), ("", 0.06))

SCRIPT = {
    "name": "独居老人寒潮关怀回访",
    "sms_text": "【社区】寒潮来袭，请注意保暖。回复 1 一切安好，2 需要帮助，3 不是本人，9 不再接收。",
    "voice_script": "您好，这里是社区居委会。寒潮来袭，一切安好请按 1，需要帮助请按 2，"
    "不是本人请按 3，不再接收请按 9。",
    "choices": {"1": "一切安好", "2": "需要帮助", "3": "不是本人"},
    "channels": ["sms", "voice", "notice", "visit"],
    "pace_per_minute": PACE,
    "quiet_start": dt.time(21),
    "quiet_end": dt.time(8),
    "retries": 1,
    "retry_minutes": 30,
    "answer_minutes": 60,
}


def _finished(community: Area, rng: random.Random) -> tuple[Campaign, dict[str, int]]:
    campaign = services.campaign_create(
        actor=None,
        area=community,
        audience={"kind": "tag", "tag": "elderly_alone"},
        **SCRIPT,
    )
    services.campaign_start(actor=None, campaign=campaign)
    now = clock.now()
    started = now - dt.timedelta(days=1, hours=2)
    keep = retain_until("campaign", started)
    recipients = list(
        Recipient.objects.filter(campaign=campaign).select_related("person").order_by("pk")
    )
    attempts: list[Attempt] = []
    counts = {"answered": 0, "escalated": 0, "failed": 0}
    escalate = set(rng.sample(range(len(recipients)), min(ESCALATED, len(recipients))))
    households = Household.objects.in_bulk({recipients[i].person.household_id for i in escalate})
    for n, recipient in enumerate(recipients):
        at = started + dt.timedelta(seconds=n * 60 / PACE)
        sms = Attempt(
            recipient=recipient, campaign=campaign, channel="sms",
            reference=secrets.token_urlsafe(12), gateway="local", status=AttemptStatus.DELIVERED,
            created_at=at, sent_at=at, delivered_at=at + dt.timedelta(seconds=5),
            retain_until=keep,
        )  # fmt: skip
        attempts.append(sms)
        recipient.retain_until = keep
        if n in escalate:
            call_at = at + dt.timedelta(hours=1)
            attempts.append(
                Attempt(
                    recipient=recipient,
                    campaign=campaign,
                    channel="voice",
                    reference=secrets.token_urlsafe(12),
                    gateway="local",
                    status=AttemptStatus.SENT,
                    created_at=call_at,
                    sent_at=call_at,
                    retain_until=keep,
                )
            )
            recipient.visit_task = visit_task_create(
                actor=None,
                household=households[recipient.person.household_id],
                person=recipient.person,
                source=f"campaign:{campaign.pk}",
                reason=f"外呼“{campaign.name}”无应答，请上门核实",
                due_on=timezone.localdate(now),
            )
            recipient.state, recipient.channel_index = RecipientState.ESCALATED, 3
            counts["escalated"] += 1
            continue
        digit = rng.choices([d for d, _w in OUTCOMES], [w for _d, w in OUTCOMES])[0]
        if digit:
            answered = at + dt.timedelta(minutes=rng.randint(1, 50))
            sms.status, sms.digit, sms.answered_at = AttemptStatus.ANSWERED, digit, answered
            recipient.state, recipient.answer = RecipientState.ANSWERED, digit
            recipient.answered_at, recipient.answered_via = answered, "sms"
            counts["answered"] += 1
        else:
            recipient.state, recipient.channel_index = RecipientState.FAILED, 4
            counts["failed"] += 1
        recipient.next_at = None
    Attempt.objects.bulk_create(attempts, batch_size=1000)
    Recipient.objects.bulk_update(
        recipients,
        ["state", "channel_index", "answer", "answered_at", "answered_via", "next_at",
         "visit_task", "retain_until"],
        batch_size=500,
    )  # fmt: skip
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.FINISHED,
        started_at=started,
        finished_at=started + dt.timedelta(hours=4),
    )
    return campaign, counts


def _paused(community: Area) -> Campaign | None:
    grid = Area.objects.within(community.path).filter(kind=AreaKind.GRID).order_by("path").first()
    if grid is None:
        return None
    campaign = services.campaign_create(
        actor=None,
        area=community,
        audience={"kind": "grid", "grid": grid.pk},
        **{
            **SCRIPT,
            "name": "新冠疫苗加强针接种意向",
            "sms_text": "【社区】本周六社区卫生站可接种加强针。回复 1 愿意接种，2 已接种，"
            "3 暂不接种，9 不再接收。",
            "voice_script": "您好，这里是社区卫生站。愿意接种加强针请按 1，已接种请按 2，"
            "暂不接种请按 3。",
            "choices": {"1": "愿意接种", "2": "已接种", "3": "暂不接种"},
            "channels": ["sms", "voice"],
        },
    )
    services.campaign_start(actor=None, campaign=campaign)
    return services.campaign_pause(actor=None, campaign=campaign)


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    for index, loaded in enumerate(communities):
        community = loaded.community
        rng = random.Random(f"{seed}:outreach:{loaded.plan.spec.slug}")
        campaign, counts = _finished(community, rng)
        paused = _paused(community) if index == 0 else None
        audit_record(
            actor=None,
            action="demo.outreach",
            obj=community,
            area_path=community.path,
            fields=["campaigns"],
            purpose=f"demo data: campaign #{campaign.pk} finished"
            + (f", campaign #{paused.pk} paused" if paused else ""),
        )
        say(
            f"{loaded.plan.spec.name}: campaign of {sum(counts.values())} "
            f"({counts['answered']} answered, {counts['escalated']} visit tasks)"
        )
    say(f"Outreach: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' campaigns (recipients, attempts with them) and the
    visit tasks they asked for."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    campaigns = Campaign.objects.within(*paths) if paths else Campaign.objects.none()
    ids = list(campaigns.values_list("pk", flat=True))
    VisitTask.objects.filter(source__in=[f"campaign:{pk}" for pk in ids]).delete()
    campaigns.delete()
    say(f"Removed the demo's campaigns ({len(ids)}).")
