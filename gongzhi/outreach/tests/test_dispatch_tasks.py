"""The worker: a round re-enqueues itself while the campaign runs; the safety job
restarts a running campaign whose chain of rounds was lost."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from gongzhi.jobs import PERIODIC_JOBS
from gongzhi.outreach import tasks
from gongzhi.outreach.models import Campaign, CampaignStatus
from gongzhi.outreach.tests.campaign_fixtures import FakeClock, running_campaign

pytestmark = pytest.mark.django_db


def _queued():
    return list(
        DBTaskResult.objects.filter(task_path=tasks.TASK_PATH, status="READY").values_list(
            "args_kwargs", flat=True
        )
    )


def test_a_round_enqueues_the_next_while_the_campaign_runs(world, monkeypatch):
    from gongzhi.outreach import dispatch

    with FakeClock():
        campaign = running_campaign(world.community_a, [world.person_a1], pace_per_minute=1)
        monkeypatch.setattr(
            tasks, "dispatch_round", lambda pk: dispatch.RoundResult(sent=1, done=False)
        )
        tasks.dispatch_campaign.call(campaign.pk)
    assert [q["args"] for q in _queued()] == [[campaign.pk]]


def test_no_next_round_once_the_campaign_is_done(world, monkeypatch):
    from gongzhi.outreach import dispatch

    with FakeClock():
        campaign = running_campaign(world.community_a, [world.person_a1])
        monkeypatch.setattr(tasks, "dispatch_round", lambda pk: dispatch.RoundResult(done=True))
        tasks.dispatch_campaign.call(campaign.pk)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
        monkeypatch.setattr(tasks, "dispatch_round", lambda pk: dispatch.RoundResult(done=False))
        tasks.dispatch_campaign.call(campaign.pk)
    assert _queued() == []


def test_the_safety_job_restarts_running_campaigns_without_a_round(world):
    with FakeClock():
        stalled = running_campaign(world.community_a, [world.person_a1])
        busy = running_campaign(world.community_a, [world.person_a2], name="有任务")
        paused = running_campaign(world.community_a, [world.person_a2], name="暂停")
        Campaign.objects.filter(pk=paused.pk).update(status=CampaignStatus.PAUSED)
        tasks.enqueue_dispatch(busy.pk)
        assert tasks.restart_stalled_campaigns.call() == 1
        assert sorted(q["args"][0] for q in _queued()) == sorted([stalled.pk, busy.pk])
        assert tasks.restart_stalled_campaigns.call() == 0


def test_the_safety_job_is_declared_once():
    names = [job.task for job in PERIODIC_JOBS]
    assert names.count("gongzhi.outreach.tasks.restart_stalled_campaigns") == 1
