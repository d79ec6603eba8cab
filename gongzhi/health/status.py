"""Health status (健康码): computed from the rules (`status_rules`) over each person's
declarations, tests, watch-list entries and contacts; and the community's rule versions.

- `status_refresh(person_ids)` computes the statuses of a batch and writes one
  `HealthStatus` per person (upsert), in a handful of queries per batch of
  `BATCH` persons whatever the batch holds. Persons who newly turn red have their contacts
  refreshed too (one step: the periodic job catches the rest).
- `rule_set_save(...)` saves a community's new version (never edits one): validated,
  with a reason, audited by its version number only.
- The receiver of `events.health_inputs_changed` refreshes the named persons (after the
  sender's commit); `status_refresh_due_task` is the periodic job for the conditions that
  change with time alone (an arrival gets older, a test goes stale).

The rules in force for a person are the latest version saved on the nearest area above
them (their community, in practice); without one, `status_rules.DEFAULT_RULES`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import Actor
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import clock, scope
from gongzhi.health import status_rules, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import (
    CheckIn,
    Declaration,
    DeclarationStatus,
    HealthStatus,
    Sample,
    SampleResult,
    StatusColor,
    StatusRuleSet,
    WatchEntry,
)
from gongzhi.health.states import OPEN_STATUSES, Outcome
from gongzhi.registry.models import Area, Person

log = logging.getLogger(__name__)

BATCH = 500
SYNC_LIMIT = 50  # a signal naming more persons refreshes them in the worker
REASON_MAX = 300  # StatusRuleSet.reason
CONTACT_WINDOW = dt.timedelta(hours=1)  # "the same hour": check-ins less than this apart
CONTACT_LOOKBACK = dt.timedelta(days=30)  # check-ins are kept 14 days by default


# --- the inputs of one person ------------------------------------------------------------------


@dataclass
class Inputs:
    declarations: list[Declaration] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)  # newest first
    entries: list[WatchEntry] = field(default_factory=list)
    contacts: list[tuple[dt.datetime, str]] = field(default_factory=list)  # (at, venue name)


@dataclass(frozen=True)
class Result:
    color: str
    reasons: list[dict[str, str]]


def _local_date(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _day(value: dt.datetime | dt.date) -> str:
    """A day as a reason says it (the reasons are Chinese text: 12月6日)."""
    if isinstance(value, dt.datetime):
        value = _local_date(value)
    return f"{value.month}月{value.day}日"


def _match(cond: dict[str, Any], inputs: Inputs, now: dt.datetime) -> dict[str, str] | None:
    """The placeholder values when the condition holds for these inputs, else None."""
    name = cond["condition"]
    today = _local_date(now)
    if name == "default":
        return {}
    if name == "arrived_within_days":
        days = cond["days"]
        origins = [o.strip() for o in cond.get("origins") or []]
        for d in sorted(inputs.declarations, key=lambda d: d.arrived_on, reverse=True):
            if not (today - dt.timedelta(days=days) <= d.arrived_on <= today):
                continue
            if origins and not any(o in d.origin for o in origins):
                continue
            return {"days": str(days), "origin": d.origin, "arrived_on": _day(d.arrived_on)}
        return None
    if name == "symptoms_declared":
        days = cond.get("days") or status_rules.DEFAULT_DAYS["symptoms_declared"]
        since = now - dt.timedelta(days=days)
        for d in sorted(inputs.declarations, key=lambda d: d.created_at, reverse=True):
            if d.symptoms and d.created_at >= since:
                return {"days": str(days), "declared_on": _day(d.created_at)}
        return None
    if name == "test_result":
        result = cond["result"]
        latest = inputs.samples[0] if inputs.samples else None
        if result == "positive":
            days = cond.get("days") or status_rules.DEFAULT_DAYS["test_result:positive"]
            if (
                latest is not None
                and latest.result == SampleResult.POSITIVE
                and latest.sampled_at >= now - dt.timedelta(days=days)
            ):
                return {"days": str(days), "sampled_on": _day(latest.sampled_at)}
            return None
        if result == "pending":
            hours = cond["hours"]
            if (
                latest is not None
                and latest.result == SampleResult.PENDING
                and latest.sampled_at >= now - dt.timedelta(hours=hours)
            ):
                return {"hours": str(hours), "sampled_on": _day(latest.sampled_at)}
            return None
        days = cond["days"]  # no_negative
        since = now - dt.timedelta(days=days)
        negative = any(
            s.result == SampleResult.NEGATIVE and s.sampled_at >= since for s in inputs.samples
        )
        return None if negative else {"days": str(days)}
    if name == "watch_outcome":
        if cond["state"] == "open":
            return {} if any(e.status in OPEN_STATUSES for e in inputs.entries) else None
        days = cond.get("days") or status_rules.DEFAULT_DAYS["watch_outcome:closed"]
        since = now - dt.timedelta(days=days)
        closed = [
            e
            for e in inputs.entries
            if e.status not in OPEN_STATUSES and e.closed_at is not None and e.closed_at >= since
        ]
        closed.sort(key=lambda e: e.closed_at or now, reverse=True)
        if closed and closed[0].outcome in cond["outcomes"]:
            return {"days": str(days), "outcome": str(Outcome(closed[0].outcome).label)}
        return None
    if name == "contact_of":
        days = cond["days"]
        since = now - dt.timedelta(days=days)
        recent = sorted((c for c in inputs.contacts if c[0] >= since), reverse=True)
        if recent:
            at, venue = recent[0]
            return {"days": str(days), "venue": venue, "contact_on": _day(at)}
        return None
    raise ValueError(f"unknown condition {name!r}")  # validated rule sets never get here


def evaluate(rules: Sequence[dict[str, Any]], inputs: Inputs, now: dt.datetime) -> Result:
    """The colour of the first rule whose conditions all hold; the reasons of every rule
    that holds (the deciding one first), rendered. Rules are validated: the last is the
    default, so a result always exists."""
    reasons: list[dict[str, str]] = []
    color = ""
    with translation.override(settings.LANGUAGE_CODE):
        for rule in rules:
            values: dict[str, str] = {}
            for cond in rule["when"]:
                found = _match(cond, inputs, now)
                if found is None:
                    break
                for key, value in found.items():
                    values.setdefault(key, value)
            else:
                is_default = rule["when"][0]["condition"] == "default"
                if is_default and reasons:
                    break  # the default explains nothing when another rule holds
                if not color:
                    color = rule["color"]
                reasons.append({"rule": rule["id"], "text": rule["reason"].format_map(values)})
    return Result(color=color, reasons=reasons)


# --- which rules apply -------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesInForce:
    rules: list[dict[str, Any]]
    rule_set: StatusRuleSet | None  # None: the default rules in code


DEFAULT = RulesInForce(rules=status_rules.normalised(status_rules.DEFAULT_RULES), rule_set=None)


def rules_for_paths(paths: Iterable[str]) -> dict[str, RulesInForce]:
    """For each area path: the latest version saved on the nearest node at or above it,
    else the default. One query."""
    chains = {p: scope.ancestors(p, inclusive=True) for p in set(paths)}
    nodes = {node for chain in chains.values() for node in chain}
    latest: dict[str, StatusRuleSet] = {}
    for rs in StatusRuleSet.objects.filter(area_path__in=sorted(nodes)).order_by(
        "area_path", "-version"
    ):
        latest.setdefault(rs.area_path, rs)
    out = {}
    for path, chain in chains.items():
        found = next((latest[n] for n in reversed(chain) if n in latest), None)
        out[path] = RulesInForce(found.rules, found) if found is not None else DEFAULT
    return out


def rules_for_area(area: Area) -> RulesInForce:
    return rules_for_paths([area.path])[area.path]


# --- computing statuses ------------------------------------------------------------------------


def _load_inputs(person_ids: list[int], now: dt.datetime, horizon: int) -> dict[int, Inputs]:
    """Every input of these persons within `horizon` days: four queries (five with contacts)."""
    since = now - dt.timedelta(days=horizon)
    since_day = _local_date(since)
    found: dict[int, Inputs] = defaultdict(Inputs)
    declarations = (
        Declaration.objects.filter(person_id__in=person_ids)
        .exclude(status=DeclarationStatus.REJECTED)
        .filter(Q(arrived_on__gte=since_day) | Q(created_at__gte=since))
        .only("person_id", "arrived_on", "origin", "symptoms", "created_at")
    )
    for d in declarations:
        if d.person_id is not None:
            found[d.person_id].declarations.append(d)
    samples = (
        Sample.objects.filter(person_id__in=person_ids, sampled_at__gte=since)
        .only("person_id", "sampled_at", "result")
        .order_by("person_id", "-sampled_at", "-id")
    )
    for s in samples:
        found[s.person_id].samples.append(s)
    entries = (
        WatchEntry.objects.filter(person_id__in=person_ids, merged_into__isnull=True)
        .filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since))
        .only("person_id", "status", "outcome", "closed_at")
    )
    for e in entries:
        if e.person_id is not None:
            found[e.person_id].entries.append(e)
    own = list(
        CheckIn.objects.filter(person_id__in=person_ids, at__gte=since)
        .select_related("venue")
        .only("person_id", "venue_id", "at", "venue__name")
    )
    if own:
        red = HealthStatus.objects.filter(color=StatusColor.RED).values("person_id")
        theirs: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for venue_id, at, other in CheckIn.objects.filter(
            venue_id__in={c.venue_id for c in own},
            at__gte=since - CONTACT_WINDOW,
            person_id__in=red,
        ).values_list("venue_id", "at", "person_id"):
            theirs[venue_id].append((at, other))
        for c in own:
            if c.person_id is not None and any(
                other != c.person_id and abs(at - c.at) < CONTACT_WINDOW
                for at, other in theirs.get(c.venue_id, ())
            ):
                found[c.person_id].contacts.append((c.at, c.venue.name))
    return found


def compute(person_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict[int, Any]:
    """The status each person would have now (nothing written): person id → (Result,
    RulesInForce, area_path). Persons not in the register are left out."""
    now = now or clock.now()
    ids = sorted(set(person_ids))
    persons = dict(Person.objects.filter(pk__in=ids).values_list("pk", "area_path"))
    in_force = rules_for_paths(persons.values())
    horizon = status_rules.horizon_days(r.rules for r in in_force.values())
    inputs = _load_inputs(list(persons), now, horizon)
    out = {}
    for pk, path in persons.items():
        rules = in_force[path]
        out[pk] = (evaluate(rules.rules, inputs.get(pk) or Inputs(), now), rules, path)
    return out


def status_refresh(person_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Compute and write the statuses of these persons (one row each); the number written.
    Those who newly turn red have their contacts refreshed too."""
    now = now or clock.now()
    ids = sorted(set(person_ids))
    written = 0
    newly_red: set[int] = set()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        written += _refresh_batch(batch, now, newly_red)
    if newly_red:
        contacts = set(_contacts_of(newly_red, now)) - set(ids)
        for start in range(0, len(contacts), BATCH):
            written += _refresh_batch(sorted(contacts)[start : start + BATCH], now, set())
    return written


def _refresh_batch(batch: list[int], now: dt.datetime, newly_red: set[int]) -> int:
    results = compute(batch, now=now)
    was_red = set(
        HealthStatus.objects.filter(person_id__in=batch, color=StatusColor.RED).values_list(
            "person_id", flat=True
        )
    )
    keep_until = sunset.retain_until("status", now)
    rows = [
        HealthStatus(
            person_id=pk,
            area_path=path,
            color=result.color,
            reasons=result.reasons,
            rule_set=rules.rule_set,
            computed_at=now,
            retain_until=keep_until,
        )
        for pk, (result, rules, path) in results.items()
    ]
    with transaction.atomic():
        HealthStatus.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=[
                "area_path",
                "color",
                "reasons",
                "rule_set",
                "computed_at",
                "retain_until",
                "updated_at",
            ],
        )
    newly_red.update(
        r.person_id for r in rows if r.color == StatusColor.RED and r.person_id not in was_red
    )
    return len(rows)


def _contacts_of(person_ids: set[int], now: dt.datetime) -> list[int]:
    """Persons who checked in at a venue within the hour of one of these persons, within the
    last `CONTACT_LOOKBACK`. Two queries."""
    since = now - CONTACT_LOOKBACK
    theirs = list(
        CheckIn.objects.filter(person_id__in=person_ids, at__gte=since).values_list(
            "venue_id", "at"
        )
    )
    if not theirs:
        return []
    q = Q()
    for venue_id, at in theirs:
        q |= Q(venue_id=venue_id, at__gt=at - CONTACT_WINDOW, at__lt=at + CONTACT_WINDOW)
    return list(
        CheckIn.objects.filter(q, person_id__isnull=False)
        .exclude(person_id__in=person_ids)
        .values_list("person_id", flat=True)
        .distinct()
    )


def due_for_refresh(*, now: dt.datetime | None = None) -> list[int]:
    """Persons whose status may change with time alone: every non-green status, the
    recent contacts of red persons (check-ins tell nobody), and everyone with an input
    recent enough for a rule to look at (within the longest look-back of the rules in
    force, at most 30 days)."""
    now = now or clock.now()
    latest: dict[int, list[dict[str, Any]]] = {}
    for area_id, rules in StatusRuleSet.objects.order_by("area_id", "-version").values_list(
        "area_id", "rules"
    ):
        latest.setdefault(area_id, rules)
    in_use = [DEFAULT.rules, *latest.values()]
    horizon = min(status_rules.horizon_days(in_use), 30)
    since = now - dt.timedelta(days=horizon)
    ids: set[int] = set(
        HealthStatus.objects.exclude(color=StatusColor.GREEN).values_list("person_id", flat=True)
    )
    # A check-in sends nothing (the scan is one INSERT): whoever shared a place and hour with
    # a red person since is found here.
    red = set(
        HealthStatus.objects.filter(color=StatusColor.RED).values_list("person_id", flat=True)
    )
    if red:
        ids |= set(_contacts_of(red, now))
    ids |= set(
        Declaration.objects.filter(person_id__isnull=False)
        .filter(Q(arrived_on__gte=_local_date(since)) | Q(created_at__gte=since))
        .values_list("person_id", flat=True)
    )
    ids |= set(Sample.objects.filter(sampled_at__gte=since).values_list("person_id", flat=True))
    ids |= set(
        WatchEntry.objects.filter(person_id__isnull=False)
        .filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since))
        .values_list("person_id", flat=True)
    )
    return sorted(i for i in ids if i is not None)


@task()
def status_refresh_task(person_ids: list[int]) -> dict[str, int]:
    """Refresh the statuses of these persons (safe to run twice)."""
    return {"refreshed": status_refresh(person_ids)}


@task()
def status_refresh_due_task() -> dict[str, int]:
    """Periodic: refresh the statuses that time alone may have changed."""
    return {"refreshed": status_refresh(due_for_refresh())}


def _on_inputs_changed(sender: Any, person_ids: Iterable[int] = (), **kwargs: Any) -> None:
    """Senders call this after their commit: refresh now when few, else in the worker."""
    ids = sorted({int(p) for p in person_ids or () if p is not None})
    if not ids:
        return
    if len(ids) > SYNC_LIMIT:
        status_refresh_task.enqueue(ids)
        return
    try:
        status_refresh(ids)
    except Exception:  # the sender's change is committed; the periodic job catches up
        log.exception("health status refresh failed for %d persons", len(ids))


def connect() -> None:
    health_inputs_changed.connect(_on_inputs_changed, dispatch_uid="health.status_refresh")


# --- the community's rules ---------------------------------------------------------------------


def rule_set_save(*, actor: Actor, community: Area, rules: Any, reason: str) -> StatusRuleSet:
    """Save the community's next version of the rules (never an edit of one), with why;
    audited by version number. Statuses of the community's persons with a status are
    recomputed after the commit."""
    access.require(actor, Perm.HEALTH_RULES, community.path)
    errors: dict[str, list[Any]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the rules change: the reason is kept with the version.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(max)s characters.") % {"max": REASON_MAX}]
    cleaned: list[dict[str, Any]] = []
    try:
        cleaned = status_rules.validate(rules)
    except ValidationError as exc:
        errors["rules"] = exc.error_dict["rules"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=community.pk).first()  # one version at a time
        last = StatusRuleSet.objects.filter(area=community).aggregate(v=Max("version"))["v"] or 0
        rule_set = StatusRuleSet.objects.create(
            area=community,
            area_path=community.path,
            version=last + 1,
            rules=cleaned,
            reason=reason,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="health.rules_save",
            obj=rule_set,
            area_path=community.path,
            purpose=system_purpose("health_rules", version=rule_set.version, rules=len(cleaned)),
        )
        transaction.on_commit(lambda: _refresh_community(community.path))
    return rule_set


def _refresh_community(path: str) -> None:
    ids = list(HealthStatus.objects.within(path).values_list("person_id", flat=True))
    if len(ids) > SYNC_LIMIT:
        status_refresh_task.enqueue(ids)
    elif ids:
        status_refresh(ids)
