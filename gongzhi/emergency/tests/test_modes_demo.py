"""The demo's mode data: profiles that pass the rules, Qifu's past episode, all normal."""

from types import SimpleNamespace

from gongzhi.demo import emergency_modes
from gongzhi.emergency import modes
from gongzhi.emergency.models import Mode, ModeProfile, ModeState, ModeSwitch


def _loaded(area, slug):
    return SimpleNamespace(community=area, plan=SimpleNamespace(spec=SimpleNamespace(slug=slug)))


def test_the_demo_leaves_every_community_normal_with_qifus_history(world):
    emergency_modes.load(
        [_loaded(world.community_a, "qifu"), _loaded(world.community_b, "yuling")],
        seed=1, say=lambda _m: None,
    )  # fmt: skip

    assert not ModeState.objects.exclude(mode=Mode.NORMAL).exists()
    history = list(ModeSwitch.objects.filter(area=world.community_a).order_by("at"))
    assert [(s.from_mode, s.to_mode) for s in history] == [
        (Mode.NORMAL, Mode.EMERGENCY), (Mode.EMERGENCY, Mode.NORMAL),
    ]  # fmt: skip
    assert history[1].sunset_on is not None
    assert not ModeSwitch.objects.filter(area=world.community_b).exists()
    assert ModeProfile.objects.filter(area=world.community_b).count() == 2
    profile = modes.profile_in_force(world.community_a.path, Mode.EMERGENCY)
    assert profile["sla_factor"] == 0.4
    assert modes.mode_of(world.building_a1.path).mode == Mode.NORMAL
