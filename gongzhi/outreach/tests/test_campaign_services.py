"""Creating and running campaigns: the audience (its kinds, scope, emptiness), the bad
input the form can send, start / pause / resume / cancel, and what the audit keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health.tests.factories import entry_for
from gongzhi.outreach import services
from gongzhi.outreach.audiences import audience_count
from gongzhi.outreach.models import Campaign, CampaignStatus, Recipient, RecipientState
from gongzhi.outreach.tests.campaign_fixtures import T0, FakeClock, RecordingGateway
from gongzhi.outreach.tests.campaign_fixtures import running_campaign as _running
from gongzhi.registry.models import Tag

pytestmark = pytest.mark.django_db


def _fields(**overrides):
    fields = {
        "name": "返乡人员报到",
        "audience": {"kind": "grid", "grid": None},
        "sms_text": "请回复 1 已报到",
        "voice_script": "已报到请按 1",
        "choices": {"1": "已报到", "2": "需要帮助", "3": "不是本人"},
        "channels": ["sms", "voice", "notice", "visit"],
        "pace_per_minute": 600,
        "quiet_start": dt.time(21),
        "quiet_end": dt.time(8),
        "retries": 1,
        "retry_minutes": 30,
        "answer_minutes": 60,
    }
    fields.update(overrides)
    return fields


def _create(world, actor=None, area=None, **overrides):
    actor = actor or world.secretary
    area = area or world.community_a
    overrides.setdefault("audience", {"kind": "grid", "grid": world.grid_a1.pk})
    return services.campaign_create(actor=actor, area=area, **_fields(**overrides))


def _errors(exc):
    return exc.value.message_dict


def test_a_campaign_is_created_in_draft_and_audited_without_personal_values(world):
    campaign = _create(world)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.area_path == world.community_a.path
    entry = AuditEntry.objects.get(action="campaign.create")
    assert entry.object_label == f"#{campaign.pk}"
    assert "张" not in entry.purpose and "139" not in entry.purpose


def test_start_resolves_the_audience_once_into_recipients(world):
    campaign = _create(world)
    with clock.freeze(T0):
        total = services.campaign_start(actor=world.secretary, campaign=campaign)
    assert total == 1
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.person == world.person_a1
    assert recipient.state == RecipientState.PENDING and recipient.next_at == T0
    assert recipient.retain_until == T0.date() + dt.timedelta(days=30)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING and campaign.started_at == T0
    assert AuditEntry.objects.get(action="campaign.start").purpose == "1 recipients"


def test_starting_enqueues_the_dispatcher_after_commit(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    campaign = _create(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(actor=world.secretary, campaign=campaign)
    queued = DBTaskResult.objects.get(task_path="gongzhi.outreach.tasks.dispatch_campaign")
    assert queued.args_kwargs["args"] == [campaign.pk]


def test_a_tag_audience(world):
    from gongzhi.registry.models import PersonTag

    tag = Tag.objects.order_by("sort").first()
    PersonTag.objects.create(person=world.person_a2, tag=tag)
    PersonTag.objects.create(person=world.person_b1, tag=tag)  # another community
    count = audience_count(
        user=world.secretary, area=world.community_a, audience={"kind": "tag", "tag": tag.code}
    )
    assert count == 1


def test_a_watch_list_audience_takes_open_entries(world):
    entry_for(world.person_a1, world.community_a)
    both = audience_count(
        user=world.secretary, area=world.community_a, audience={"kind": "watch_list"}
    )
    assert both == 1


def test_an_upstream_list_audience_takes_its_matched_persons(world):
    entry = entry_for(world.person_a2, world.community_a)
    audience = {"kind": "upstream_list", "list": entry.upstream_list_id}
    assert audience_count(user=world.secretary, area=world.community_a, audience=audience) == 1


def test_the_non_responders_of_an_earlier_campaign(world):
    with FakeClock() as fake:
        earlier = _running(world.community_a, [world.person_a1, world.person_a2])
        Recipient.objects.filter(campaign=earlier, person=world.person_a1).update(
            state=RecipientState.ANSWERED, answer="1"
        )
        audience = {"kind": "non_responders", "campaign": earlier.pk}
        assert audience_count(user=world.secretary, area=world.community_a, audience=audience) == 1
        del fake


def test_an_empty_audience_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, audience={"kind": "watch_list"})  # nobody on the watch list
    assert "audience" in _errors(exc)


def test_an_audience_that_became_empty_is_refused_at_start(world):
    campaign = _create(world)
    Campaign.objects.filter(pk=campaign.pk).update(audience={"kind": "watch_list"})
    campaign.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.campaign_start(actor=world.secretary, campaign=campaign)
    assert "audience" in _errors(exc)
    assert not Recipient.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_a_campaign_beyond_ones_scope_is_refused(world):
    leader = world.by_role[Role.GRID_LEADER]  # grid A1 only
    with pytest.raises(Forbidden):
        _create(world, actor=leader, area=world.community_a)
    with pytest.raises(Forbidden):
        _create(world, actor=world.secretary, area=world.community_b)


def test_an_audience_beyond_ones_scope_is_refused(world):
    leader = world.by_role[Role.GRID_LEADER]
    with pytest.raises(ValidationError) as exc:
        _create(
            world,
            actor=leader,
            area=world.grid_a1,
            audience={"kind": "grid", "grid": world.grid_a2.pk},
        )
    assert "audience" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        _create(world, audience={"kind": "grid", "grid": world.grid_b1.pk})
    assert "audience" in _errors(exc)


def test_a_grid_leaders_tag_audience_stays_in_their_grid(world):
    from gongzhi.registry.models import PersonTag

    tag = Tag.objects.order_by("sort").first()
    PersonTag.objects.create(person=world.person_a1, tag=tag)
    PersonTag.objects.create(person=world.person_a2, tag=tag)  # grid A2
    leader = world.by_role[Role.GRID_LEADER]
    campaign = _create(
        world, actor=leader, area=world.grid_a1, audience={"kind": "tag", "tag": tag.code}
    )
    assert services.campaign_start(actor=leader, campaign=campaign) == 1


def test_a_grid_worker_cannot_run_campaigns(world):
    with pytest.raises(Forbidden):
        _create(world, actor=world.grid_worker_a, area=world.grid_a1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pace_per_minute": 0}, "pace_per_minute"),
        ({"pace_per_minute": 100_001}, "pace_per_minute"),
        ({"pace_per_minute": "fast"}, "pace_per_minute"),
        ({"quiet_start": dt.time(8), "quiet_end": dt.time(8)}, "quiet_end"),
        ({"quiet_start": dt.time(21), "quiet_end": None}, "quiet_end"),
        ({"channels": []}, "channels"),
        ({"channels": ["sms", "sms"]}, "channels"),
        ({"channels": ["fax"]}, "channels"),
        ({"sms_text": ""}, "sms_text"),
        ({"voice_script": "", "channels": ["voice"]}, "voice_script"),
        ({"choices": {"12": "两位"}}, "choices"),
        ({"choices": {"a": "字母"}}, "choices"),
        ({"choices": {"9": "保留"}}, "choices"),
        ({"choices": {}}, "choices"),
        ({"choices": {"1": ""}}, "choices"),
        ({"name": ""}, "name"),
        ({"retries": 6}, "retries"),
        ({"retry_minutes": 0}, "retry_minutes"),
        ({"answer_minutes": 0}, "answer_minutes"),
        ({"audience": {"kind": "everyone"}}, "audience"),
        ({"audience": {"kind": "grid", "grid": "x"}}, "audience"),
        ({"audience": {"kind": "tag", "tag": "nope"}}, "audience"),
        ({"audience": {"kind": "upstream_list", "list": 999999}}, "audience"),
        ({"audience": {"kind": "non_responders", "campaign": 999999}}, "audience"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, overrides, field):
    with pytest.raises(ValidationError) as exc:
        _create(world, **overrides)
    assert field in _errors(exc)


def test_voice_without_a_script_is_fine_when_voice_is_not_a_channel(world):
    campaign = _create(world, voice_script="", channels=["sms", "visit"])
    assert campaign.channels == ["sms", "visit"]


def test_pause_resume_and_cancel(world):
    campaign = _create(world)
    services.campaign_start(actor=world.secretary, campaign=campaign)
    services.campaign_pause(actor=world.secretary, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PAUSED
    with pytest.raises(ValidationError):
        services.campaign_pause(actor=world.secretary, campaign=campaign)
    services.campaign_resume(actor=world.secretary, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RUNNING
    services.campaign_cancel(actor=world.secretary, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.campaign_resume(actor=world.secretary, campaign=campaign)
    with pytest.raises(ValidationError):
        services.campaign_start(actor=world.secretary, campaign=campaign)
    actions = list(
        AuditEntry.objects.filter(action__startswith="campaign.").values_list("action", flat=True)
    )
    assert set(actions) == {
        "campaign.create",
        "campaign.start",
        "campaign.pause",
        "campaign.resume",
        "campaign.cancel",
    }


def test_someone_who_only_sees_campaigns_cannot_pause_one(world):
    campaign = _create(world)
    services.campaign_start(actor=world.secretary, campaign=campaign)
    with pytest.raises(Forbidden):
        services.campaign_pause(actor=world.by_role[Role.POLICE], campaign=campaign)


def test_a_cancelled_campaign_sends_nothing_more(world):
    with FakeClock() as fake:
        campaign = _running(world.community_a, [world.person_a1])
        services.campaign_cancel(actor=world.secretary, campaign=campaign)
        gateway = RecordingGateway()
        from gongzhi.outreach.dispatch import dispatch_round

        result = dispatch_round(campaign.pk, gateway=gateway, sleep=fake.sleep, now=fake.now)
    assert gateway.messages == [] and result.done


def test_persons_who_moved_out_or_died_are_not_contacted(world):
    from gongzhi.registry.models import Person

    entry_for(world.person_a2, world.community_a)
    audience = {"kind": "watch_list"}
    assert audience_count(user=world.secretary, area=world.community_a, audience=audience) == 1
    Person.objects.filter(pk=world.person_a2.pk).update(residency="moved_out")
    assert audience_count(user=world.secretary, area=world.community_a, audience=audience) == 0
    Person.objects.filter(pk=world.person_a2.pk).update(residency="away")
    assert audience_count(user=world.secretary, area=world.community_a, audience=audience) == 1
