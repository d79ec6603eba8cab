"""The demo's tests: samples in every community, one applied lab file each, a positive on
the watch list, some samples still waiting, the lab's mistakes in its report."""

from gongzhi.accounts.models import User
from gongzhi.health.models import LabBatch, Sample, WatchEntry


def test_each_community_has_tests_and_an_applied_lab_file(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        samples = Sample.objects.restrict(secretary, "health.record")
        assert samples.filter(result="negative").exists(), slug
        assert samples.filter(result="positive").count() == 1, slug
        assert samples.filter(result="pending").exists(), slug
        (batch,) = LabBatch.objects.restrict(secretary, "health.record")
        assert batch.status == "applied", slug
        codes = {p["code"] for p in batch.problems}
        assert {"unknown_tube", "id_stored_as_number"} <= codes, slug
        positive = samples.get(result="positive")
        assert WatchEntry.objects.filter(person=positive.person).exists(), slug
