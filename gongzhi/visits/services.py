"""Writes of visits and visit rules: permission checked, validated, audited, one transaction.

A visit's follow-up work order is filed through `workorders.filing.workorder_create`, in
the same transaction, as staff filing on the household's behalf: the order follows the
work orders' own rules (category, deadlines, notifications), never written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.health.selectors import responsible_grid_workers
from gongzhi.registry.models import Area, AreaKind, Household, HouseholdStatus, Tag
from gongzhi.visits.models import (
    CONCERN_NOTE_MAX,
    EVERY_DAYS_MAX,
    NOTES_MAX,
    Concern,
    Method,
    Visit,
    VisitRule,
    VisitTask,
)
from gongzhi.workorders.filing import workorder_create
from gongzhi.workorders.models import Category

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

# A visit is logged the same day as a rule, but a late entry after a busy week is normal.
LATE_ENTRY_DAYS = 30
# Clocks of phones and servers differ: a few minutes "in the future" is now.
CLOCK_SLACK = dt.timedelta(minutes=10)


@transaction.atomic
def visit_log(
    *,
    actor: Actor,
    household: Household,
    visited_at: dt.datetime | None,
    method: str,
    notes: str = "",
    concerns: Sequence[str] = (),
    concern_note: str = "",
    persons: Iterable[Any] = (),
    follow_up_category: Category | None = None,
    follow_up_description: str = "",
) -> Visit:
    """Record a visit to `household` (visits.log there), with the members met, what was
    found and, when a follow-up category is given, a work order filed for it."""
    if actor is None:  # a visit is someone's: the system logs none
        raise Forbidden()
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Perm.VISIT_LOG, household.area_path)
    errors: dict[str, list[str]] = {}
    now = clock.now()
    if visited_at is None:
        errors.setdefault("visited_at", []).append(_("This field is required."))
    elif visited_at > now + CLOCK_SLACK:
        errors.setdefault("visited_at", []).append(_("A visit cannot be in the future."))
    elif visited_at < now - dt.timedelta(days=LATE_ENTRY_DAYS):
        errors.setdefault("visited_at", []).append(
            _("Log a visit within %(days)d days of making it.") % {"days": LATE_ENTRY_DAYS}
        )
    if method not in Method.values:
        errors.setdefault("method", []).append(
            _("Choose one of: %(choices)s.") % {"choices": "、".join(map(str, Method.labels))}
        )
    notes = text_field(errors, "notes", notes, NOTES_MAX)
    concern_note = text_field(errors, "concern_note", concern_note, CONCERN_NOTE_MAX)
    found = list(dict.fromkeys(str(c) for c in concerns))
    unknown = [c for c in found if c not in Concern.values]
    if unknown:
        errors.setdefault("concerns", []).append(
            _("Unknown concern: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if concern_note and Concern.OTHER not in found:
        found.append(Concern.OTHER)
    if Concern.OTHER in found and not concern_note:
        errors.setdefault("concern_note", []).append(_("Say what the other concern is."))
    if household.status == HouseholdStatus.CLOSED:
        errors.setdefault("household", []).append(_("This household is closed."))
    met = _members(errors, household, persons)
    if follow_up_category is None and follow_up_description.strip():
        errors.setdefault("follow_up_category", []).append(
            _("Choose the kind of work order to file, or leave the description empty.")
        )
    raise_errors(errors)
    assert visited_at is not None
    order = None
    if follow_up_category is not None:
        try:
            order = workorder_create(
                actor=actor,
                category=follow_up_category,
                description=follow_up_description,
                person=met[0] if met else None,
                household=None if met else household,
            )
        except ValidationError as exc:
            # The order's own field names, said as the visit form's.
            raise ValidationError(
                {
                    {"description": "follow_up_description", "category": "follow_up_category"}.get(
                        name, "follow_up_category"
                    ): messages
                    for name, messages in exc.message_dict.items()
                }
            ) from None
    visit = Visit.objects.create(
        household=household,
        visitor=actor,
        visited_at=visited_at,
        method=method,
        notes=notes,
        concerns=found,
        concern_note=concern_note,
        follow_up=order,
        area_path=household.area_path,
    )
    if met:
        visit.persons.set(met)
    visit_tasks_close(visit=visit)
    audit_record(
        actor=actor,
        action="visit.log",
        obj=visit,
        area_path=visit.area_path,
        fields=[
            name
            for name, value in (
                ("visited_at", True),
                ("method", True),
                ("notes", notes),
                ("concerns", found),
                ("persons", met),
                ("follow_up", order),
            )
            if value
        ],
        purpose=f"visit to household #{household.pk}"
        + (f", follow-up order #{order.pk}" if order is not None else ""),
    )
    return visit


def _members(
    errors: dict[str, list[str]], household: Household, persons: Iterable[Any]
) -> list[Any]:
    """The household's members among `persons` (objects or ids); any other id is an error
    that repeats the id, never a name."""
    wanted: list[int] = []
    for person in persons:
        raw = getattr(person, "pk", person)
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            errors.setdefault("persons", []).append(_("Not a person: %(id)s.") % {"id": raw})
    if not wanted:
        return []
    members = {p.pk: p for p in household.persons.filter(pk__in=wanted)}
    strangers = [str(i) for i in wanted if i not in members]
    if strangers:
        errors.setdefault("persons", []).append(
            _("Not a member of this household: %(ids)s.") % {"ids": ", ".join(strangers)}
        )
    return [members[i] for i in dict.fromkeys(wanted) if i in members]


# --- visit rules -------------------------------------------------------------------------------


def _rule_area_check(actor: Actor, area: Area) -> None:
    if actor is None:
        return
    if area.kind != AreaKind.COMMUNITY or not access.can(actor, Perm.VISIT_RULES, area.path):
        raise Forbidden()


@transaction.atomic
def visit_rule_set(*, actor: Actor, area: Area, tag: Tag, every_days: Any) -> VisitRule:
    """A community's own rule for `tag` (visits.rules there); the system may set one on
    any node (the platform's defaults sit on the root)."""
    _rule_area_check(actor, area)
    errors: dict[str, list[str]] = {}
    try:
        days = int(every_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= EVERY_DAYS_MAX:
        errors.setdefault("every_days", []).append(
            _("A whole number of days from 1 to %(max)d.") % {"max": EVERY_DAYS_MAX}
        )
    raise_errors(errors)
    rule, created = VisitRule.objects.select_for_update().get_or_create(
        area=area,
        tag=tag,
        defaults={"area_path": area.path, "every_days": days, "updated_by": actor},
    )
    if not created:
        rule.every_days, rule.updated_by = days, actor
        rule.save(update_fields=["every_days", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="visit_rule.set",
        obj=rule,
        object_label=f"{tag.code}@{area.code}",
        area_path=area.path,
        fields=["every_days"],
        purpose=f"visit households tagged {tag.code} every {days} days",
    )
    return rule


@transaction.atomic
def visit_rule_clear(*, actor: Actor, area: Area, tag: Tag) -> None:
    """Drop a community's own rule for `tag`: the rule above it (the default) applies."""
    _rule_area_check(actor, area)
    rule = VisitRule.objects.select_for_update().filter(area=area, tag=tag).first()
    if rule is None:
        return
    audit_record(
        actor=actor,
        action="visit_rule.clear",
        obj=rule,
        object_label=f"{tag.code}@{area.code}",
        area_path=area.path,
        fields=["every_days"],
    )
    rule.delete()


# --- visit tasks ------------------------------------------------------------------------------


def visit_task_create(
    *,
    actor: Actor,
    household: Household,
    source: str,
    reason: str,
    due_on: dt.date,
    person: Any = None,
    assignee: Any = None,
) -> VisitTask:
    """Ask for a home visit to `household` (one open task per `source` and household: a
    second ask returns the first). The assignee defaults to the grid worker of the
    household's grid. `reason` is words, never a personal value. The system (a campaign's
    dispatcher) asks without a permission check; a person asks where they log visits."""
    if actor is not None:
        access.require(actor, Perm.VISIT_LOG, household.area_path)
    if assignee is None:
        assignee = responsible_grid_workers([household.area_path])[household.area_path]
    task, _created = VisitTask.objects.get_or_create(
        source=source[:64],
        household=household,
        defaults={
            "person": person,
            "assignee": assignee,
            "reason": str(reason)[:200],
            "due_on": due_on,
            "area_path": household.area_path,
        },
    )
    return task


def visit_tasks_close(*, visit: Visit) -> int:
    """Close the household's open tasks with `visit` (called when a visit is logged)."""
    return VisitTask.objects.filter(household_id=visit.household_id, done_at__isnull=True).update(
        visit=visit, done_at=clock.now()
    )
