"""Recording tests (核酸 / 抗原 samples): one person at a time, or in a batch at a sampling
point by scanning residents' personal codes.

One tube holds one person's sample (单管单人): a tube code names exactly one sample, so a
lab file's row by tube code names exactly one person. Pooled tubes (10 合 1) are not
recorded here: a pooled positive names nobody, and its ten persons each need a retest.

Each write checks the actor's `health.record` where the person lives, locks the person's
row (two scans of one person at once record one sample), audits by number, sets the
retention date, and tells the status rules on commit. A positive result opens (or joins)
a watch-list entry for the person's grid worker.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.validation import raise_errors
from gongzhi.health import codes, selectors, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import (
    Booking,
    BookingStatus,
    Sample,
    SampleKind,
    SampleResult,
    SessionKind,
    TestingSession,
    WatchEntry,
    WatchEvent,
)
from gongzhi.health.states import OPEN_STATUSES, Tier
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

# The same person scanned again within this long (same kind of test) is the same sample.
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
# How far back a sample may be entered after the fact, and how far ahead a clock may run.
MAX_BACKDATE = dt.timedelta(days=7)
CLOCK_SKEW = dt.timedelta(minutes=5)
TUBE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{3,39}")
# Results staff may enter directly (antigen tests read on the spot).
DIRECT_RESULTS = (SampleResult.NEGATIVE, SampleResult.POSITIVE, SampleResult.INVALID)


def normalize_tube_code(value: Any) -> str:
    """A scanned or typed tube code: full-width to ASCII, no spaces, upper case."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return re.sub(r"\s+", "", text).upper()


def tube_code_problem(code: str) -> str | None:
    if not TUBE_CODE.fullmatch(code):
        return _(
            "A tube code is 4 to 40 letters, digits or dashes, as printed on the tube's label."
        )
    return None


def _person_error(message: str, code: str) -> ValidationError:
    return ValidationError({"person": [ValidationError(message, code=code)]})


def person_from_code(*, actor: Actor, code: str) -> Person:
    """The person a scanned personal code names, if the actor records tests where they live.

    A stale or forged code is refused on `code`; a person outside the actor's area, or no
    longer living here, on `person` (nothing else about them is said).
    """
    person_id = codes.person_id_from_code(code, field="code")
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationError(
            {"code": [ValidationError(_("This code names nobody in the register."), "unknown")]}
        )
    if not access.can(actor, Perm.HEALTH_RECORD, person.area_path):
        raise _person_error(
            _(
                "This resident does not live in your area: they are tested at their own "
                "community's point, or by its staff."
            ),
            "out_of_scope",
        )
    if person.residency not in PRESENT_RESIDENCY:
        raise _person_error(_("This person is no longer registered here."), "not_present")
    return person


def recent_duplicate(person: Person, kind: str, at: dt.datetime) -> Sample | None:
    """A sample of the same kind taken from the person within the duplicate window."""
    return (
        Sample.objects.filter(
            person=person,
            kind=kind,
            sampled_at__gt=at - DUPLICATE_WINDOW,
            sampled_at__lt=at + DUPLICATE_WINDOW,
        )
        .order_by("-sampled_at")
        .first()
    )


def duplicate_message(previous: Sample, at: dt.datetime) -> str:
    minutes = max(0, int(abs((at - previous.sampled_at).total_seconds()) // 60))
    if minutes < 1:
        return _(
            "This person was sampled just now (sample #%(number)s); the scan was not "
            "recorded again."
        ) % {"number": previous.pk}
    return _(
        "This person was sampled %(minutes)d minutes ago (sample #%(number)s); "
        "the scan was not recorded again."
    ) % {"minutes": minutes, "number": previous.pk}


@transaction.atomic
def sample_record(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    tube_code: str = "",
    sampled_at: dt.datetime | None = None,
    result: str = "",
    session: TestingSession | None = None,
) -> Sample:
    """Record one sample taken from `person` (and, for an antigen test, its result).

    Refused, naming the field: an unknown kind; a PCR sample without a valid tube code, or
    with a tube code already used; a time in the future or more than a week back; a result
    for a PCR sample (it comes from the lab's file); a person sampled for the same kind of
    test within the last minutes (`person`, code "duplicate"); a closed session, or one
    that is not a testing session.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    access.require(actor, Perm.HEALTH_RECORD, person.area_path)
    errors: dict[str, list[Any]] = {}
    now = clock.now()
    at = sampled_at or now
    if kind not in SampleKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of test: PCR or antigen."))
    tube = normalize_tube_code(tube_code)
    if tube:
        problem = tube_code_problem(tube)
        if problem:
            errors.setdefault("tube_code", []).append(problem)
        elif Sample.objects.filter(tube_code=tube).exists():
            errors.setdefault("tube_code", []).append(
                ValidationError(
                    _("This tube code is already used for another sample: take a new tube."),
                    code="tube_used",
                )
            )
    elif kind == SampleKind.PCR:
        errors.setdefault("tube_code", []).append(
            ValidationError(
                _("Scan the tube's code: a PCR sample goes to the lab in it."), "required"
            )
        )
    if not isinstance(at, dt.datetime):
        errors.setdefault("sampled_at", []).append(_("Enter a date and time."))
    else:
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if at > now + CLOCK_SKEW:
            errors.setdefault("sampled_at", []).append(_("The time cannot be in the future."))
        elif at < now - MAX_BACKDATE:
            errors.setdefault("sampled_at", []).append(
                _("A sample is recorded within %(days)d days of being taken.")
                % {"days": MAX_BACKDATE.days}
            )
        elif person.birth_date and timezone.localdate(at) < person.birth_date:
            errors.setdefault("sampled_at", []).append(
                _("The date cannot be before the birth date.")
            )
    result = result or ""
    if result:
        if kind == SampleKind.PCR:
            errors.setdefault("result", []).append(
                _("A PCR result comes from the lab's results file, not from the sampling point.")
            )
        elif result not in DIRECT_RESULTS:
            errors.setdefault("result", []).append(_("Choose negative, positive or invalid."))
    if person.residency not in PRESENT_RESIDENCY:
        errors.setdefault("person", []).append(_("This person is no longer registered here."))
    if session is not None:
        session = TestingSession.objects.get(pk=session.pk)
        if session.kind != SessionKind.TEST:
            errors.setdefault("session", []).append(_("This session is not a testing session."))
        elif session.closed_at is not None:
            errors.setdefault("session", []).append(_("This session is closed."))
        elif not access.overlaps(actor, Perm.HEALTH_RECORD, session.area_path):
            errors.setdefault("session", []).append(_("No such session in your area."))
    if kind in SampleKind.values and isinstance(at, dt.datetime):
        previous = recent_duplicate(person, kind, at)
        if previous is not None:
            errors.setdefault("person", []).append(
                ValidationError(duplicate_message(previous, at), code="duplicate")
            )
    raise_errors(errors)
    sample = Sample.objects.create(
        person=person,
        area_path=person.area_path,
        session=session,
        kind=kind,
        tube_code=tube,
        sampled_at=at,
        result=result or SampleResult.PENDING,
        result_at=now if result else None,
        recorded_by=actor,
        retain_until=sunset.retain_until("test", at),
    )
    fields = (
        ["kind", "sampled_at"] + (["tube_code"] if tube else []) + (["result"] if result else [])
    )
    audit_record(
        actor=actor,
        action="sample.record",
        obj=sample,
        object_label=f"#{sample.pk}",
        area_path=person.area_path,
        fields=fields,
    )
    if session is not None:
        _mark_attended(session, person)
    if result == SampleResult.POSITIVE:
        watch_for_positive(actor=actor, samples=[sample])
    person_ids = [person.pk]
    transaction.on_commit(lambda: health_inputs_changed.send(sender=Sample, person_ids=person_ids))
    return sample


def _mark_attended(session: TestingSession, person: Person) -> None:
    """The person's booking for the session (if any) is attended: the sessions' pages own
    bookings; this only moves a booked one on."""
    Booking.objects.filter(session=session, person=person, status=BookingStatus.BOOKED).update(
        status=BookingStatus.ATTENDED, updated_at=clock.now()
    )


def watch_for_positive(*, actor: Actor, samples: list[Sample]) -> list[WatchEntry]:
    """Open a watch-list entry for each positive sample's person, or join the person's open
    one (a step on its timeline), routed to the person's grid worker. Call inside the
    transaction that stored the results.

    The smallest version of "open or join": the declarations' merge of entries builds on
    the same rule (one open entry per person).
    """
    now = clock.now()
    entries: list[WatchEntry] = []
    for sample in samples:
        person = sample.person
        entry = (
            WatchEntry.objects.select_for_update(of=("self",))
            .filter(person=person, status__in=OPEN_STATUSES, merged_into__isnull=True)
            .order_by("created_at", "pk")
            .first()
        )
        action = "positive_test"
        if entry is None:
            grid_path = person.area_path[: -scope.STEP]
            grid = Area.objects.filter(path=grid_path, kind=AreaKind.GRID).first()
            entry = WatchEntry.objects.create(
                upstream_list=None,
                row_number=None,
                id_number_index=person.id_number_index,
                birth_date=person.birth_date,
                source=_("Positive test"),
                tier=Tier.ID_NUMBER,
                person=person,
                area_path=person.area_path,
                grid=grid,
                assignee=selectors.responsible_grid_workers([grid_path])[grid_path],
            )
            action = "positive_test_open"
        WatchEvent.objects.create(
            entry=entry,
            at=now,
            actor=actor,
            action="positive_test",
            from_status=entry.status,
            to_status=entry.status,
            data={"sample": sample.pk, "kind": sample.kind},
        )
        audit_record(
            actor=actor,
            action=f"watchlist.{action}",
            obj=entry,
            area_path=entry.area_path,
            fields=["sample"],
        )
        entries.append(entry)
    return entries
