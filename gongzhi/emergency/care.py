"""The three-person team (三人小组: secretary + police + doctor, with the grid worker): the
people they are responsible for, step by step. Writes.

A `CareCase` is opened from an open watch-list entry that names a registered person (by
hand, "take onto the board", or by `cases_sync` for communities in emergency mode). It
moves through the steps of `MOVES` (screening → sampling → transfer or home isolation →
released); each step is a `CareTask` with the role expected to own it (`STEP_OWNERS`), the
person who took it, and a deadline (`step_hours`). Home isolation lasts `isolation_days`
and takes one `HealthCheck` a day.

The owner role is *shown*, not enforced: any holder of `emergency.care` where the case
lives may take a task, mark it done or move the case (the team covers for each other at a
sampling point or at night); the audit log says who did what.

Every write locks the case's row, checks `emergency.care` on the case's path, and appends
one audit entry naming the case (by number) and the step: never a name, a temperature or
a note. Every row carries `retain_until` (`health.sunset`, kind "emergency").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.emergency.models import (
    CareCase,
    CareStep,
    CareTask,
    HealthCheck,
    Mode,
    ModeState,
)
from gongzhi.health.models import WatchEntry
from gongzhi.health.states import OPEN_STATUSES
from gongzhi.health.sunset import retain_until

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

# --- the tables --------------------------------------------------------------------------------

# Which steps a case may move to from each step. Released from screening or sampling needs
# a reason (nothing found, a negative test); from isolation before its end, too.
MOVES: dict[str, tuple[str, ...]] = {
    CareStep.SCREENING: (CareStep.SAMPLING, CareStep.RELEASED),
    CareStep.SAMPLING: (CareStep.TRANSFER, CareStep.ISOLATION, CareStep.RELEASED),
    CareStep.TRANSFER: (CareStep.RELEASED,),
    CareStep.ISOLATION: (CareStep.TRANSFER, CareStep.RELEASED),
    CareStep.RELEASED: (),
}

# The role expected to own each step's task (shown on the board, not enforced).
STEP_OWNERS: dict[str, str] = {
    CareStep.SCREENING: Role.GRID_WORKER,
    CareStep.SAMPLING: Role.DOCTOR,
    CareStep.TRANSFER: Role.POLICE,
    CareStep.ISOLATION: Role.DOCTOR,
    CareStep.RELEASED: Role.SECRETARY,
}

# Hours each step's task may take, from when the case enters the step; setting
# GONGZHI_CARE_STEP_HOURS overrides some or all. Home isolation's task lasts the isolation.
DEFAULT_STEP_HOURS: dict[str, int] = {
    CareStep.SCREENING: 24,
    CareStep.SAMPLING: 12,
    CareStep.TRANSFER: 6,
    CareStep.RELEASED: 24,
}
DEFAULT_ISOLATION_DAYS = 14  # setting GONGZHI_CARE_ISOLATION_DAYS

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
NOTE_MAX = 200
SYNC_BATCH = 500


def moves_from(step: str) -> tuple[str, ...]:
    return MOVES.get(step, ())


def isolation_days() -> int:
    return int(getattr(settings, "GONGZHI_CARE_ISOLATION_DAYS", DEFAULT_ISOLATION_DAYS))


def step_hours(step: str) -> int:
    """Hours the task of `step` may take (home isolation: its days)."""
    if step == CareStep.ISOLATION:
        return isolation_days() * 24
    table = {**DEFAULT_STEP_HOURS, **getattr(settings, "GONGZHI_CARE_STEP_HOURS", {})}
    return int(table[step])


# --- helpers -----------------------------------------------------------------------------------


def _locked(case: CareCase) -> CareCase:
    return CareCase.objects.select_for_update().get(pk=case.pk)


def _audit(actor: Actor, action: str, case: CareCase, fields: list[str], step: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=case,
        object_label=f"#{case.pk}",
        area_path=case.area_path,
        fields=fields,
        purpose=system_purpose("care_step", case=case.pk, step=step),
    )


def _new_task(case: CareCase, step: str, now: dt.datetime, owner: Any = None) -> CareTask:
    return CareTask.objects.create(
        case=case,
        step=step,
        owner_role=STEP_OWNERS[step],
        owner=owner,
        due_at=now + dt.timedelta(hours=step_hours(step)),
        retain_until=retain_until("emergency", now),
    )


def open_task(case: CareCase) -> CareTask | None:
    """The case's task of its current step that is not done yet."""
    return case.tasks.filter(step=case.step, done_at__isnull=True).order_by("-id").first()


# --- opening a case from the watch list --------------------------------------------------------


@transaction.atomic
def case_open_from_entry(*, actor: Actor, entry: WatchEntry) -> CareCase:
    """Put the person of an open, matched watch-list entry on the team's board.

    One case per entry: a second call returns the case already open, unchanged. An entry
    whose person is already on the board through another entry is refused (field `entry`).
    """
    entry = WatchEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    access.require(actor, Perm.TEAM_CARE, entry.area_path)
    existing = CareCase.objects.filter(watch_entry=entry).first()
    if existing is not None:
        return existing
    if entry.person_id is None:
        raise ValidationError(
            {"entry": [_("Only an entry matched to a registered person can go on the board.")]}
        )
    if entry.status not in OPEN_STATUSES:
        raise ValidationError({"entry": [_("Only an open entry can go on the board.")]})
    if CareCase.objects.filter(person_id=entry.person_id).exclude(step=CareStep.RELEASED).exists():
        raise ValidationError(
            {"entry": [_("This person is on the board already, through another entry.")]}
        )
    now = clock.now()
    person = entry.person
    assert person is not None  # person_id checked above
    person_path = person.area_path
    try:
        with transaction.atomic():
            case = CareCase.objects.create(
                person_id=entry.person_id,
                watch_entry=entry,
                area_path=person_path,
                step=CareStep.SCREENING,
                opened_at=now,
                retain_until=retain_until("emergency", now),
            )
    except IntegrityError:  # opened meanwhile by another request: the same answer
        return CareCase.objects.get(watch_entry=entry)
    owner = entry.assignee if access.can(entry.assignee, Perm.TEAM_CARE, person_path) else None
    _new_task(case, CareStep.SCREENING, now, owner=owner)
    _audit(actor, "care.open", case, ["step"], CareStep.SCREENING)
    return case


def entries_to_open(community_paths: list[str]) -> list[int]:
    """Open, matched watch-list entries of these communities without a case (ids)."""
    if not community_paths:
        return []
    has_case = CareCase.objects.filter(watch_entry__isnull=False).values("watch_entry_id")
    on_board = CareCase.objects.exclude(step=CareStep.RELEASED).values("person_id")
    return list(
        WatchEntry.objects.within(*community_paths)
        .filter(status__in=OPEN_STATUSES, person__isnull=False, merged_into__isnull=True)
        .exclude(pk__in=has_case)
        .exclude(person_id__in=on_board)
        .order_by("pk")
        .values_list("pk", flat=True)[:SYNC_BATCH]
    )


def cases_sync() -> int:
    """Open a case for every open, matched watch-list entry of a community in emergency
    mode (the periodic job; safe to run twice: one case per entry). Returns how many."""
    communities = list(
        ModeState.objects.filter(mode=Mode.EMERGENCY).values_list("area_path", flat=True)
    )
    opened = 0
    for entry_id in entries_to_open(communities):
        entry = WatchEntry.objects.get(pk=entry_id)
        try:
            before = CareCase.objects.filter(watch_entry_id=entry_id).exists()
            case_open_from_entry(actor=None, entry=entry)
        except ValidationError:
            continue  # closed or joined meanwhile: the next run sees it as it is
        opened += 0 if before else 1
    return opened


@task()
def cases_sync_task() -> dict[str, int]:
    """Periodic: the watch list's open entries onto the boards of communities in emergency."""
    return {"opened": cases_sync()}


# --- tasks -------------------------------------------------------------------------------------


def _task_of(case: CareCase, errors_field: str = "task") -> CareTask:
    task = open_task(case)
    if task is None:
        raise ValidationError({errors_field: [_("This step has no open task.")]})
    return task


@transaction.atomic
def task_take(*, actor: Actor, case: CareCase) -> CareTask:
    """The actor takes the open task of the case's current step (any team member may)."""
    case = _locked(case)
    access.require(actor, Perm.TEAM_CARE, case.area_path)
    task = _task_of(case)
    if actor is None:
        raise ValidationError({"task": [_("A task is taken by a person.")]})
    task.owner = actor
    task.save(update_fields=["owner", "updated_at"])
    _audit(actor, "care.take", case, ["owner"], case.step)
    return task


@transaction.atomic
def task_done(*, actor: Actor, case: CareCase) -> CareTask:
    """Mark the open task of the case's current step done (the case stays in its step)."""
    case = _locked(case)
    access.require(actor, Perm.TEAM_CARE, case.area_path)
    task = _task_of(case)
    now = clock.now()
    task.done_at, task.done_by = now, actor
    if task.owner_id is None:
        task.owner = actor
    task.save(update_fields=["done_at", "done_by", "owner", "updated_at"])
    _audit(actor, "care.done", case, ["done_at"], case.step)
    return task


# --- moving a case -----------------------------------------------------------------------------


def _release_rule(case: CareCase, note: str, field: str, today: dt.date) -> None:
    """Released from screening or sampling, or from isolation before its end: a reason."""
    early = case.step != CareStep.TRANSFER and not (
        case.step == CareStep.ISOLATION and case.isolation_until and today >= case.isolation_until
    )
    if early and not note:
        if case.step == CareStep.ISOLATION:
            message = _("Home isolation has not ended yet: give the reason for an early release.")
        else:
            message = _("Give the reason for releasing at this step.")
        raise ValidationError({field: [message]})


@transaction.atomic
def case_advance(*, actor: Actor, case: CareCase, to_step: str, note: str = "") -> CareCase:
    """Move a case to its next step (`MOVES`): the current step's open task is done, the new
    step's task is made with its owner role and deadline."""
    case = _locked(case)
    access.require(actor, Perm.TEAM_CARE, case.area_path)
    errors: dict[str, list[Any]] = {}
    note = text_field(errors, "note", note, NOTE_MAX)
    raise_errors(errors)
    if to_step not in moves_from(case.step):
        current = CareStep(case.step).label
        raise ValidationError(
            {
                "step": [
                    _("A case in “%(step)s” cannot move to “%(to)s”.")
                    % {
                        "step": current,
                        "to": CareStep(to_step).label if to_step in CareStep.values else to_step,
                    }
                ]
            }
        )
    now = clock.now()
    today = clock.today()
    if to_step == CareStep.RELEASED:
        _release_rule(case, note, "note", today)
    current_task = open_task(case)
    if current_task is not None:
        current_task.done_at, current_task.done_by = now, actor
        current_task.save(update_fields=["done_at", "done_by", "updated_at"])
    previous = case.step
    case.step = to_step
    fields = ["step"]
    if to_step == CareStep.ISOLATION:
        case.isolation_until = today + dt.timedelta(days=isolation_days())
        fields.append("isolation_until")
    if to_step == CareStep.RELEASED:
        case.released_at = now
        fields.append("released_at")
    case.retain_until = retain_until("emergency", now)
    case.save()
    _new_task(case, to_step, now)
    _audit(actor, "care.advance", case, fields, f"{previous}>{to_step}")
    return case


def case_release(*, actor: Actor, case: CareCase, reason: str = "") -> CareCase:
    """Release a case: home isolation ended, or earlier (or from another step) with a
    reason. The same move as `case_advance(to_step=released)`; its errors name `reason`."""
    try:
        return case_advance(actor=actor, case=case, to_step=CareStep.RELEASED, note=reason)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "note" in exc.error_dict:
            raise ValidationError({"reason": exc.error_dict["note"]}) from exc
        raise


# --- daily health checks -----------------------------------------------------------------------


def isolation_began(case: CareCase) -> dt.date:
    """The day the case's (latest) home isolation began."""
    began = (
        case.tasks.filter(step=CareStep.ISOLATION)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return timezone.localdate(began) if began else clock.today()


def _temperature(errors: dict[str, list[Any]], value: Any) -> int | None:
    try:
        degrees = Decimal(str(value).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        errors.setdefault("temperature", []).append(_("Enter the temperature in °C, e.g. 36.5."))
        return None
    if not degrees.is_finite() or not TEMPERATURE_MIN <= degrees <= TEMPERATURE_MAX:
        errors.setdefault("temperature", []).append(
            _("The temperature must be between %(min)s and %(max)s °C.")
            % {"min": TEMPERATURE_MIN, "max": TEMPERATURE_MAX}
        )
        return None
    return int((degrees * 10).quantize(Decimal(1)))


@transaction.atomic
def check_record(
    *, actor: Actor, case: CareCase, day: dt.date | None, temperature: Any, symptoms: bool
) -> HealthCheck:
    """Record a day's health check of a case in home isolation: 34.0–43.0 °C, one a day."""
    case = _locked(case)
    access.require(actor, Perm.TEAM_CARE, case.area_path)
    if case.step != CareStep.ISOLATION:
        raise ValidationError(
            {"step": [_("Daily checks are recorded during home isolation only.")]}
        )
    errors: dict[str, list[Any]] = {}
    today = clock.today()
    if not isinstance(day, dt.date):
        errors.setdefault("day", []).append(_("Enter a date as YYYY-MM-DD."))
    elif day > today:
        errors.setdefault("day", []).append(_("The date cannot be in the future."))
    elif case.isolation_until and day > case.isolation_until:
        errors.setdefault("day", []).append(_("The date is after the end of home isolation."))
    elif day < isolation_began(case):
        errors.setdefault("day", []).append(_("The date is before home isolation began."))
    elif HealthCheck.objects.filter(case=case, day=day).exists():
        errors.setdefault("day", []).append(_("This day's check is recorded already."))
    tenths = _temperature(errors, temperature)
    raise_errors(errors)
    assert isinstance(day, dt.date)
    check = HealthCheck.objects.create(
        case=case,
        day=day,
        temperature_tenths=tenths,
        symptoms=bool(symptoms),
        by=actor,
        retain_until=retain_until("emergency", day),
    )
    _audit(actor, "care.check", case, ["day", "temperature", "symptoms"], case.step)
    return check
