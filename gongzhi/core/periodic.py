"""Periodic jobs: declared in `gongzhi/jobs.py`, enqueued by whichever worker claims a slot.

Time is cut into slots of each job's period. A worker that finds the current slot
unclaimed inserts a `JobRun` row for it and enqueues the job's task in the same
transaction; the unique (name, slot) constraint makes every other worker's insert fail,
so however many workers run, a slot's job is enqueued once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from gongzhi.core import clock
from gongzhi.core.models import JobRun

logger = logging.getLogger(__name__)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path of a django-tasks task taking no arguments
    every: dt.timedelta
    description: str = ""


def jobs() -> list[PeriodicJob]:
    return list(import_string(settings.GONGZHI_PERIODIC_JOBS))


def slot_of(job: PeriodicJob, at: dt.datetime) -> dt.datetime:
    periods = (at - EPOCH) // job.every
    return EPOCH + periods * job.every


def claim(job: PeriodicJob, at: dt.datetime, worker_id: str) -> JobRun | None:
    """Enqueue the job for the slot holding `at`, unless some worker already has."""
    slot = slot_of(job, at)
    if JobRun.objects.filter(name=job.name, slot=slot).exists():
        return None
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                name=job.name, slot=slot, claimed_by=worker_id, claimed_at=clock.now()
            )
            result = import_string(job.task).enqueue()
            run.task_result_id = str(result.id)
            run.save(update_fields=["task_result_id"])
    except IntegrityError:
        return None
    logger.info("periodic job %s enqueued for slot %s", job.name, slot.isoformat())
    return run


def tick(worker_id: str, at: dt.datetime | None = None) -> list[JobRun]:
    """Claim every job whose current slot is unclaimed. Safe to call from many workers."""
    at = at or clock.now()
    return [run for job in jobs() if (run := claim(job, at, worker_id)) is not None]
