"""The mode switch and the mode profiles: success, each refusal, each denied role, what is
audited and what is announced."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.emergency import modes, switching
from gongzhi.emergency.models import Mode, ModeProfile, ModeState, ModeSwitch
from gongzhi.notices.models import Notice, NoticeKind
from gongzhi.notifications.models import SmsMessage
from gongzhi.testing import make_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)


def _to_emergency(world, actor=None, **extra):
    area = extra.pop("area", world.community_a)
    data = {"to_mode": Mode.EMERGENCY, "kind": "epidemic", "reason": "本地出现聚集性疫情"}
    data.update(extra)
    return switching.mode_switch(actor=actor or world.secretary, area=area, **data)


def test_the_secretary_switches_her_community_to_emergency(world):
    with clock.freeze(NOON):
        switch = _to_emergency(world)

    state = ModeState.objects.get(area=world.community_a)
    assert (state.mode, state.kind, state.since) == (Mode.EMERGENCY, "epidemic", NOON)
    assert (switch.from_mode, switch.to_mode, switch.by) == (
        Mode.NORMAL, Mode.EMERGENCY, world.secretary,
    )  # fmt: skip
    assert switch.sunset_on is None
    assert modes.mode_of(world.building_a1.path).emergency
    assert not modes.mode_of(world.building_b1.path).emergency


def test_a_switch_is_audited_once_without_the_reason(world):
    switch = _to_emergency(world, reason="张晓明 13912345678 确诊")

    entries = AuditEntry.objects.filter(action="emergency.switch")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_id == str(switch.pk)
    assert entry.area_path == world.community_a.path
    assert "张晓明" not in entry.purpose + entry.object_label
    assert "13912345678" not in entry.purpose + entry.object_label


def test_the_street_officer_switches_any_community_below_the_street(world):
    officer = world.by_role[Role.STREET_OFFICER]
    switch = _to_emergency(world, actor=officer, area=world.community_b)
    assert switch.area == world.community_b


@pytest.mark.parametrize(
    "role",
    [
        Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER, Role.BUILDING_HEAD, Role.GRID_WORKER,
        Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.POLICE, Role.DOCTOR, Role.AUDITOR,
        Role.SYSTEM_ADMIN,
    ],
)  # fmt: skip
def test_other_roles_may_not_switch(world, role):
    with pytest.raises(Forbidden):
        _to_emergency(world, actor=world.by_role[role])
    assert not ModeSwitch.objects.exists()


def test_the_secretary_may_not_switch_another_community(world):
    with pytest.raises(Forbidden):
        _to_emergency(world, area=world.community_b)


def test_only_a_community_is_switched(world):
    officer = world.by_role[Role.STREET_OFFICER]
    for area in (world.grid_a1, world.street):
        with pytest.raises(NotFound):
            _to_emergency(world, actor=officer, area=area)


def test_switching_to_the_mode_one_is_in_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        switching.mode_switch(
            actor=world.secretary, area=world.community_a, to_mode=Mode.NORMAL, kind="",
            reason="演练结束",
        )  # fmt: skip
    assert "mode" in exc.value.message_dict
    _to_emergency(world)
    with pytest.raises(ValidationError) as exc:
        _to_emergency(world)
    assert "mode" in exc.value.message_dict
    assert ModeSwitch.objects.count() == 1


def test_emergency_without_a_kind_is_refused(world):
    for kind in ("", "meteor"):
        with pytest.raises(ValidationError) as exc:
            _to_emergency(world, kind=kind)
        assert "kind" in exc.value.message_dict
    assert not ModeState.objects.filter(mode=Mode.EMERGENCY).exists()


def test_an_empty_or_too_long_reason_is_refused(world):
    for reason in ("", "   ", "长" * 201):
        with pytest.raises(ValidationError) as exc:
            _to_emergency(world, reason=reason)
        assert "reason" in exc.value.message_dict


def test_an_unknown_mode_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _to_emergency(world, to_mode="panic")
    assert "mode" in exc.value.message_dict


def test_switching_back_sets_the_sunset_day(world, settings):
    settings.GONGZHI_EMERGENCY_SUNSET_DAYS = 14
    with clock.freeze(NOON):
        _to_emergency(world)
    with clock.freeze(NOON + dt.timedelta(days=10)):
        back = switching.mode_switch(
            actor=world.secretary, area=world.community_a, to_mode=Mode.NORMAL,
            kind="epidemic", reason="疫情结束",
        )  # fmt: skip
    assert back.sunset_on == dt.date(2026, 12, 25)
    assert back.kind == ""
    assert ModeState.objects.get(area=world.community_a).mode == Mode.NORMAL


# --- the announcement --------------------------------------------------------------------------


def test_a_switch_is_announced_by_notice_and_sms(world, django_capture_on_commit_callbacks):
    phones = {}
    for role in (
        Role.SECRETARY, Role.GRID_WORKER, Role.POLICE, Role.DOCTOR, Role.PARTY_MEMBER,
        Role.VOLUNTEER, Role.RESIDENT, Role.STREET_OFFICER,
    ):  # fmt: skip
        phones[role] = make_phone()
        user_set_phone(user=world.by_role[role], phone=phones[role])
    user_set_phone(user=world.grid_worker_b, phone=make_phone())

    with django_capture_on_commit_callbacks(execute=True):
        switch = _to_emergency(world, reason="张晓明确诊 13912345678")

    switch.refresh_from_db()
    notice = Notice.objects.get(pk=switch.notice_id)
    assert notice.kind == NoticeKind.URGENT
    assert list(notice.targets.values_list("area_id", flat=True)) == [world.community_a.pk]
    assert "玉岭社区" in notice.title
    texts = list(SmsMessage.objects.filter(kind="emergency.switch"))
    told = {m.recipient_id for m in texts}
    expected = {world.by_role[r].pk for r in (
        Role.SECRETARY, Role.GRID_WORKER, Role.POLICE, Role.DOCTOR, Role.PARTY_MEMBER,
        Role.VOLUNTEER,
    )} | {world.grid_worker_b.pk}  # fmt: skip
    assert told == expected
    assert len(texts) == len(expected)
    for message in texts:
        assert "玉岭社区" in message.text
        assert "张晓明" not in message.text
        assert "13912345678" not in message.text
        assert "王建国" not in message.text


def test_staff_of_another_community_are_not_told(world, django_capture_on_commit_callbacks):
    from gongzhi.accounts.services import membership_grant
    from gongzhi.testing import _user

    other = _user("grid_worker_elsewhere", world.grid_b1, Role.GRID_WORKER)
    user_set_phone(user=other, phone=make_phone())
    membership_grant(user=other, area=world.grid_b1, role=Role.VOLUNTEER)
    with django_capture_on_commit_callbacks(execute=True):
        _to_emergency(world)
    assert not SmsMessage.objects.filter(recipient=other).exists()


# --- profiles ---------------------------------------------------------------------------------

GOOD = {
    "portal_services": ["health_me:status"],
    "workbench_links": ["health:watchlist", "emergency:index"],
    "sla_factor": 0.25,
    "duties": [{"title": "晨检", "role": "doctor", "time": "08:00"}],
    "dashboards": ["households", "map"],
}


def _save(world, actor=None, **extra):
    area = extra.pop("area", world.community_a)
    data = {"mode": Mode.EMERGENCY, "config": GOOD, "reason": "按演练经验调整"}
    data.update(extra)
    return switching.profile_save(actor=actor or world.secretary, area=area, **data)


def test_staff_save_a_profile_as_new_versions(world):
    first = _save(world, actor=world.by_role[Role.COMMUNITY_STAFF])
    second = _save(world, config={"sla_factor": 1})
    assert (first.version, second.version) == (1, 2)
    assert modes.profile_in_force(world.community_a.path, Mode.EMERGENCY)["sla_factor"] == 1.0
    assert AuditEntry.objects.filter(action="emergency.profile_save").count() == 2
    assert ModeProfile.objects.filter(mode=Mode.NORMAL).count() == 0


@pytest.mark.parametrize(
    "role",
    [
        Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER, Role.GRID_WORKER, Role.GRID_LEADER,
        Role.POLICE, Role.DOCTOR, Role.STREET_OFFICER, Role.AUDITOR, Role.SYSTEM_ADMIN,
    ],
)  # fmt: skip
def test_other_roles_may_not_save_a_profile(world, role):
    with pytest.raises(Forbidden):
        _save(world, actor=world.by_role[role])


def test_a_profile_of_another_community_is_refused(world):
    with pytest.raises(Forbidden):
        _save(world, area=world.community_b)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"portal_services": ["no_such:page"]}, "portal_services"),
        ({"portal_services": "health_me:status"}, "portal_services"),
        ({"workbench_links": ["health:entry_detail"]}, "workbench_links"),  # needs an id
        ({"sla_factor": 0.05}, "sla_factor"),
        ({"sla_factor": 1.5}, "sla_factor"),
        ({"sla_factor": "0.5"}, "sla_factor"),
        ({"sla_factor": True}, "sla_factor"),
        ({"duties": [{"title": "x" * 61, "role": "doctor", "time": "08:00"}]}, "duties"),
        ({"duties": [{"title": "晨检", "role": "mayor", "time": "08:00"}]}, "duties"),
        ({"duties": [{"title": "晨检", "role": "doctor", "time": "25:00"}]}, "duties"),
        ({"duties": [{"title": "晨检", "role": "doctor"}]}, "duties"),
        ({"duties": {"title": "晨检"}}, "duties"),
        ({"dashboards": ["households", "weather"]}, "dashboards"),
        ({"dashboards": ["map", "map"]}, "dashboards"),
        ({"colour": "red"}, "config"),
        ([], "config"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_key(world, config, key):
    with pytest.raises(ValidationError) as exc:
        _save(world, config=config)
    assert key in exc.value.message_dict
    if key != "config":
        assert any(key in m for m in exc.value.message_dict[key])
    assert not ModeProfile.objects.exists()


def test_a_profile_needs_a_reason_and_a_mode(world):
    with pytest.raises(ValidationError) as exc:
        _save(world, reason="", mode="panic")
    assert {"reason", "mode"} <= set(exc.value.message_dict)


@pytest.mark.parametrize("mode", [Mode.NORMAL, Mode.EMERGENCY])
def test_the_default_profiles_pass_their_own_checks(mode):
    """Every page a default profile names resolves, every duty and panel is valid: a
    community that never saved a profile gets what a saved one would."""
    assert switching.profile_clean(modes.DEFAULT_PROFILES[mode]) == modes.DEFAULT_PROFILES[mode]
