"""The demo's campaigns: a finished one per community with answers by choice and a few
visit tasks for the grid workers; a paused one in the first community."""

from gongzhi.accounts.models import User
from gongzhi.outreach import selectors
from gongzhi.outreach.models import CampaignStatus
from gongzhi.visits.models import VisitTask


def test_each_community_has_a_finished_campaign_with_answers_and_visit_tasks(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        campaigns = list(selectors.campaign_list_for(user=secretary))
        finished = [c for c in campaigns if c.status == CampaignStatus.FINISHED]
        assert len(finished) == 1, slug
        progress = selectors.campaign_progress(finished[0])
        assert progress.answered > 0 and progress.escalated > 0, slug
        assert progress.pending == progress.waiting == 0, slug
        assert sum(n for _d, _l, n in progress.by_choice) == progress.answered, slug
        tasks = VisitTask.objects.filter(source=f"campaign:{finished[0].pk}")
        assert tasks.count() >= 1 and all(t.assignee_id for t in tasks), slug


def test_one_campaign_is_paused(demo):
    secretary = User.objects.get(username="yuling-secretary")
    statuses = [c.status for c in selectors.campaign_list_for(user=secretary)]
    assert CampaignStatus.PAUSED in statuses
