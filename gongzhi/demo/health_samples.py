"""Demo data for tests (核酸/抗原 samples), see gongzhi/demo/extras.py: in each community some
residents were sampled over the past days (PCR with a tube each, some antigen tests read on
the spot), and one lab results file was loaded for each community through the real
service: most results negative, one positive (who joins the watch list), a few rows the
lab got wrong (an unknown tube, an ID number Excel saved as a number) in its report, and
a few samples still waiting for their result.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone

from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock
from gongzhi.core.fields import reveal
from gongzhi.health import lab, sunset
from gongzhi.health.models import LabBatch, Sample, SampleKind, SampleResult, WatchEntry
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, Person

PER_COMMUNITY = 60  # persons sampled per community (fewer in a small demo)
ANTIGEN_SHARE = 0.25
WAITING = 5  # PCR samples left without a result
HEADER = ["姓名", "身份证号", "采样时间", "检测结果", "试管编码"]


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def load(communities: Sequence[Any], *, seed: int, say: Callable[[str], Any]) -> None:
    started = time.perf_counter()
    now = clock.now()
    for number, loaded in enumerate(communities, start=1):
        community = loaded.community
        slug = loaded.plan.spec.slug
        rng = random.Random(f"{seed}:samples:{slug}")
        persons = list(
            Person.objects.filter(
                household__community=community, residency__in=PRESENT_RESIDENCY
            ).order_by("pk")[: PER_COMMUNITY * 4]
        )
        chosen = sorted(rng.sample(persons, min(PER_COMMUNITY, len(persons))), key=lambda p: p.pk)
        made: list[Sample] = []
        for i, person in enumerate(chosen, start=1):
            at = now - dt.timedelta(days=rng.uniform(0.2, 4), minutes=rng.randint(0, 600))
            antigen = rng.random() < ANTIGEN_SHARE
            made.append(
                Sample(
                    person=person,
                    area_path=person.area_path,
                    kind=SampleKind.ANTIGEN if antigen else SampleKind.PCR,
                    tube_code="" if antigen else f"DEMO{number}{i:05d}",
                    sampled_at=at,
                    result=SampleResult.NEGATIVE if antigen else SampleResult.PENDING,
                    result_at=at if antigen else None,
                    retain_until=sunset.retain_until("test", at),
                )
            )
        Sample.objects.bulk_create(made, batch_size=1000)
        pcr = [s for s in made if s.kind == SampleKind.PCR]
        rows: list[list[Any]] = []
        for i, sample in enumerate(pcr[:-WAITING] if len(pcr) > WAITING else pcr):
            result = "阳性" if i == 3 else "阴性"
            when = timezone.localtime(sample.sampled_at).strftime("%Y-%m-%d %H:%M")
            if i % 4 == 1:  # by ID number (the lab typed it), no tube
                rows.append(["", reveal(sample.person.id_number), when, result, ""])
            else:
                rows.append(["", "", when, result, sample.tube_code])
        # What labs get wrong: a tube nobody here used, an ID number saved as a number.
        rows.append(["", "", "", "阴性", f"DEMO{number}99999"])
        rows.append(["", "4.21087E+17", "", "阴性", ""])
        batch = lab.lab_file_upload(
            actor=None, area=community, file=_csv(rows), filename=f"{slug}-检测结果.csv"
        )
        audit_record(
            actor=None,
            action="demo.samples",
            obj=community,
            area_path=community.path,
            fields=["samples"],
            purpose=system_purpose("demo_samples", samples=len(made), files=1),
        )
        counts = batch.counts
        say(
            f"{loaded.plan.spec.name}: {len(made):,} tests, lab file #{batch.pk} "
            f"({counts.get('matched', 0)} applied, {counts.get('positive', 0)} positive)"
        )
    say(f"Tests: {time.perf_counter() - started:.1f} s")


def unload(*, say: Callable[[str], Any]) -> None:
    """Remove the demo communities' samples, lab files and the watch entries positives made."""
    from gongzhi.demo.spec import COMMUNITIES

    paths = list(
        Area.objects.filter(code__in=[s.code for s in COMMUNITIES]).values_list("path", flat=True)
    )
    samples = Sample.objects.within(*paths)
    count = samples.count()
    samples.delete()
    LabBatch.objects.within(*paths).delete()
    WatchEntry.objects.within(*paths).filter(
        upstream_list__isnull=True, events__action="positive_test"
    ).delete()
    say(f"Removed the demo's tests ({count:,}).")
