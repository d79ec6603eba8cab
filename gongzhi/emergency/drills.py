"""Drills (演练): schedule one (from a plan), give participants their tasks, start it, check
in at the assembly point by QR, record results, finish it with the lessons written up.

Writes need `DRILL_RUN` at the drill's community; reads need `EMERGENCY_VIEW` on the
community or inside it (a grid worker sees the drills of the community of their grid).
The check-in (`drill_checkin`) is the participant's own: a resident scanning the
assembly point's QR, or a staff member taking part. Audit entries name the drill and what
happened, never a participant's name.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.emergency.models import (
    Drill,
    DrillParticipant,
    DrillStatus,
    EmergencyKind,
    LessonSource,
    Plan,
    Space,
)
from gongzhi.registry.models import Area, AreaKind, Person

TASK_MAX = 200
RESULT_MAX = 200


# --- reads ------------------------------------------------------------------------------------


def drills_visible_to(user: Any) -> QuerySet[Drill]:
    """The drills of the communities the user sees emergencies in (or works inside)."""
    return Drill.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True).select_related(
        "area", "assembly_point", "plan"
    )


def drill_get_for(*, user: Any, drill_id: Any) -> Drill:
    try:
        return drills_visible_to(user).get(pk=int(drill_id))
    except (Drill.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def can_run(user: Any, drill: Drill) -> bool:
    return access.can(user, Perm.DRILL_RUN, drill.area_path)


def communities_for_run(user: Any) -> QuerySet[Area]:
    """The communities where the user may schedule drills."""
    held = access.paths(user, Perm.DRILL_RUN)
    qs = Area.objects.filter(kind=AreaKind.COMMUNITY, closed_at__isnull=True)
    return access.within_column(qs, "path", *held).order_by("path") if held else qs.none()


def community_get_for_run(*, user: Any, area_id: Any) -> Area:
    try:
        return communities_for_run(user).get(pk=int(area_id))
    except (Area.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def participant_rows(drill: Drill) -> list[DrillParticipant]:
    return list(drill.participants.select_related("person", "user").order_by("id"))


@dataclass(frozen=True)
class Timings:
    total: int
    checked_in: int
    share: int  # percent
    slowest_seconds: int | None
    median_seconds: int | None
    elapsed: dict[int, int]  # participant id -> seconds from the start to their check-in


def drill_timings(drill: Drill, rows: list[DrillParticipant] | None = None) -> Timings:
    """Seconds from the start to each check-in, the share checked in and the slowest."""
    rows = participant_rows(drill) if rows is None else rows
    elapsed: dict[int, int] = {}
    if drill.started_at is not None:
        for row in rows:
            if row.checked_in_at is not None:
                seconds = int((row.checked_in_at - drill.started_at).total_seconds())
                elapsed[row.pk] = max(seconds, 0)
    values = sorted(elapsed.values())
    total = len(rows)
    return Timings(
        total=total,
        checked_in=len(values),
        share=round(100 * len(values) / total) if total else 0,
        slowest_seconds=values[-1] if values else None,
        median_seconds=values[len(values) // 2] if values else None,
        elapsed=elapsed,
    )


def drill_for_code(code: str) -> Drill:
    """The drill whose assembly QR carries `code` (404 for anything else)."""
    drill = (
        Drill.objects.select_related("area", "assembly_point").filter(checkin_code=code).first()
        if code and len(code) <= 32
        else None
    )
    if drill is None:
        raise NotFound()
    return drill


def participant_for(
    drill: Drill, *, user: Any, person_id: int | None = None
) -> DrillParticipant | None:
    """The user's own row in the drill: as a staff participant, or as the register person
    they are (or act for)."""
    rows = drill.participants.all()
    mine = rows.filter(user_id=user.pk).first()
    if mine is not None:
        return mine
    ids = {i for i in (person_id, getattr(user, "person_id", None)) if i}
    if ids:
        return rows.filter(person_id__in=ids).order_by("id").first()
    return None


# --- writes -----------------------------------------------------------------------------------


def _require_run(actor: User | None, drill: Drill) -> None:
    access.require(actor, Perm.DRILL_RUN, drill.area_path)


def _locked(drill: Drill) -> Drill:
    return Drill.objects.select_for_update(of=("self",)).get(pk=drill.pk)


def _new_code() -> str:
    return secrets.token_urlsafe(12)


def drill_schedule(
    *,
    actor: User | None,
    area: Area,
    kind: str,
    title: str,
    scheduled_at: dt.datetime,
    plan: Plan | None = None,
    assembly_point: Space | None = None,
) -> Drill:
    """A drill of the community `area`, from one of its plans, assembling at one of its spaces."""
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"area": _("Drills are held by a community: choose a community.")})
    access.require(actor, Perm.DRILL_RUN, area.path)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the drill a title.")
    elif len(title) > 100:
        errors["title"] = _("A title has at most 100 characters.")
    if kind not in EmergencyKind.values:
        errors["kind"] = _("Choose the kind of emergency the drill practises.")
    if scheduled_at is None:
        errors["scheduled_at"] = _("Say when the drill takes place.")
    if plan is not None and plan.area_path != area.path:
        errors["plan"] = _("The plan must be one of the drill's community.")
    if assembly_point is not None and not scope.within(assembly_point.area_path, [area.path]):
        errors["assembly_point"] = _("The assembly point must be a space of the drill's community.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        drill = Drill.objects.create(
            area=area,
            area_path=area.path,
            plan=plan,
            kind=kind,
            title=title,
            scheduled_at=scheduled_at,
            assembly_point=assembly_point,
            checkin_code=_new_code(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="drill.schedule",
            obj=drill,
            area_path=area.path,
            purpose=f"kind {kind}" + (f"; plan #{plan.pk}" if plan else ""),
        )
    return drill


def _staff_in(user: User, community_path: str) -> bool:
    """An active staff membership on the community, above it or inside it."""
    for membership in Membership.objects.filter(
        user=user, is_active=True, user__is_active=True
    ).select_related("area"):
        if membership.role == Role.RESIDENT:
            continue
        if scope.overlaps(membership.area.path, [community_path]):
            return True
    return False


def drill_participants_add(
    *,
    actor: User | None,
    drill: Drill,
    person_ids: list[int] | tuple[int, ...] = (),
    user_ids: list[int] | tuple[int, ...] = (),
    task: str = "",
) -> int:
    """Add register persons (seen by the actor in the community) and staff members, each with
    `task`; those already in the drill are left as they are. All or nothing."""
    _require_run(actor, drill)
    task = (task or "").strip()
    if len(task) > TASK_MAX:
        raise ValidationError({"task": _("A task has at most 200 characters.")})
    if drill.status in (DrillStatus.DONE, DrillStatus.CANCELLED):
        raise ValidationError({"drill": _("The drill is over: no one can join it now.")})
    person_ids = sorted({int(i) for i in person_ids})
    user_ids = sorted({int(i) for i in user_ids})
    if not person_ids and not user_ids:
        raise ValidationError({"participants": _("Choose at least one participant.")})
    persons = Person.objects.within(drill.area_path).filter(pk__in=person_ids)
    if actor is not None:
        persons = persons & Person.objects.restrict(actor, Perm.REGISTER_VIEW)
    found_persons = set(persons.values_list("pk", flat=True))
    missing = [i for i in person_ids if i not in found_persons]
    if missing:
        raise ValidationError(
            {
                "persons": _("No such person in the drill's community: #%(ids)s.")
                % {"ids": ", #".join(str(i) for i in missing)}
            }
        )
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)}
    bad_users = [i for i in user_ids if i not in users or not _staff_in(users[i], drill.area_path)]
    if bad_users:
        raise ValidationError(
            {
                "users": _("No such staff member in the drill's community: #%(ids)s.")
                % {"ids": ", #".join(str(i) for i in bad_users)}
            }
        )
    with transaction.atomic():
        drill = _locked(drill)
        have_p = set(
            drill.participants.filter(person__isnull=False).values_list("person_id", flat=True)
        )
        have_u = set(
            drill.participants.filter(user__isnull=False).values_list("user_id", flat=True)
        )
        new = [
            DrillParticipant(drill=drill, person_id=i, task=task)
            for i in person_ids
            if i not in have_p
        ]
        new += [
            DrillParticipant(drill=drill, user_id=i, task=task) for i in user_ids if i not in have_u
        ]
        DrillParticipant.objects.bulk_create(new)
        audit_record(
            actor=actor,
            action="drill.participants",
            obj=drill,
            area_path=drill.area_path,
            purpose=f"{len(new)} participants added",
        )
    return len(new)


def _move(
    actor: User | None, drill: Drill, *, allowed: tuple[str, ...], to: str, action: str
) -> Drill:
    _require_run(actor, drill)
    with transaction.atomic():
        locked = _locked(drill)
        if locked.status not in allowed:
            raise IllegalTransition(
                _("A drill that is %(status)s cannot be %(to)s.")
                % {"status": locked.get_status_display(), "to": DrillStatus(to).label}
            )
        now = clock.now()
        locked.status = to
        if to == DrillStatus.RUNNING:
            locked.started_at = now
        elif to in (DrillStatus.DONE, DrillStatus.CANCELLED):
            locked.ended_at = now
        locked.save(update_fields=["status", "started_at", "ended_at", "updated_at"])
        audit_record(actor=actor, action=action, obj=locked, area_path=locked.area_path)
    return locked


def drill_start(*, actor: User | None, drill: Drill) -> Drill:
    return _move(
        actor, drill, allowed=(DrillStatus.SCHEDULED,), to=DrillStatus.RUNNING, action="drill.start"
    )


def drill_cancel(*, actor: User | None, drill: Drill) -> Drill:
    return _move(
        actor,
        drill,
        allowed=(DrillStatus.SCHEDULED, DrillStatus.RUNNING),
        to=DrillStatus.CANCELLED,
        action="drill.cancel",
    )


def drill_finish(*, actor: User | None, drill: Drill, result: str, lessons_text: str) -> Drill:
    """End a running drill with its result and lessons; the lessons go into the knowledge base
    as a `Lesson` of the community (source: drill), not shared until someone shares it."""
    from gongzhi.emergency import knowledge

    _require_run(actor, drill)
    result = (result or "").strip()
    lessons_text = (lessons_text or "").strip()
    errors: dict[str, str] = {}
    if not result:
        errors["result"] = _("Say how the drill went.")
    elif len(result) > 2000:
        errors["result"] = _("A result has at most 2000 characters.")
    if not lessons_text:
        errors["lessons_text"] = _("Write down what the drill taught (the lessons).")
    elif len(lessons_text) > 4000:
        errors["lessons_text"] = _("The lessons have at most 4000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(drill)
        if locked.status != DrillStatus.RUNNING:
            raise IllegalTransition(_("Only a running drill can be finished."))
        locked.status = DrillStatus.DONE
        locked.ended_at = clock.now()
        locked.result = result
        locked.lessons_text = lessons_text
        locked.save(update_fields=["status", "ended_at", "result", "lessons_text", "updated_at"])
        audit_record(actor=actor, action="drill.finish", obj=locked, area_path=locked.area_path)
        timings = drill_timings(locked)
        body = "\n\n".join(
            [
                lessons_text,
                _("Result: %(result)s") % {"result": result},
                _("%(in)d of %(total)d participants checked in; the slowest after %(slowest)s.")
                % {
                    "in": timings.checked_in,
                    "total": timings.total,
                    "slowest": duration_text(timings.slowest_seconds),
                },
            ]
        )
        knowledge.lesson_write(
            actor=actor,
            area=locked.area,
            source=LessonSource.DRILL,
            kind=locked.kind,
            title=locked.title[:100],
            body=body,
            tags=_("drill"),
            occurred_on=clock.today(),
            drill=locked,
        )
    return locked


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}′{rest:02d}″"


def _participant_locked(drill: Drill, participant_id: Any) -> DrillParticipant:
    try:
        pid = int(participant_id)
    except (TypeError, ValueError):
        pid = None
    row = (
        DrillParticipant.objects.select_for_update().filter(drill=drill, pk=pid).first()
        if pid is not None
        else None
    )
    if row is None:
        raise ValidationError(
            {"participant": _("Participant #%(id)s is not in this drill.") % {"id": participant_id}}
        )
    return row


def drill_task_done(*, actor: User | None, drill: Drill, participant_id: Any) -> DrillParticipant:
    _require_run(actor, drill)
    with transaction.atomic():
        row = _participant_locked(drill, participant_id)
        if row.task_done_at is None:
            row.task_done_at = clock.now()
            row.save(update_fields=["task_done_at", "updated_at"])
            audit_record(
                actor=actor,
                action="drill.task_done",
                obj=drill,
                area_path=drill.area_path,
                purpose=f"participant #{row.pk}",
            )
    return row


def drill_result_record(
    *, actor: User | None, drill: Drill, participant_id: Any, result: str
) -> DrillParticipant:
    """One participant's result (how they did); someone not in the drill is refused."""
    _require_run(actor, drill)
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": _("Write the participant's result.")})
    if len(result) > RESULT_MAX:
        raise ValidationError({"result": _("A result has at most 200 characters.")})
    with transaction.atomic():
        row = _participant_locked(drill, participant_id)
        row.result = result
        row.save(update_fields=["result", "updated_at"])
        audit_record(
            actor=actor,
            action="drill.result",
            obj=drill,
            area_path=drill.area_path,
            purpose=f"participant #{row.pk}",
        )
    return row


@dataclass(frozen=True)
class Checkin:
    participant: DrillParticipant
    already: bool  # checked in before: `participant.checked_in_at` is when


def drill_checkin(*, actor: User, drill: Drill, person_id: int | None = None) -> Checkin:
    """The participant checks in at the assembly point (once; again says when they did)."""
    with transaction.atomic():
        locked = _locked(drill)
        if locked.status != DrillStatus.RUNNING:
            if locked.status == DrillStatus.SCHEDULED:
                message = _("The drill has not started yet: check in once it is under way.")
            else:
                message = _("The drill is over: check-in is closed.")
            raise ValidationError({"drill": message})
        row = participant_for(locked, user=actor, person_id=person_id)
        if row is None:
            raise Forbidden(_("You are not a participant of this drill."))
        row = DrillParticipant.objects.select_for_update().get(pk=row.pk)
        if row.checked_in_at is not None:
            return Checkin(participant=row, already=True)
        row.checked_in_at = clock.now()
        row.save(update_fields=["checked_in_at", "updated_at"])
        audit_record(
            actor=actor,
            action="drill.checkin",
            obj=locked,
            area_path=locked.area_path,
            purpose=f"participant #{row.pk}",
        )
    return Checkin(participant=row, already=False)
