"""Proposals and polls: every write, each refusal and each denied permission."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.proposals import services
from gongzhi.proposals.models import Support, Vote
from gongzhi.proposals.tests.conftest import open_poll, published


def _fields(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- proposals ----------------------------------------------------------------------------


def test_resident_writes_a_proposal_that_waits_for_staff(people):
    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.grid_a1,
        title="  楼道  照明 ", body="晚上太黑",
    )  # fmt: skip
    assert (proposal.status, proposal.title, proposal.by_proxy) == ("submitted", "楼道 照明", False)
    entry = AuditEntry.objects.get(action="proposal.submit")
    assert "楼道" not in entry.object_label


def test_empty_title_and_body_are_named(people):
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(
            actor=people.resident, person=people.world.person_a1,
            area=people.world.community_a, title="  ", body="",
        )  # fmt: skip
    assert set(_fields(exc)) == {"title", "body"}


def test_proposal_for_an_area_where_the_household_is_not_is_refused(people):
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(
            actor=people.resident, person=people.world.person_a1, area=people.world.grid_a2,
            title="题目", body="内容",
        )  # fmt: skip
    assert list(_fields(exc)) == ["area"]


def test_proxy_writes_for_the_parent_labelled_by_proxy(people):
    proposal = services.proposal_submit(
        actor=people.proxy, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    assert proposal.by_proxy and proposal.author_person == people.world.person_a1


def test_writing_for_someone_one_does_not_act_for_is_refused(people):
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(
            actor=people.proxy, person=people.world.person_a2, area=people.world.community_a,
            title="题目", body="内容",
        )  # fmt: skip
    assert list(_fields(exc)) == ["person"]


def test_account_without_a_register_person_cannot_propose(people):
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(
            actor=people.world.resident, person=None, area=people.world.community_a,
            title="题目", body="内容",
        )  # fmt: skip
    assert list(_fields(exc)) == ["person"]


def test_staff_follow_a_proposal_to_the_end(people):
    proposal = published(people)
    for action, note in [
        ("answer", "同意立项，下月勘察。"),
        ("progress", "已完成勘察。"),
        ("progress", "施工队进场。"),
        ("done", "电梯已投入使用。"),
    ]:
        proposal = services.proposal_transition(
            actor=people.staff, proposal=proposal, action=action, note=note
        )
    assert proposal.status == "done"
    assert proposal.answer == "同意立项，下月勘察。" and proposal.result == "电梯已投入使用。"
    assert [u.action for u in proposal.updates.all()] == [
        "publish", "answer", "progress", "progress", "done",
    ]  # fmt: skip


def test_decline_needs_a_reason(people):
    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.proposal_transition(actor=people.staff, proposal=proposal, action="decline")
    assert list(_fields(exc)) == ["reason"]
    declined = services.proposal_transition(
        actor=people.staff, proposal=proposal, action="decline", note="不属于社区事务"
    )
    assert declined.status == "declined" and declined.decline_reason == "不属于社区事务"


def test_a_step_not_from_the_status_is_refused(people):
    proposal = published(people)
    with pytest.raises(IllegalTransition):
        services.proposal_transition(actor=people.staff, proposal=proposal, action="done", note="x")
    with pytest.raises(IllegalTransition):
        services.proposal_transition(actor=people.staff, proposal=proposal, action="publish")


def test_grid_worker_sees_but_may_not_publish(people):
    proposal = published(people)
    with pytest.raises(Forbidden):
        services.proposal_transition(
            actor=people.world.grid_worker_a, proposal=proposal, action="answer", note="好"
        )


def test_staff_of_another_community_do_not_find_it(people):
    proposal = published(people)
    with pytest.raises(NotFound):
        services.proposal_transition(
            actor=people.stranger, proposal=proposal, action="answer", note="好"
        )


def test_resident_cannot_publish_their_own(people):
    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    with pytest.raises(Forbidden):
        services.proposal_transition(actor=people.resident, proposal=proposal, action="publish")


# --- supports -----------------------------------------------------------------------------


def test_one_support_per_person_not_per_account(people):
    proposal = published(people)
    services.proposal_support(
        actor=people.resident, proposal=proposal, person=people.world.person_a1
    )
    with pytest.raises(ValidationError) as exc:  # the proxy, for the same person
        services.proposal_support(
            actor=people.proxy, proposal=proposal, person=people.world.person_a1
        )
    assert list(_fields(exc)) == ["person"]
    assert Support.objects.filter(proposal=proposal).count() == 1


def test_proxy_support_is_labelled(people):
    proposal = published(people)
    support = services.proposal_support(
        actor=people.proxy, proposal=proposal, person=people.world.person_a1
    )
    assert support.by_proxy and support.user == people.proxy


def test_support_from_outside_the_area_is_refused(people):
    proposal = published(people, area=people.world.grid_a1)
    with pytest.raises(ValidationError) as exc:
        services.proposal_support(
            actor=people.neighbour, proposal=proposal, person=people.world.person_a2
        )
    assert list(_fields(exc)) == ["person"]


def test_support_for_someone_one_does_not_act_for_is_refused(people):
    proposal = published(people)
    with pytest.raises(ValidationError) as exc:
        services.proposal_support(
            actor=people.neighbour, proposal=proposal, person=people.world.person_a1
        )
    assert "person" in _fields(exc)


def test_a_waiting_proposal_takes_no_support(people):
    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.proposal_support(
            actor=people.neighbour, proposal=proposal, person=people.world.person_a2
        )
    assert list(_fields(exc)) == ["proposal"]


def test_the_database_holds_one_support_per_person(people):
    from django.db import IntegrityError, transaction

    proposal = published(people)
    services.proposal_support(
        actor=people.resident, proposal=proposal, person=people.world.person_a1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(
            proposal=proposal, person=people.world.person_a1, user=people.proxy, at=clock.now(),
            area_path=proposal.area_path,
        )  # fmt: skip


# --- polls ----------------------------------------------------------------------------------


def test_poll_needs_two_options_and_to_close_after_it_opens(people):
    now = clock.now()
    with pytest.raises(ValidationError) as exc:
        open_poll(people, question="", options=["同意", " "], closes_at=now - dt.timedelta(days=1))
    assert set(_fields(exc)) == {"question", "options", "closes_at"}


def test_poll_takes_at_most_ten_options(people):
    with pytest.raises(ValidationError) as exc:
        open_poll(people, options=[f"选项{i}" for i in range(11)])
    assert list(_fields(exc)) == ["options"]


def test_only_staff_open_polls(people):
    with pytest.raises(Forbidden):
        open_poll(people, actor=people.world.grid_worker_a)


def test_a_proposal_becomes_one_poll(people):
    proposal = published(people)
    poll = open_poll(people, proposal=proposal, area=None)
    assert poll.proposal == proposal and poll.area_path == proposal.area_path
    with pytest.raises(ValidationError) as exc:
        open_poll(people, proposal=proposal, area=None)
    assert list(_fields(exc)) == ["proposal"]


def _vote(people, poll, actor=None, person=None, option=None, **extra):
    return services.poll_vote(
        actor=actor or people.resident,
        poll=poll,
        person=person or people.world.person_a1,
        option=option or poll.options.first(),
        **extra,
    )


def test_one_vote_per_person_and_a_proxy_vote_is_labelled(people):
    poll = open_poll(people)
    vote = _vote(people, poll, actor=people.proxy, address="10.0.0.5", device="abc")
    assert vote.by_proxy and vote.user == people.proxy
    with pytest.raises(ValidationError) as exc:
        _vote(people, poll)  # the person's own account, after the proxy voted for them
    assert list(_fields(exc)) == ["person"]
    assert Vote.objects.filter(poll=poll).count() == 1


def test_a_vote_keeps_digests_not_the_address_or_device(people):
    poll = open_poll(people)
    vote = _vote(people, poll, address="10.0.0.5", device="cookie-value")
    assert vote.address_digest and vote.device_digest
    stored = f"{vote.address_digest} {vote.device_digest}"
    assert "10.0.0.5" not in stored and "cookie-value" not in stored
    assert vote.account_created_at == people.resident.date_joined


def test_voting_when_closed_or_not_yet_open_is_refused(people):
    now = clock.now()
    closed = open_poll(
        people, opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(days=1)
    )
    later = open_poll(
        people, opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=2)
    )
    for poll in (closed, later):
        with pytest.raises(ValidationError) as exc:
            _vote(people, poll)
        assert list(_fields(exc)) == ["poll"]


def test_voting_for_someone_one_does_not_act_for_is_refused(people):
    poll = open_poll(people)
    with pytest.raises(ValidationError) as exc:
        _vote(people, poll, actor=people.neighbour, person=people.world.person_a1)
    assert list(_fields(exc)) == ["person"]


def test_voting_from_outside_the_area_is_refused(people):
    poll = open_poll(people, area=people.world.grid_a1)
    with pytest.raises(ValidationError) as exc:
        _vote(people, poll, actor=people.neighbour, person=people.world.person_a2)
    assert list(_fields(exc)) == ["person"]


def test_an_option_of_another_poll_is_refused(people):
    poll, other = open_poll(people), open_poll(people)
    with pytest.raises(ValidationError) as exc:
        _vote(people, poll, option=other.options.first())
    assert list(_fields(exc)) == ["option"]


def test_the_database_holds_one_vote_per_person(people):
    """Two votes for one person that both passed the check (two transactions at once):
    the unique constraint lets one through and the service answers the other as a field
    error."""
    from unittest import mock

    poll = open_poll(people)
    _vote(people, poll)
    with mock.patch.object(services.Vote.objects, "filter") as seen:
        seen.return_value.exists.return_value = False  # as if the first had not committed
        with pytest.raises(ValidationError) as exc:
            _vote(people, poll, actor=people.proxy)
    assert list(_fields(exc)) == ["person"]
    assert Vote.objects.filter(poll=poll).count() == 1


def test_results_count_proxy_votes_apart(people):
    from gongzhi.proposals import selectors

    poll = open_poll(people)
    yes, no = poll.options.all()
    _vote(people, poll, actor=people.proxy, option=yes)
    _vote(people, poll, actor=people.neighbour, person=people.world.person_a2, option=no)
    results = selectors.poll_results(poll)
    assert results.total == 2 and results.by_proxy == 1
    assert [(r.label, r.votes, r.by_proxy) for r in results.rows] == [
        ("同意", 1, 1),
        ("不同意", 1, 0),
    ]


# --- from a resident's suggestion work order -------------------------------------------------


def _order(people, code):
    from gongzhi.workorders import filing
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.models import Category

    ensure_default_categories()
    return filing.workorder_create(
        actor=people.resident, category=Category.objects.get(code=code),
        description="希望小区增设充电棚", person=people.world.person_a1,
    )  # fmt: skip


def test_staff_publish_a_suggestion_order_as_a_linked_proposal(people):
    order = _order(people, "suggestion")
    proposal = services.proposal_from_workorder(actor=people.staff, order=order, title="充电棚")
    assert (proposal.status, proposal.origin, proposal.workorder) == (
        "published",
        "suggestion",
        order,
    )
    assert proposal.author_person == people.world.person_a1 and proposal.body == order.description
    with pytest.raises(ValidationError) as exc:
        services.proposal_from_workorder(actor=people.staff, order=order, title="再来一次")
    assert list(_fields(exc)) == ["workorder"]


def test_a_repair_order_is_not_a_suggestion(people):
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.models import Category

    ensure_default_categories()
    code = Category.objects.exclude(kind="suggestion").values_list("code", flat=True).first()
    order = _order(people, code)
    with pytest.raises(ValidationError) as exc:
        services.proposal_from_workorder(actor=people.staff, order=order, title="题目")
    assert list(_fields(exc)) == ["workorder"]


def test_a_grid_worker_may_not_publish_a_suggestion(people):
    order = _order(people, "suggestion")
    with pytest.raises(Forbidden):
        services.proposal_from_workorder(
            actor=people.world.grid_worker_a, order=order, title="题目"
        )
