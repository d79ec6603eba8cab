import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from gongzhi.audit.models import AuditVerification
from gongzhi.core import periodic
from gongzhi.core.models import JobRun


@pytest.mark.django_db(transaction=True)
def test_one_worker_round_enqueues_due_jobs_and_runs_them():
    call_command("worker", "--once", "--worker-id", "w1")
    assert JobRun.objects.filter(name="audit.verify_chain").count() == 1
    results = DBTaskResult.objects.all()
    assert results.count() == JobRun.objects.count()
    assert all(r.status == "SUCCESSFUL" for r in results), [
        (r.task_path, r.status) for r in results
    ]
    assert AuditVerification.objects.filter(ok=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_in_the_same_period_runs_nothing_again():
    call_command("worker", "--once", "--worker-id", "w1")
    finished = DBTaskResult.objects.count()
    call_command("worker", "--once", "--worker-id", "w2")
    assert DBTaskResult.objects.count() == finished


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_several_worker_processes_on_postgresql_run_each_job_once():
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes need PostgreSQL")
    env = {**os.environ, "DATABASE_URL": _database_url()}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gongzhi",
                "worker",
                "--interval",
                "0.2",
                "--worker-id",
                f"p{n}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in range(3)
    ]
    try:
        deadline = time.time() + 60
        expected = len(periodic.jobs())  # one run of each job in gongzhi/jobs.py
        while time.time() < deadline:
            if DBTaskResult.objects.filter(status="SUCCESSFUL").count() >= expected:
                break
            time.sleep(0.5)
        time.sleep(2)  # give the others a chance to (wrongly) run something again
    finally:
        for w in workers:
            w.terminate()
        outputs = [w.communicate(timeout=30)[0].decode() for w in workers]
    assert JobRun.objects.count() == expected, outputs
    assert DBTaskResult.objects.count() == expected, outputs
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == expected, outputs
    # Each task was claimed by exactly one worker: none ran twice.
    assert all(len(ids) == 1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True))
