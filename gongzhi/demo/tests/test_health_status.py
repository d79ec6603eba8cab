"""The demo's health statuses: some amber and red with their reasons, Yuling's own rule
version, and one run of the data sunset."""

from gongzhi.accounts.models import User
from gongzhi.health.models import HealthStatus, Purge, StatusRuleSet
from gongzhi.health.status_selectors import status_board_for


def test_each_community_has_amber_and_red_statuses_with_reasons(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        board = status_board_for(user=secretary)
        assert board.counts["amber"] > 0 and board.counts["red"] > 0, (slug, board.counts)
        assert all(row.reasons and row.reasons[0]["text"] for row in board.rows)


def test_yuling_has_its_own_rule_version_and_its_persons_use_it(demo):
    rule_set = StatusRuleSet.objects.get(area__code="421087001003")  # Yuling
    assert rule_set.version == 1 and rule_set.reason
    assert HealthStatus.objects.filter(rule_set=rule_set).exists()


def test_one_purge_run_removed_the_old_check_ins(demo):
    run = Purge.objects.get()
    assert run.counts.get("checkin", 0) >= 1
