"""The demo's visits: some households of each grid worker are due, not all of them."""

from gongzhi.accounts.models import User
from gongzhi.core import clock
from gongzhi.visits.models import Visit
from gongzhi.visits.selectors import due_summary, due_visits_for


def test_grid_workers_have_visited_some_households_and_some_are_due(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        assert Visit.objects.restrict(secretary, "visits.log").exists(), slug
        due = due_visits_for(user=secretary, horizon_days=0)
        covered = due_visits_for(user=secretary, horizon_days=400)  # every household with a rule
        assert due, slug
        assert len(due) < len(covered), slug
        # Due by today: overdue, or due today (whatever the hour the test runs at).
        assert all(row.due_on is None or row.due_on <= clock.today() for row in due), slug
        assert 0 < due_summary(due).overdue <= len(due), slug
    # Yuling's demo grid worker (a first-level grid) has work of their own.
    worker = User.objects.get(username="yuling-gridworker")
    assert Visit.objects.filter(visitor=worker).exists()
    assert due_visits_for(user=worker)


def test_visits_are_made_in_the_visitors_own_grid(demo):
    for visit in Visit.objects.select_related("visitor")[:200]:
        grids = [m.area.path for m in visit.visitor.memberships.select_related("area")]
        assert any(visit.area_path.startswith(g) for g in grids)
