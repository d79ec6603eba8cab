"""The outreach worker: a campaign's rounds re-enqueue themselves while it runs; a
periodic safety job restarts a running campaign whose chain of rounds was lost."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from gongzhi.core import clock
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.models import Campaign, CampaignStatus

TASK_PATH = "gongzhi.outreach.tasks.dispatch_campaign"
# The longest wait between two rounds (a round planned for later still looks in, so that
# a resumed or edited campaign never waits hours).
MAX_WAIT = dt.timedelta(minutes=5)


def enqueue_dispatch(campaign_id: int, run_after: dt.datetime | None = None) -> None:
    backend = dispatch_campaign.get_backend()
    if run_after is not None and backend.supports_defer:
        dispatch_campaign.using(run_after=run_after).enqueue(campaign_id)
    elif run_after is None:
        dispatch_campaign.enqueue(campaign_id)


@task()
def dispatch_campaign(campaign_id: int) -> str:
    """One round of the campaign; while it runs, the next round is enqueued."""
    result = dispatch_round(campaign_id)
    running = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING).exists()
    if running and not result.done:
        now = clock.now()
        at = min(max(result.next_due or now, now), now + MAX_WAIT)
        enqueue_dispatch(campaign_id, run_after=at)
    return f"sent {result.sent}, failed {result.failed}, escalated {result.escalated}"


def campaigns_without_a_round() -> list[int]:
    """Running campaigns with no round waiting or running in the queue."""
    from django_tasks_db.models import DBTaskResult

    running = list(
        Campaign.objects.filter(status=CampaignStatus.RUNNING).values_list("pk", flat=True)
    )
    if not running:
        return []
    queued = DBTaskResult.objects.filter(
        task_path=TASK_PATH, status__in=["READY", "RUNNING"]
    ).values_list("args_kwargs", flat=True)
    busy = {(a.get("args") or [None])[0] for a in queued if isinstance(a, dict)}
    return [pk for pk in running if pk not in busy]


@task()
def restart_stalled_campaigns() -> int:
    """Safety net: enqueue a round for every running campaign that has none."""
    stalled = campaigns_without_a_round()
    for campaign_id in stalled:
        enqueue_dispatch(campaign_id)
    return len(stalled)
