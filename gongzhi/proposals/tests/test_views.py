"""The /m/ pages and the workbench pages, through the test client."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client
from django.urls import reverse

from gongzhi.core import clock
from gongzhi.proposals.models import Flag, Proposal, Support, Vote
from gongzhi.proposals.tests.conftest import open_poll, published


def _client(user, **extra) -> Client:
    english = extra.pop("HTTP_ACCEPT_LANGUAGE", None) == "en"
    client = Client(**extra)
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_resident_writes_a_proposal_on_the_phone(people):
    client = _client(people.resident)
    page = client.get(reverse("proposals_m:new"))
    assert page.status_code == 200 and people.world.grid_a1.name in page.content.decode()
    response = client.post(
        reverse("proposals_m:new"),
        {"area": people.world.grid_a1.pk, "title": "楼道照明", "body": "晚上太黑"},
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and proposal.status == "submitted"
    assert client.get(reverse("proposals_m:detail", args=[proposal.pk])).status_code == 200
    # A neighbour does not see it until staff publish it.
    other = _client(people.neighbour)
    assert other.get(reverse("proposals_m:detail", args=[proposal.pk])).status_code == 404


def test_empty_title_is_a_field_error_in_the_users_language(people):
    client = _client(people.resident, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("proposals_m:new"), {"area": people.world.community_a.pk, "title": "", "body": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "form-errors" in body
    assert "This field is required." in body and not Proposal.objects.exists()


def test_neighbour_supports_once_and_sees_the_answer(people):
    proposal = published(people)
    from gongzhi.proposals import services

    services.proposal_transition(
        actor=people.staff, proposal=proposal, action="answer", note="同意。"
    )
    client = _client(people.neighbour)
    url = reverse("proposals_m:detail", args=[proposal.pk])
    assert "同意。" in client.get(url).content.decode()
    client.post(reverse("proposals_m:support", args=[proposal.pk]))
    again = client.post(reverse("proposals_m:support", args=[proposal.pk]), follow=True)
    assert Support.objects.filter(proposal=proposal).count() == 1
    assert 'id="supported"' in again.content.decode()


def test_proxy_votes_for_the_parent_and_the_page_says_so(people):
    from gongzhi.accounts.acting import SESSION_KEY

    poll = open_poll(people)
    client = _client(people.proxy, REMOTE_ADDR="10.2.3.4")
    session = client.session
    session[SESSION_KEY] = people.world.person_a1.pk
    session.save()
    page = client.get(reverse("proposals_m:poll", args=[poll.pk]))
    assert "gz_device" in page.cookies
    client.post(reverse("proposals_m:vote", args=[poll.pk]), {"option": poll.options.first().pk})
    vote = Vote.objects.get()
    assert vote.person == people.world.person_a1 and vote.by_proxy
    assert vote.device_digest and vote.address_digest
    again = client.post(
        reverse("proposals_m:vote", args=[poll.pk]), {"option": poll.options.last().pk}, follow=True
    )
    assert Vote.objects.count() == 1 and 'id="voted"' in again.content.decode()


def test_results_follow_the_polls_setting(people):
    poll = open_poll(people, results_visibility="after_close")
    client = _client(people.resident)
    client.post(reverse("proposals_m:vote", args=[poll.pk]), {"option": poll.options.first().pk})
    page = client.get(reverse("proposals_m:poll", args=[poll.pk])).content.decode()
    assert 'id="results-hidden"' in page
    staff = _client(people.staff).get(reverse("proposals:poll", args=[poll.pk])).content.decode()
    assert 'id="results"' in staff


def test_vote_on_a_closed_poll_is_refused_with_a_message(people):
    now = clock.now()
    poll = open_poll(
        people, opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(days=1)
    )
    client = _client(people.resident, HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("proposals_m:vote", args=[poll.pk]),
        {"option": poll.options.first().pk},
        follow=True,
    )
    assert "The poll is closed." in page.content.decode() and not Vote.objects.exists()


def test_staff_publish_answer_and_follow_up_on_the_workbench(people):
    from gongzhi.proposals import services

    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    client = _client(people.staff)
    assert "题目" in client.get(reverse("proposals:queue")).content.decode()
    step = reverse("proposals:step", args=[proposal.pk])
    client.post(step, {"action": "publish"})
    client.post(step, {"action": "answer", "note": "同意"})
    client.post(step, {"action": "progress", "note": "已开工"})
    proposal.refresh_from_db()
    assert proposal.status == "in_progress"
    missing = client.post(step, {"action": "done", "note": ""}, follow=True)
    assert Proposal.objects.get().status == "in_progress" and "alert" in missing.content.decode()


def test_staff_turn_a_proposal_into_a_poll(people):
    proposal = published(people)
    client = _client(people.staff)
    now = clock.now()
    response = client.post(
        reverse("proposals:poll_new"),
        {
            "proposal": proposal.pk,
            "question": "是否同意？",
            "options": "同意\n不同意",
            "opens_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "results_visibility": "always",
        },
    )
    assert response.status_code == 302
    assert Proposal.objects.get().poll.options.count() == 2


def test_poll_with_one_option_and_close_before_open_names_both_fields(people):
    client = _client(people.staff, HTTP_ACCEPT_LANGUAGE="en")
    now = clock.now()
    response = client.post(
        reverse("proposals:poll_new"),
        {
            "area": people.world.community_a.pk,
            "question": "是否同意？",
            "options": "同意",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "results_visibility": "always",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Give between 2 and 10 options" in body and "The poll must close after it opens." in body


def test_staff_see_flags_and_mark_them_reviewed(people):
    poll = open_poll(people)
    now = clock.now()
    flag = Flag.objects.create(
        poll=poll, kind="device", subject="abcdef", count=6, window_seconds=600, first_at=now,
        last_at=now, vote_ids=[1, 2, 3], flagged_at=now, area_path=poll.area_path,
    )  # fmt: skip
    client = _client(people.staff)
    assert 'id="flags"' in client.get(reverse("proposals:poll", args=[poll.pk])).content.decode()
    client.post(
        reverse("proposals:flag_review", args=[poll.pk]), {"flag": flag.pk, "note": "一家人"}
    )
    flag.refresh_from_db()
    assert flag.reviewed_by == people.staff


def test_grid_worker_is_refused_the_staff_pages(people):
    proposal = published(people)
    client = _client(people.world.grid_worker_a)
    assert client.get(reverse("proposals:queue")).status_code == 404
    assert client.get(reverse("proposals:detail", args=[proposal.pk])).status_code == 403


def test_home_tile_shows_on_the_portal(people):
    page = _client(people.resident).get(reverse("portal:home")).content.decode()
    assert reverse("proposals_m:list") in page


def test_phone_pages_render_in_elder_mode(people):
    proposal, poll = published(people), open_poll(people)
    client = _client(people.resident)
    client.get(reverse("proposals_m:list") + "?elder=1")  # a grid worker's link
    for url in (
        reverse("proposals_m:list"),
        reverse("proposals_m:new"),
        reverse("proposals_m:detail", args=[proposal.pk]),
        reverse("proposals_m:poll", args=[poll.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert '<body class="portal elder">' in page.content.decode(), url
        assert 'name="viewport"' in page.content.decode()


def test_a_decline_without_reason_names_the_field(people):
    from gongzhi.proposals import services

    proposal = services.proposal_submit(
        actor=people.resident, person=people.world.person_a1, area=people.world.community_a,
        title="题目", body="内容",
    )  # fmt: skip
    client = _client(people.staff, HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("proposals:step", args=[proposal.pk]),
        {"action": "decline", "note": ""},
        follow=True,
    )
    assert "Reason: This field is required." in page.content.decode()
    assert Proposal.objects.get().status == "submitted"
