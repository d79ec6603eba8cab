"""The data sunset: every record made for health is kept until a date set by policy.

`retain_until(kind, at)` is what each write path stores in the record's `retain_until`.
The policy is `GONGZHI_HEALTH_RETENTION_DAYS` (days per kind, counted from the record's
day); the purge (`purge_due`, daily in the worker) deletes what is due in every model that
declares a `retention` kind, and anonymises the watch-list entries that declarations made
once those are gone (see `_anonymise_declared_entries`). `held_about(person_id)` is what a
resident sees on /m/health/me/data/: each kind held about them and until when.

`HOLDS` lets an app above health keep a place's records from the purge while it needs
them (emergency mode: a community in an emergency): each callable returns area paths on
hold; a record lies where `retention_path_of(model)` says (its `retention_path`, e.g.
"case__area_path", else its `scope_field`), and a model that lies nowhere waits while
anything is on hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django_tasks import task

from gongzhi.core import clock
from gongzhi.health.models import Purge

# Days a record of each kind is kept, counted from the day it was made.
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "declaration": 30,
    "booking": 30,
    "test": 30,
    "checkin": 14,
    "status": 30,
    "campaign": 30,
    # Collected during an emergency (emergency app: shopping lists, team cases, health
    # checks); switching the community back to normal sets the date from the switch.
    "emergency": 30,
}


def retention_days(kind: str) -> int:
    policy = {**DEFAULT_RETENTION_DAYS, **getattr(settings, "GONGZHI_HEALTH_RETENTION_DAYS", {})}
    return int(policy[kind])


def retain_until(kind: str, at: dt.datetime | dt.date | None = None) -> dt.date:
    """The day a record of `kind` made at `at` (default: now) is due for the purge."""
    if at is None:
        day = clock.today()
    elif isinstance(at, dt.datetime):
        day = timezone.localdate(at)
    else:
        day = at
    return day + dt.timedelta(days=retention_days(kind))


# --- the purge ---------------------------------------------------------------------------------

PURGE_BATCH = 1000
ANONYMISED_ENTRIES = "watch_entry_anonymised"
# Filled by apps above health (emergency's `EmergencyConfig.ready`): () -> area paths whose
# records the purge keeps for now.
HOLDS: list[Callable[[], Iterable[str]]] = []


def held_paths() -> list[str]:
    """The area paths on hold now (from every `HOLDS` callable)."""
    return sorted({p for hold in HOLDS for p in hold() if p})


def retention_path_of(model: type[models.Model]) -> str | None:
    """The field holding the area path a retained model's record lies in, or None."""
    return getattr(model, "retention_path", None) or getattr(model, "scope_field", None)


def recorded_at_of(model: type[models.Model]) -> str | None:
    """The field saying when a retained model's record was made (`retention_recorded_at`,
    else `created_at`), or None."""
    declared = getattr(model, "retention_recorded_at", None)
    if declared:
        return declared
    return "created_at" if _has_field(model, "created_at") else None


def retained_models() -> list[type[models.Model]]:
    """Every model that declares a `retention` kind (health's own, outreach's answers …):
    found from the app registry, so a new health record is purged by declaring one."""
    return [
        m
        for m in apps.get_models()
        if isinstance(getattr(m, "retention", None), str) and _has_field(m, "retain_until")
    ]


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _delete_due(
    model: type[models.Model], today: dt.date, counts: dict[str, int], held: list[str]
) -> None:
    """Delete the model's rows due before `today`, a batch at a time, except those lying in
    `held`; every row removed with them (an answer's attempts) is counted under its own kind."""
    due = model._default_manager.filter(retain_until__lt=today).order_by("pk")
    if held:
        from gongzhi.accounts import access

        field = retention_path_of(model)
        if field is None:
            return
        kept = access.within_column(model._default_manager.all(), field, *held)
        due = due.exclude(pk__in=kept.values("pk"))
    while True:
        ids = list(due.values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return
        with transaction.atomic():
            _total, per_model = model._default_manager.filter(pk__in=ids).delete()
        for label, n in per_model.items():
            removed = apps.get_model(label)
            kind = getattr(removed, "retention", None) or removed._meta.model_name
            counts[kind] = counts.get(kind, 0) + n


def _anonymise_declared_entries(counts: dict[str, int]) -> None:
    """A watch-list entry made from declarations (no upstream list) repeats what they held
    (name, ID number, phone, origin, the arrival, notes). Once it is closed and no
    declaration of it is left, its personal values go; the entry stays, so that the
    follow-up's counts (how many arrivals, verified how, with which outcome) still add up.
    An entry of an upstream list is watch-list data, not the sunset's; an open entry waits
    until it is closed."""
    from gongzhi.health.models import Declaration, WatchEntry, WatchEvent
    from gongzhi.health.states import OPEN_STATUSES

    due = (
        WatchEntry.objects.filter(upstream_list__isnull=True)
        .exclude(status__in=OPEN_STATUSES)
        .exclude(pk__in=Declaration.objects.filter(entry__isnull=False).values("entry_id"))
        .exclude(name="", id_number_index="", phone_index="", person__isnull=True, origin="")
        .order_by("pk")
    )
    while True:
        ids = list(due.values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return
        with transaction.atomic():
            WatchEntry.objects.filter(pk__in=ids).update(
                name="", id_number="", id_number_index="", phone="", phone_index="",
                birth_date=None, origin="", arrival_date=None, source="", address="",
                problems={}, person=None, candidates=[], review_note="",
                verification_note="", outcome_note="",
            )  # fmt: skip
            WatchEvent.objects.filter(entry_id__in=ids).update(note="", data={})
        counts[ANONYMISED_ENTRIES] = counts.get(ANONYMISED_ENTRIES, 0) + len(ids)


def purge_due(today: dt.date | None = None) -> Purge:
    """Remove every health record whose `retain_until` is before `today` (by default the
    local today): a row due today is kept until tomorrow's run. Records one `Purge` with the
    counts per kind and one audit entry (counts only). Normal-mode data (persons,
    households, vaccinations, …) declares no retention and is never read here."""
    from gongzhi.audit.services import audit_record
    from gongzhi.audit.vocabulary import system_purpose

    today = today or clock.today()
    counts: dict[str, int] = {}
    held = held_paths()
    for model in retained_models():
        _delete_due(model, today, counts, held)
    _anonymise_declared_entries(counts)
    counts = {k: v for k, v in sorted(counts.items()) if v}
    with transaction.atomic():
        run = Purge.objects.create(at=clock.now(), counts=counts)
        audit_record(
            actor=None,
            action="health.purge",
            obj=run,
            purpose=system_purpose(
                "health_purge",
                removed=", ".join(f"{k} {v}" for k, v in counts.items()) or "0",
                before=today.isoformat(),
            ),
        )
    return run


@task()
def purge_due_task() -> dict[str, int]:
    """Periodic (daily): the data sunset (safe to run twice: what is gone stays gone)."""
    return purge_due().counts


# --- what is held about a person ----------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    kind: str
    count: int
    until: dt.date | None  # the latest retain_until of these rows


def held_about(person_id: int) -> list[Held]:
    """Every kind of health record held about the person: how many, and until when (the
    latest date any of them is kept to). Read generically from the models that declare a
    retention and name the person, so outreach's answers count without health importing
    outreach; a campaign's recipient counts only once they answered."""
    found: dict[str, tuple[int, dt.date | None]] = {}
    for model in retained_models():
        if not _has_field(model, "person"):
            continue
        rows = model._default_manager.filter(person_id=person_id)
        if _has_field(model, "answer"):
            rows = rows.exclude(answer="")
        got = rows.aggregate(n=Count("pk"), until=Max("retain_until"))
        if not got["n"]:
            continue
        kind = model.retention  # type: ignore[attr-defined]
        count, until = found.get(kind, (0, None))
        latest = max((d for d in (until, got["until"]) if d is not None), default=None)
        found[kind] = (count + got["n"], latest)
    return [Held(kind, n, until) for kind, (n, until) in sorted(found.items())]
