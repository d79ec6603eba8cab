"""The demo's proposals and polls: each community has a followed-up proposal with supports,
one waiting for staff, a closed poll with results and an open one with an anomaly flag."""

from gongzhi.accounts.models import User
from gongzhi.proposals import selectors
from gongzhi.proposals.models import Flag, Poll, Proposal


def test_each_community_has_proposals_and_polls(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        proposals = selectors.proposal_queue_for(user=secretary)
        followed = proposals.get(status="in_progress")
        assert followed.support_count >= 5 and followed.answer, slug
        assert followed.updates.filter(action="progress").count() == 2
        assert proposals.filter(status="submitted").exists(), slug
        closed = Poll.objects.get(proposal=followed)
        assert selectors.poll_results(closed).total > 5
        open_poll = Poll.objects.restrict(secretary, "proposal.manage").exclude(pk=closed.pk).get()
        assert Flag.objects.filter(poll=open_poll, kind="device", count=4).exists(), slug


def test_the_demo_resident_sees_them_on_the_phone(demo):
    resident = User.objects.get(username="yuling-resident")
    assert selectors.proposal_list_for(user=resident).filter(status="in_progress").exists()
    assert selectors.poll_list_for(user=resident).count() == 2
    assert Proposal.objects.count() == 6
