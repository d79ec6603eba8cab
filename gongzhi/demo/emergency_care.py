"""Demo data of the three-person team (三人小组), see gongzhi/demo/extras.py: in Qifu, a
dozen persons of the demo's watch list on the team's board, in every step — some past
their deadline, several in home isolation with their daily checks (one without today's,
one with a fever), one whose isolation has ended and waits for release, one released.

Cases are opened and moved through the real services (`actor=None`, the system), then
their times are moved back as if the team had started days ago. The community stays in
normal mode: these are the records of an emergency being handled, and the browser test
switches Qifu itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import F

from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock
from gongzhi.emergency import care
from gongzhi.emergency.models import CareCase, CareTask, HealthCheck
from gongzhi.health.models import WatchEntry
from gongzhi.health.states import OPEN_STATUSES

Say = Callable[[str], Any]
COMMUNITY = "qifu"

# (step, hours since the case was opened)
PLAN: tuple[tuple[str, int], ...] = (
    ("screening", 2),
    ("screening", 30),  # past its 24 hours
    ("sampling", 5),
    ("sampling", 20),  # past its 12 hours
    ("transfer", 3),
    ("transfer", 9),  # past its 6 hours
    ("isolation", 3 * 24),
    ("isolation", 6 * 24),  # no check yet today
    ("isolation", 9 * 24),  # a fever on one day
    ("isolation", 15 * 24),  # ended: waits for the secretary's release
    ("released", 20),
)
PATHS = {
    "screening": [],
    "sampling": ["sampling"],
    "transfer": ["sampling", "transfer"],
    "isolation": ["sampling", "isolation"],
    "released": ["sampling", "isolation", "released"],
}


def _backdate(case: CareCase, hours: int) -> None:
    """Move the case's times `hours` back, as if it had started then."""
    shift = dt.timedelta(hours=hours)
    CareCase.objects.filter(pk=case.pk).update(
        opened_at=F("opened_at") - shift,
        released_at=F("released_at") - shift,
    )
    if case.isolation_until:
        CareCase.objects.filter(pk=case.pk).update(
            isolation_until=case.isolation_until - dt.timedelta(days=hours // 24)
        )
    CareTask.objects.filter(case=case).update(
        created_at=F("created_at") - shift,
        due_at=F("due_at") - shift,
        done_at=F("done_at") - shift,
    )


def _checks(case: CareCase, *, skip_today: bool, fever_day: int | None) -> int:
    """A check for every day of the isolation so far (today's left out when asked)."""
    today = clock.today()
    day = care.isolation_began(case)
    last = min(today, case.isolation_until or today)
    made = 0
    while day <= last:
        n = (day - care.isolation_began(case)).days
        if not (day == today and skip_today):
            fever = fever_day is not None and n == fever_day
            care.check_record(
                actor=None,
                case=case,
                day=day,
                temperature="38.3" if fever else f"36.{(case.pk + n) % 8 + 1}",
                symptoms=fever,
            )
            made += 1
        day += dt.timedelta(days=1)
    return made


def load(communities: Sequence[Any], *, seed: int, say: Say) -> None:
    community = next((c for c in communities if c.plan.spec.slug == COMMUNITY), None)
    if community is None:
        return
    path = community.community.path
    entries = list(
        WatchEntry.objects.within(path)
        .filter(status__in=OPEN_STATUSES, person__isnull=False, merged_into__isnull=True)
        .order_by("upstream_list_id", "row_number", "pk")
    )
    used: set[int] = set()
    cases = checks = 0
    plan = iter(PLAN)
    for entry in entries:
        if entry.person_id is None or entry.person_id in used:
            continue
        step_hours = next(plan, None)
        if step_hours is None:
            break
        step, hours = step_hours
        used.add(entry.person_id)
        case = care.case_open_from_entry(actor=None, entry=entry)
        for to in PATHS[step]:
            case = care.case_advance(
                actor=None,
                case=case,
                to_step=to,
                note="复核阴性，解除管控" if to == "released" else "",
            )
        _backdate(case, hours)
        case.refresh_from_db()
        if step == "isolation":
            checks += _checks(
                case, skip_today=hours == 6 * 24, fever_day=2 if hours == 9 * 24 else None
            )
        cases += 1
    audit_record(
        actor=None,
        action="demo.care",
        area_path=path,
        purpose=system_purpose("demo_care", cases=cases),
    )
    say(f"{community.community.name}: {cases} persons on the team's board, {checks} daily checks")


def unload(*, say: Say) -> None:
    from gongzhi.demo.load import _demo_community_paths

    paths = _demo_community_paths()
    if not paths:
        return
    cases = CareCase.objects.within(*paths)
    HealthCheck.objects.filter(case__in=cases).delete()
    CareTask.objects.filter(case__in=cases).delete()
    cases.delete()
    say("Removed the demo's team cases.")
