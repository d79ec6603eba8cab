import datetime as dt
import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from gongzhi.core import periodic
from gongzhi.core.models import JobRun
from gongzhi.core.periodic import PeriodicJob

HOURLY = PeriodicJob(
    name="audit.verify_chain",
    task="gongzhi.audit.tasks.verify_audit_chain",
    every=dt.timedelta(hours=1),
)
AT = dt.datetime(2026, 11, 29, 10, 17, tzinfo=dt.UTC)


def test_slot_is_the_start_of_the_period():
    assert periodic.slot_of(HOURLY, AT) == dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)


def test_jobs_are_declared_in_one_module():
    names = [job.name for job in periodic.jobs()]
    assert "audit.verify_chain" in names
    assert len(names) == len(set(names))


@pytest.mark.django_db
def test_a_due_job_is_claimed_and_enqueued_once():
    first = periodic.claim(HOURLY, AT, "worker-1")
    second = periodic.claim(HOURLY, AT + dt.timedelta(minutes=30), "worker-2")
    assert first is not None and second is None
    assert JobRun.objects.filter(name=HOURLY.name).count() == 1
    assert DBTaskResult.objects.filter(id=first.task_result_id).exists()


@pytest.mark.django_db
def test_the_next_period_is_a_new_slot():
    periodic.claim(HOURLY, AT, "worker-1")
    assert periodic.claim(HOURLY, AT + dt.timedelta(hours=1), "worker-1") is not None


@pytest.mark.django_db
def test_tick_claims_every_declared_job():
    runs = periodic.tick("worker-1", AT)
    assert {r.name for r in runs} == {job.name for job in periodic.jobs()}
    assert periodic.tick("worker-2", AT) == []


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_a_slot_enqueue_it_once():
    """Several threads (own connections) claim the same slot at once: one wins."""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL; SQLite serialises writers")
    barrier = threading.Barrier(6)
    results: list[object] = []

    def race(n: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(periodic.claim(HOURLY, AT, f"worker-{n}"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert JobRun.objects.filter(name=HOURLY.name).count() == 1
    assert DBTaskResult.objects.count() == 1
