"""The demo's issue-3 data (gongzhi/demo/datasets.py) on a small demo register."""

from gongzhi.accounts.models import User
from gongzhi.demo import datasets
from gongzhi.demo.load import load
from gongzhi.demo.logins import create_logins
from gongzhi.health.models import UpstreamList, Vaccination, WatchEntry
from gongzhi.registry.selectors import person_duplicates_for
from gongzhi.reports.models import Report, ReportTemplate
from gongzhi.testing import ensure_reference_data


def test_demo_data_loads_matched_followed_up_and_filled_then_unloads(db):
    ensure_reference_data()
    loaded = load(seed=7, scale=0.02)
    create_logins(loaded)
    said = []
    datasets.load(loaded, seed=7, say=said.append)
    assert len(said) == 4  # one line per community, then the transfer requests
    assert said[-1].startswith("3 transfer requests")
    assert Vaccination.objects.count() > 300
    lists = UpstreamList.objects.all()
    assert [u.status for u in lists] == ["matched"] * 3
    for upstream_list in lists:
        counts = upstream_list.counts
        assert counts["id_number"] > 0 and counts["none"] > 0
    assert WatchEntry.objects.filter(status="closed").exists()
    assert WatchEntry.objects.filter(assignee__username__endswith="-gridworker").exists()
    assert ReportTemplate.objects.count() == 9
    assert set(Report.objects.values_list("status", flat=True)) == {"done"}
    assert ReportTemplate.objects.filter(schedule="weekly").count() == 3
    # One resident per community registered twice: a merge proposal for the grid worker
    worker = User.objects.get(username="yuling-gridworker")
    groups = person_duplicates_for(user=worker)
    assert len(groups) == 1 and len(groups[0]) == 2
    assert groups[0][0].birth_date == groups[0][1].birth_date

    datasets.unload(say=said.append)
    assert not UpstreamList.objects.exists() and not WatchEntry.objects.exists()
    assert not Vaccination.objects.exists() and not ReportTemplate.objects.exists()
