"""The campaign pages: the form and its live count, the campaign page and its progress
fragment, the actions, the local outbox's simulated callbacks, the resident's answer page
and the grid worker's open visit tasks."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import ProxyLink, Role
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.models import Attempt, Campaign, CampaignStatus, Recipient, RecipientState
from gongzhi.outreach.tests.campaign_fixtures import FakeClock, RecordingGateway, running_campaign
from gongzhi.visits.services import visit_task_create

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


FORM = {
    "name": "返乡人员报到",
    "audience_kind": "grid",
    "sms_text": "请回复 1 已报到",
    "voice_script": "已报到请按 1",
    "choices": "1=已报到\n2=需要帮助\n3=不是本人",
    "channel_1": "sms",
    "channel_2": "voice",
    "channel_3": "notice",
    "channel_4": "visit",
    "pace_per_minute": "600",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "retries": "1",
    "retry_minutes": "30",
    "answer_minutes": "60",
}


def test_the_form_creates_a_draft(world):
    client = _client(world.secretary)
    assert client.get(reverse("outreach:create")).status_code == 200
    data = {**FORM, "area": world.community_a.pk, "audience_grid": world.grid_a1.pk}
    response = client.post(reverse("outreach:create"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("outreach:detail", args=[campaign.pk])
    assert campaign.audience == {"kind": "grid", "grid": world.grid_a1.pk}
    assert campaign.channels == ["sms", "voice", "notice", "visit"]
    assert campaign.choices == {"1": "已报到", "2": "需要帮助", "3": "不是本人"}
    assert str(campaign.quiet_start) == "21:00:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pace_per_minute": "0"}, "pace_per_minute"),
        ({"quiet_end": "21:00"}, "quiet_end"),
        ({"channel_1": "", "channel_2": "", "channel_3": "", "channel_4": ""}, "channels"),
        ({"choices": "1 已报到"}, "choices"),
        ({"choices": "12=两位"}, "choices"),
        ({"sms_text": ""}, "sms_text"),
        ({"audience_kind": "watch_list"}, "audience"),
    ],
)
def test_the_form_shows_the_services_refusals(world, change, field):
    data = {**FORM, "area": world.community_a.pk, "audience_grid": world.grid_a1.pk, **change}
    response = _client(world.secretary).post(reverse("outreach:create"), data)
    assert response.status_code == 200
    assert not Campaign.objects.exists()
    form = response.context["form"]
    assert field in form.errors or any(field in e for e in form.non_field_errors())


def test_the_live_count_of_the_audience(world):
    client = _client(world.secretary)
    query = {
        "area": world.community_a.pk,
        "audience_kind": "grid",
        "audience_grid": world.grid_a1.pk,
    }
    response = client.get(reverse("outreach:preview"), query)
    assert response.status_code == 200 and response.context["count"] == 1
    query["audience_grid"] = world.grid_b1.pk
    response = client.get(reverse("outreach:preview"), query)
    assert response.context["count"] is None and response.context["error"]


def test_the_campaign_page_and_its_progress(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1, world.person_a2])
        dispatch_round(
            campaign.pk,
            gateway=RecordingGateway(),
            sleep=fake.sleep,
            now=fake.now,
            budget_seconds=2,
        )
        Recipient.objects.filter(person=world.person_a1).update(
            state=RecipientState.ANSWERED, answer="2"
        )
        client = _client(world.by_role[Role.POLICE])
        page = client.get(reverse("outreach:detail", args=[campaign.pk]))
        fragment = client.get(reverse("outreach:progress", args=[campaign.pk]))
    assert page.status_code == 200 and fragment.status_code == 200
    progress = fragment.context["progress"]
    assert (progress.total, progress.sent, progress.answered, progress.waiting) == (2, 2, 1, 1)
    assert progress.by_choice[1] == ("2", "需要帮助", 1)
    body = fragment.content.decode()
    assert 'hx-trigger="every 3s"' in body
    # The police officer sees, but does not run: no outbox, no buttons.
    assert page.context["outbox"] == [] and not page.context["can_run"]
    for person in (world.person_a1, world.person_a2):
        assert person.phone.reveal() not in page.content.decode()


def test_the_outbox_masks_phones_and_simulates_an_answer(world):
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        dispatch_round(
            campaign.pk,
            gateway=RecordingGateway(),
            sleep=fake.sleep,
            now=fake.now,
            budget_seconds=2,
        )
        client = _client(world.secretary)
        page = client.get(reverse("outreach:detail", args=[campaign.pk]))
        body = page.content.decode()
        assert world.person_a1.phone.reveal() not in body
        assert str(world.person_a1.phone) in body  # masked
        attempt = Attempt.objects.get()
        response = client.post(reverse("outreach:simulate", args=[attempt.pk]), {"what": "2"})
    assert response.status_code == 302
    recipient = Recipient.objects.get()
    assert (recipient.state, recipient.answer) == (RecipientState.ANSWERED, "2")


def test_no_outbox_with_a_real_provider(world, settings):
    settings.GONGZHI_OUTREACH_GATEWAY = "gongzhi.outreach.gateways.LocalGateway"
    with FakeClock() as fake:
        campaign = running_campaign(world.community_a, [world.person_a1])
        dispatch_round(
            campaign.pk,
            gateway=RecordingGateway(),
            sleep=fake.sleep,
            now=fake.now,
            budget_seconds=2,
        )
    client = _client(world.secretary)
    attempt = Attempt.objects.get()
    response = client.post(reverse("outreach:simulate", args=[attempt.pk]), {"what": "1"})
    assert response.status_code == 404
    assert Recipient.objects.get().state == RecipientState.WAITING


def test_start_from_the_page(world):
    client = _client(world.secretary)
    data = {**FORM, "area": world.community_a.pk, "audience_grid": world.grid_a1.pk}
    client.post(reverse("outreach:create"), data)
    campaign = Campaign.objects.get()
    response = client.post(reverse("outreach:act", args=[campaign.pk]), {"action": "start"})
    assert response.status_code == 302
    assert Campaign.objects.get().status == CampaignStatus.RUNNING
    assert Recipient.objects.count() == 1


def test_the_list_shows_only_ones_area(world):
    running_campaign(world.community_a, [world.person_a1], name="玉岭")
    running_campaign(world.community_b, [world.person_b1], name="江边")
    response = _client(world.by_role[Role.POLICE]).get(reverse("outreach:list"))
    names = [c.name for c in response.context["page_obj"]]
    assert names == ["玉岭"]


# --- the resident's answer page ---------------------------------------------------------------


@pytest.fixture
def notice(world):
    """An app notice asked of person A1, whose own account is the resident's."""
    world.resident.person = world.person_a1
    world.resident.save(update_fields=["person"])
    with FakeClock() as fake:
        campaign = running_campaign(
            world.community_a, [world.person_a1], channels=["notice", "visit"]
        )
        dispatch_round(
            campaign.pk,
            gateway=RecordingGateway(),
            sleep=fake.sleep,
            now=fake.now,
            budget_seconds=2,
        )
    return Attempt.objects.get(channel="notice")


def test_the_person_asked_answers_with_one_tap(world, notice):
    client = _client(world.resident)
    url = reverse("outreach_m:answer", args=[notice.reference])
    page = client.get(url)
    assert page.status_code == 200 and "已报到" in page.content.decode()
    response = client.post(url, {"digit": "1"})
    assert response.status_code == 200 and response.context["answered"]
    recipient = Recipient.objects.get()
    assert (recipient.answer, recipient.answered_via) == ("1", "notice")


def test_a_proxy_answers_for_their_parent(world, notice):
    proxy = world.by_role[Role.VOLUNTEER]
    ProxyLink.objects.create(user=proxy, person=world.person_a1, relation="child")
    response = _client(proxy).post(
        reverse("outreach_m:answer", args=[notice.reference]), {"digit": "9"}
    )
    assert response.context["opted_out"]
    assert Recipient.objects.get().state == RecipientState.OPTED_OUT


def test_anyone_else_finds_nothing(world, notice):
    url = reverse("outreach_m:answer", args=[notice.reference])
    assert _client(world.secretary).get(url).status_code == 404
    assert _client(world.outsider).post(url, {"digit": "1"}).status_code == 404
    assert Recipient.objects.get().state == RecipientState.WAITING


def test_a_digit_that_is_no_choice_is_refused(world, notice):
    response = _client(world.resident).post(
        reverse("outreach_m:answer", args=[notice.reference]), {"digit": "7"}
    )
    assert response.status_code == 400
    assert Recipient.objects.get().state == RecipientState.WAITING


def test_the_answer_page_in_elder_mode(world, notice):
    world.resident.elder_mode = True
    world.resident.save(update_fields=["elder_mode"])
    client = _client(world.resident)
    body = client.get(reverse("outreach_m:answer", args=[notice.reference])).content.decode()
    assert 'class="portal elder"' in body  # the portal's large, high-contrast frame
    assert "btn-big" in body and 'name="viewport"' in body


# --- the due-visits page ---------------------------------------------------------------------


def test_a_grid_worker_sees_their_open_visit_tasks(world):
    import datetime as dt

    visit_task_create(
        actor=None, household=world.household_a1, source="campaign:1", reason="外呼无应答",
        due_on=dt.date(2026, 3, 3),
    )  # fmt: skip
    visit_task_create(
        actor=None, household=world.household_b1, source="campaign:2", reason="外呼无应答",
        due_on=dt.date(2026, 3, 3),
    )  # fmt: skip
    response = _client(world.grid_worker_a).get(reverse("visits:due"))
    tasks = response.context["tasks"]
    assert [t.household_id for t in tasks] == [world.household_a1.pk]
    assert tasks[0].assignee == world.grid_worker_a
    assert "外呼无应答" in response.content.decode()
