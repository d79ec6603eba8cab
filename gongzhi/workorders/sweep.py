"""The SLA sweep: escalate what is past its deadline, remind before deadlines (the
deadline arithmetic itself is `sla.py`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gongzhi.core import clock
from gongzhi.registry.models import AreaKind
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.rules import NothingDue
from gongzhi.workorders.services import workorder_transition
from gongzhi.workorders.states import DONE, Action

logger = logging.getLogger(__name__)

# --- the SLA sweep --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    escalated: int
    breached: int
    reminded: int
    errors: int


SWEEP_BATCH = 1000


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 20_000) -> SweepReport:
    """Escalate every order past its deadline one level up (record a breach at the street,
    where there is no higher level), and remind before deadlines. Safe to run twice or in
    two workers at once: each order is re-checked under its row lock."""
    now = now or clock.now()
    escalated = breached = reminded = errors = 0
    due = list(
        WorkOrder.objects.filter(due_at__lte=now)
        .exclude(status__in=sorted(DONE))  # done orders have no deadline; belt and braces
        .order_by("due_at", "pk")
        .values_list("pk", "level__kind")[:limit]
    )
    for order_id, level_kind in due:
        action = Action.BREACH if level_kind == AreaKind.STREET else Action.ESCALATE
        note = (
            _("Deadline passed (SLA): escalated automatically.")
            if action == Action.ESCALATE
            else _("Deadline passed (SLA) at the highest level.")
        )
        try:
            workorder_transition(
                actor=None, order=order_id, action=action, note=note, only_if_due=now
            )
        except NothingDue:
            continue
        except Exception:  # one broken order must not stop the sweep
            logger.exception("SLA sweep failed on order %s", order_id)
            errors += 1
        else:
            if action == Action.ESCALATE:
                escalated += 1
            else:
                breached += 1
    remind = list(
        WorkOrder.objects.filter(remind_at__lte=now)
        .exclude(status__in=sorted(DONE))
        .order_by("remind_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for order_id in remind:
        try:
            workorder_transition(actor=None, order=order_id, action=Action.REMIND, only_if_due=now)
        except NothingDue:
            continue
        except Exception:  # one broken order must not stop the sweep
            logger.exception("SLA reminder failed on order %s", order_id)
            errors += 1
        else:
            reminded += 1
    return SweepReport(escalated, breached, reminded, errors)
