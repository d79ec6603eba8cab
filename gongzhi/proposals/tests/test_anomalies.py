"""A simulated burst of votes raises flags with evidence and no personal value; the result
stays as voted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.proposals import anomalies, selectors, services
from gongzhi.proposals.models import Flag
from gongzhi.proposals.tests.conftest import open_poll
from gongzhi.registry import services as registry
from gongzhi.testing import _user, make_id_number


def _voters(world, n, *, joined_ago=dt.timedelta(days=400)):
    """n persons of household A1's building, each with their own account."""
    out = []
    for i in range(n):
        household = registry.household_create(
            actor=None, building=world.building_a1, unit="9", room=f"9{i:02d}"
        )
        person = registry.person_create(
            actor=None,
            household=household,
            data={"name": "投票人" + "甲乙丙丁戊己庚辛"[i], "id_number": make_id_number()},
        )
        user = _user(f"voter{i}", world.community_a, Role.RESIDENT)
        user.person, user.date_joined = person, clock.now() - joined_ago
        user.save(update_fields=["person", "date_joined"])
        out.append((user, person))
    return out


def _burst(poll, voters, *, address="", device=""):
    votes = []
    for user, person in voters:
        votes.append(
            services.poll_vote(
                actor=user,
                poll=poll,
                person=person,
                option=poll.options.first(),
                address=address,
                device=device,
            )
        )
        anomalies.check_after_vote(votes[-1].pk)
    return votes


@override_settings(GONGZHI_POLL_DEVICE_VOTES=3)
def test_many_votes_from_one_device_are_flagged_with_evidence(people):
    poll = open_poll(people)
    votes = _burst(poll, _voters(people.world, 4), address="10.1.2.3", device="one-phone")
    flag = Flag.objects.get(poll=poll, kind="device")
    assert flag.count == 4 and flag.vote_ids == sorted(v.pk for v in votes)
    assert "one-phone" not in str(flag.__dict__) and "10.1.2.3" not in str(flag.__dict__)
    assert not Flag.objects.filter(kind="address").exists()  # 4 < 15 from one address
    assert selectors.poll_results(poll).total == 4  # nothing taken away


@override_settings(GONGZHI_POLL_ADDRESS_VOTES=3)
def test_many_votes_from_one_address_are_flagged(people):
    poll = open_poll(people)
    _burst(poll, _voters(people.world, 3), address="10.9.9.9")
    assert Flag.objects.get(poll=poll, kind="address").count == 3


@override_settings(GONGZHI_POLL_NEW_ACCOUNT_VOTES=3)
def test_a_burst_from_new_accounts_is_flagged(people):
    poll = open_poll(people)
    _burst(poll, _voters(people.world, 3, joined_ago=dt.timedelta(hours=1)))
    flag = Flag.objects.get(poll=poll, kind="new_accounts")
    assert flag.count == 3 and flag.subject == ""


@override_settings(GONGZHI_POLL_NEW_ACCOUNT_VOTES=3, GONGZHI_POLL_DEVICE_VOTES=3)
def test_old_accounts_on_their_own_phones_raise_nothing(people):
    poll = open_poll(people)
    voters = _voters(people.world, 4)
    for i, (user, person) in enumerate(voters):
        vote = services.poll_vote(
            actor=user, poll=poll, person=person, option=poll.options.first(), device=f"d{i}"
        )
        anomalies.check_after_vote(vote.pk)
    assert not Flag.objects.exists()


@override_settings(GONGZHI_POLL_DEVICE_VOTES=2)
def test_a_reviewed_flag_that_grows_is_shown_again(people):
    poll = open_poll(people)
    voters = _voters(people.world, 3)
    _burst(poll, voters[:2], device="same")
    flag = Flag.objects.get(poll=poll)
    services.flag_review(actor=people.staff, flag=flag, note="一家人")
    assert Flag.objects.get(pk=flag.pk).reviewed_at is not None
    _burst(poll, voters[2:], device="same")
    grown = Flag.objects.get(pk=flag.pk)
    assert grown.count == 3 and grown.reviewed_at is None


@override_settings(GONGZHI_POLL_DEVICE_VOTES=2)
def test_the_check_runs_after_the_vote_commits(people, django_capture_on_commit_callbacks):
    poll = open_poll(people)
    voters = _voters(people.world, 2)
    with django_capture_on_commit_callbacks(execute=True):
        for user, person in voters:
            services.poll_vote(
                actor=user, poll=poll, person=person, option=poll.options.first(), device="x"
            )
    assert Flag.objects.filter(poll=poll, kind="device").exists()


def test_only_staff_review_a_flag(people):
    from gongzhi.core.errors import Forbidden

    poll = open_poll(people)
    flag = Flag.objects.create(
        poll=poll, kind="device", subject="ab", count=5, window_seconds=600,
        first_at=clock.now(), last_at=clock.now(), vote_ids=[], flagged_at=clock.now(),
        area_path=poll.area_path,
    )  # fmt: skip
    with pytest.raises(Forbidden):
        services.flag_review(actor=people.world.grid_worker_a, flag=flag)
