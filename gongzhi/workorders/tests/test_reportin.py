"""双报到 report-in: signing up, who decides where, placing, refusing; the pairing limit."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import membership_grant, user_create, user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.notifications.models import Notification, SmsMessage
from gongzhi.registry import services as registry_services
from gongzhi.testing import PASSWORD
from gongzhi.workorders import pairings, reportin
from gongzhi.workorders.models import HandlerProfile, Pairing, ReportInStatus


def _applicant(username="applicant", phone="13800001111"):
    user = user_create(username=username, password=PASSWORD)
    user_set_phone(user=user, phone=phone)
    return user


def _apply(world, user, grid=None, **extra):
    data = {
        "kind": "party_member",
        "organisation": "县教育局",
        "skills": ["repair", "care"],
        "free_times": ["weekend_morning"],
        "community": world.community_a,
        "grid": grid,
    }
    data.update(extra)
    return reportin.reportin_submit(actor=user, **data)


@pytest.fixture
def leader(world):
    return world.by_role[Role.GRID_LEADER]  # grid leader of grid A1


@pytest.fixture
def leader_a2(world):
    user = user_create(username="leader_a2", password=PASSWORD)
    membership_grant(user=user, area=world.grid_a2, role=Role.GRID_LEADER)
    return user


def test_someone_outside_the_register_reports_in_and_the_grid_leader_is_told(
    world, leader, django_capture_on_commit_callbacks
):
    user = _applicant()
    with django_capture_on_commit_callbacks(execute=True):
        report = _apply(world, user, grid=world.grid_a1, name="刘志愿")

    assert report.status == ReportInStatus.PENDING
    assert report.area_path == world.grid_a1.path
    user.refresh_from_db()
    assert user.display_name == "刘志愿"
    told = Notification.objects.get(kind="workorder.reportin")
    assert told.recipient == leader
    assert "刘" not in told.title + told.body  # no name in the message


def test_grid_and_community_must_fit_and_choices_must_be_known(world):
    with pytest.raises(ValidationError) as caught:
        _apply(world, _applicant(), grid=world.grid_b1, skills=["flying"], kind="boss")
    errors = caught.value.message_dict
    assert set(errors) >= {"grid", "skills", "kind"}


def test_only_one_report_in_waits_at_a_time(world):
    user = _applicant()
    _apply(world, user)
    with pytest.raises(ValidationError):
        _apply(world, user)


def test_grid_leader_approves_in_their_grid(world, leader):
    user = _applicant()
    report = _apply(world, user, grid=world.grid_a1)

    report = reportin.reportin_approve(
        actor=leader, report=report, grid=world.grid_a1, skills=["errands"]
    )

    assert report.status == ReportInStatus.APPROVED and report.placed == world.grid_a1
    assert Membership.objects.filter(
        user=user, area=world.grid_a1, role=Role.PARTY_MEMBER, is_active=True
    ).exists()
    assert HandlerProfile.objects.get(user=user).skills == ["errands"]
    assert access.can(user, Perm.WORKORDER_HANDLE, world.household_a1.area_path)
    assert AuditEntry.objects.filter(action="workorder.reportin_approve").exists()


def test_grid_leader_cannot_place_in_another_grid(world, leader):
    report = _apply(world, _applicant())  # waits at the community
    with pytest.raises(Forbidden):
        reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a2)
    assert not Membership.objects.filter(area=world.grid_a2, role=Role.PARTY_MEMBER).exists()


def test_grid_leader_does_not_see_another_grids_report_in(world, leader, leader_a2):
    report = _apply(world, _applicant(), grid=world.grid_a2)

    with pytest.raises(NotFound):
        reportin.reportin_get_for(user=leader, report_id=report.pk)
    with pytest.raises(Forbidden):
        reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a1)
    assert reportin.reportin_get_for(user=leader_a2, report_id=report.pk) == report


def test_community_report_in_is_seen_by_grid_leaders_and_placed_by_one(world, leader):
    report = _apply(world, _applicant())
    assert report in reportin.reportin_list_for(user=leader)
    assert [g.pk for g in reportin.placement_grids_for(user=leader, report=report)] == [
        world.grid_a1.pk
    ]
    reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a1)


def test_a_volunteer_cannot_approve_themselves(world, leader):
    report = _apply(world, leader, grid=world.grid_a1)  # the grid leader reports in too
    with pytest.raises(Forbidden):
        reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a1)
    with pytest.raises(Forbidden):
        reportin.reportin_refuse(actor=leader, report=report, reason="不合适")
    reportin.reportin_approve(actor=world.secretary, report=report, grid=world.grid_a1)


def test_grid_worker_may_not_decide(world):
    report = _apply(world, _applicant(), grid=world.grid_a1)
    assert not reportin.reportin_list_for(user=world.grid_worker_a).exists()
    with pytest.raises(Forbidden):
        reportin.reportin_approve(actor=world.grid_worker_a, report=report, grid=world.grid_a1)


def test_refusal_says_why_and_the_applicant_is_told_by_sms(
    world, django_capture_on_commit_callbacks
):
    user = _applicant()
    report = _apply(world, user)
    with pytest.raises(ValidationError) as caught:
        reportin.reportin_refuse(actor=world.secretary, report=report, reason="")
    assert "reason" in caught.value.message_dict

    with django_capture_on_commit_callbacks(execute=True):
        reportin.reportin_refuse(actor=world.secretary, report=report, reason="本社区名额已满")

    report.refresh_from_db()
    assert report.status == ReportInStatus.REFUSED
    note = Notification.objects.get(recipient=user)
    assert note.body == "本社区名额已满"
    assert SmsMessage.objects.filter(recipient=user).exists()
    with pytest.raises(ValidationError):  # decided once
        reportin.reportin_approve(actor=world.secretary, report=report, grid=world.grid_a1)


def test_grid_leader_cannot_refuse_a_community_report_in(world, leader):
    report = _apply(world, _applicant())
    with pytest.raises(Forbidden):
        reportin.reportin_refuse(actor=leader, report=report, reason="不合适")


def test_staff_add_someone_directly_by_phone(world, leader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = reportin.reportin_add(
            actor=leader,
            phone="13800002222",
            name="陈党员",
            kind="volunteer",
            grid=world.grid_a1,
            skills=["escort"],
        )
    assert report.status == ReportInStatus.APPROVED and report.added_by == leader
    assert Membership.objects.filter(
        user=report.user, area=world.grid_a1, role=Role.VOLUNTEER
    ).exists()
    assert SmsMessage.objects.filter(recipient=report.user).exists()
    with pytest.raises(Forbidden):
        reportin.reportin_add(
            actor=leader, phone="13800003333", name="王", kind="volunteer", grid=world.grid_a2
        )


def test_withdraw_is_for_the_applicant(world):
    user = _applicant()
    report = _apply(world, user)
    with pytest.raises(NotFound):
        reportin.reportin_withdraw(actor=world.secretary, report=report)
    assert reportin.reportin_withdraw(actor=user, report=report).status == "withdrawn"


def test_no_personal_value_in_the_audit(world, leader):
    user = _applicant(phone="13800004444")
    report = _apply(world, user, organisation="电话13800004444", name="赵某")
    reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a1)
    entries = AuditEntry.objects.all()
    text = " ".join(f"{e.purpose} {e.object_label} {e.fields}" for e in entries)
    assert "13800004444" not in text
    ours = [e for e in entries if e.action.startswith("workorder.reportin")]
    assert ours and all("赵某" not in f"{e.purpose} {e.object_label}" for e in ours)
    report.refresh_from_db()
    assert "13800004444" not in report.organisation  # masked in free text


# --- the pairing limit ----------------------------------------------------------------------


def _households(world, building, n):
    return [
        registry_services.household_create(actor=None, building=building, unit="2", room=f"{i}01")
        for i in range(1, n + 1)
    ]


def test_pairing_is_at_most_eight_households(world):
    member = world.by_role[Role.PARTY_MEMBER]
    homes = _households(world, world.building_a1, 9)

    pairings.pairing_set(actor=world.grid_worker_a, handler=member, households=homes[:8])
    with pytest.raises(ValidationError) as caught:
        pairings.pairing_set(actor=world.grid_worker_a, handler=member, households=homes)

    assert "households" in caught.value.message_dict
    assert Pairing.objects.filter(handler=member, is_active=True).count() == 8


def test_pairings_elsewhere_count_towards_the_limit(world):
    member = user_create(username="pm_both", password=PASSWORD)
    membership_grant(user=member, area=world.community_a, role=Role.PARTY_MEMBER)
    in_a1 = _households(world, world.building_a1, 5)
    in_a2 = _households(world, world.building_a2, 4)
    pairings.pairing_set(actor=world.grid_worker_b, handler=member, households=in_a2)

    with pytest.raises(ValidationError):
        pairings.pairing_set(actor=world.grid_worker_a, handler=member, households=in_a1)
    pairings.pairing_set(actor=world.grid_worker_a, handler=member, households=in_a1[:4])
    assert Pairing.objects.filter(handler=member, is_active=True).count() == 8


def test_pairing_editor_lists_unpaired_households_first(world):
    member = world.by_role[Role.PARTY_MEMBER]
    other = user_create(username="other_pm", password=PASSWORD)
    membership_grant(user=other, area=world.grid_a1, role=Role.PARTY_MEMBER)
    homes = _households(world, world.building_a1, 3)
    pairings.pairing_set(actor=world.grid_worker_a, handler=other, households=[homes[0]])
    pairings.pairing_set(actor=world.grid_worker_a, handler=member, households=[homes[1]])
    leader = world.by_role[Role.GRID_LEADER]

    paths = pairings.pairing_paths_for(user=leader, handler=member)
    choices = pairings.pairing_households_for(user=leader, handler=member, paths=paths)
    assert choices[0].household == homes[1] and choices[0].mine
    assert choices[-1].household == homes[0] and choices[-1].paired_with == 1
    unpaired = pairings.pairing_households_for(
        user=leader, handler=member, paths=paths, unpaired_only=True
    )
    assert homes[0] not in [c.household for c in unpaired]
    assert world.household_b1 not in [c.household for c in choices]


def test_volunteer_page_is_for_their_area(world):
    member = world.by_role[Role.PARTY_MEMBER]  # on grid A1
    assert pairings.volunteer_get_for(user=world.by_role[Role.GRID_LEADER], volunteer_id=member.pk)
    leader_b = user_create(username="leader_b", password=PASSWORD)
    membership_grant(user=leader_b, area=world.grid_b1, role=Role.GRID_LEADER)
    with pytest.raises(NotFound):
        pairings.volunteer_get_for(user=leader_b, volunteer_id=member.pk)
    with pytest.raises(NotFound):  # not a volunteer at all
        pairings.volunteer_get_for(user=world.secretary, volunteer_id=world.grid_worker_a.pk)
