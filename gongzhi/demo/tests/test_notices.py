"""The demo's notices: each community has a pinned one, an urgent one, a 停水通知 for one
building, and some receipts; the staff see who has not read them."""

from gongzhi.accounts.models import User
from gongzhi.notices import selectors
from gongzhi.notices.models import NoticeReceipt


def test_each_community_has_its_notices_with_some_receipts(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        notices = list(selectors.notice_list_for(user=secretary))
        kinds = {n.kind for n in notices}
        assert {"news", "policy", "urgent"} <= kinds, slug
        assert any(n.pinned for n in notices), slug
        water = [n for n in notices if n.title.startswith("停水通知")]
        assert len(water) == 1 and water[0].targets.get().area.kind == "building", slug
        assert NoticeReceipt.objects.filter(notice__in=notices).exists(), slug
        counts = selectors.receipt_counts_for(user=secretary, notice=water[0])
        assert 0 < counts.read < counts.audience, slug
