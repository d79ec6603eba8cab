"""Reads for recording tests and lab files: scoped by `health.record`, masked for display."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import Viewer
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_name
from gongzhi.health.models import LabBatch, Sample, SampleResult, SessionKind, TestingSession
from gongzhi.registry import selectors as registry_selectors
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person

RECENT = 10


@dataclass(frozen=True)
class PersonChoice:
    """A person as the recording pages show them: masked name and ID number, building."""

    pk: int
    name: str
    id_number: str
    place: str


def person_label(person: Person) -> PersonChoice:
    household = getattr(person, "household", None)
    place = ""
    if household is not None:
        building = getattr(household, "building", None)
        place = getattr(building, "name", "") or ""
    return PersonChoice(
        pk=person.pk,
        name=mask_name(person.name),
        id_number=str(person.id_number) if person.id_number else "",
        place=place,
    )


def person_search(*, user: Viewer, q: str, limit: int = 20) -> list[PersonChoice]:
    """The register's own search (name, pinyin, full ID number or phone), limited to where
    the user records tests and to persons living here; shown masked."""
    if not q.strip() or not access.can(user, Perm.HEALTH_RECORD):
        return []
    found = registry_selectors.person_search_for(user=user, q=q, perm=Perm.HEALTH_RECORD)
    found = found.filter(residency__in=PRESENT_RESIDENCY).select_related("household__building")
    return [person_label(p) for p in found[:limit]]


def person_get_for_sampling(*, user: Viewer, person_id: Any) -> Person:
    person = get_by_id(Person.objects.select_related("household__building"), person_id)
    if not access.can(user, Perm.HEALTH_RECORD, person.area_path):
        raise NotFound()
    return person


def session_get_for_sampling(*, user: Viewer, session_id: Any) -> TestingSession:
    """A testing session where the user records tests; others (and vaccination sessions)
    are missing."""
    session = get_by_id(TestingSession.objects.all(), session_id, kind=SessionKind.TEST)
    # A community's session is staffed by its grid workers too: their area is inside it.
    if not access.overlaps(user, Perm.HEALTH_RECORD, session.area_path):
        raise NotFound()
    return session


def sessions_open_for(*, user: Viewer) -> list[TestingSession]:
    """Testing sessions of the user's area that are open and not long over."""
    since = clock.now() - dt.timedelta(days=1)
    return list(
        TestingSession.objects.restrict(user, Perm.HEALTH_RECORD, overlapping=True)
        .filter(kind=SessionKind.TEST, closed_at__isnull=True, ends_at__gte=since)
        .order_by("starts_at", "pk")[:50]
    )


def sample_list_for(*, user: Viewer, result: str = "") -> QuerySet[Sample]:
    samples = Sample.objects.restrict(user, Perm.HEALTH_RECORD)
    if result in SampleResult.values:
        samples = samples.filter(result=result)
    return samples.select_related("person", "session").order_by("-sampled_at", "-pk")


def point_count(*, user: Viewer, session: TestingSession | None) -> int:
    """The running count on the scanning page: the session's samples, or at a free-standing
    point the samples this user recorded today outside any session."""
    if session is not None:
        return Sample.objects.filter(session=session).count()
    start = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return Sample.objects.filter(
        session__isnull=True, recorded_by_id=user.pk, created_at__gte=start
    ).count()


def recent_scans(*, user: Viewer, session: TestingSession | None) -> list[dict[str, Any]]:
    if session is not None:
        samples = Sample.objects.filter(session=session)
    else:
        samples = Sample.objects.filter(session__isnull=True, recorded_by_id=user.pk)
    rows = samples.select_related("person").order_by("-created_at", "-pk")[:RECENT]
    return [{"sample": s, "name": mask_name(s.person.name), "tube": s.tube_code} for s in rows]


# --- lab files -----------------------------------------------------------------------------


def lab_areas_for(*, user: Viewer) -> list[Area]:
    """Communities and grids where the user may load a lab file."""
    held = access.paths(user, Perm.HEALTH_RECORD)
    if not held:
        return []
    areas = Area.objects.filter(kind__in=(AreaKind.COMMUNITY, AreaKind.GRID)).restrict(
        user, Perm.HEALTH_RECORD
    )
    return list(areas.order_by("path")[:200])


def lab_area_get_for(*, user: Viewer, area_id: Any) -> Area:
    area = get_by_id(Area.objects.all(), area_id)
    if area.kind not in (AreaKind.COMMUNITY, AreaKind.GRID) or not access.can(
        user, Perm.HEALTH_RECORD, area.path
    ):
        raise NotFound()
    return area


def lab_batch_list_for(*, user: Viewer) -> QuerySet[LabBatch]:
    return (
        LabBatch.objects.restrict(user, Perm.HEALTH_RECORD)
        .select_related("community", "uploaded_by")
        .order_by("-created_at", "-pk")
    )


def lab_batch_get_for(*, user: Viewer, batch_id: Any) -> LabBatch:
    batch = get_by_id(LabBatch.objects.select_related("community", "uploaded_by"), batch_id)
    if not access.can(user, Perm.HEALTH_RECORD, batch.area_path):
        raise NotFound()
    return batch
