"""The demo's team board: Qifu's watch list on it in every step, some overdue, home
isolation with daily checks; every community still in normal mode."""

from gongzhi.accounts.models import User
from gongzhi.core import clock
from gongzhi.emergency import care_selectors
from gongzhi.emergency.models import CareCase, CareStep, HealthCheck, ModeState
from gongzhi.emergency.modes import mode_of


def test_qifu_has_cases_in_every_step(demo):
    secretary = User.objects.get(username="qifu-secretary")
    board = care_selectors.board_for(user=secretary)
    for step in CareStep.values:
        assert board[step], step
    cards = [c for column in board.values() for c in column]
    assert any(c.overdue for c in cards)
    isolation = board[CareStep.ISOLATION]
    assert any(c.checked_today is False for c in isolation)
    assert any(c.checked_today is True for c in isolation)
    cases = CareCase.objects.filter(step=CareStep.ISOLATION)
    assert HealthCheck.objects.filter(case__in=cases, symptoms=True).exists()
    assert any(c.isolation_until < clock.today() for c in cases)  # waits for release
    qifu = secretary.memberships.get().area.path
    counts = care_selectors.counts_by_step([qifu])
    assert all(counts.values()) and sum(counts.values()) == CareCase.objects.count()


def test_the_communities_stay_in_normal_mode(demo):
    for case in CareCase.objects.all()[:3]:
        assert not mode_of(case.area_path).emergency
    assert not ModeState.objects.filter(mode="emergency").exists()
