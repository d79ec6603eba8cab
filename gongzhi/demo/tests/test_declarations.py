"""The demo's arrival declarations: in each community some matched, one joined an upstream
list's open entry, and some wait for the grid worker; the grid worker sees them."""

from gongzhi.accounts.models import User
from gongzhi.health import declaration_selectors as selectors
from gongzhi.health.models import Declaration


def test_each_community_has_matched_merged_and_pending_declarations(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        declared = list(selectors.declaration_list_for(user=secretary))
        statuses = {d.status for d in declared}
        assert {"matched", "pending_person"} <= statuses, slug
        merged = [d for d in declared if d.entry.upstream_list_id is not None]
        assert merged, slug
        assert all(d.retain_until for d in declared), slug


def test_the_demo_grid_worker_sees_declarations_of_their_grid_only(demo):
    worker = User.objects.get(username="yuling-gridworker")
    seen = selectors.declaration_list_for(user=worker)
    assert set(seen) <= set(Declaration.objects.all())
    assert all(d.area_path.startswith(worker.memberships.first().area.path) for d in seen)
