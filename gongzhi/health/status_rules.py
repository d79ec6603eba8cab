"""The health-status rules (健康码) as data: their vocabulary, their validation and the
default rule set.

A rule set is a JSON list evaluated in order; the first rule whose conditions all hold
gives the colour (green / amber / red) and the reason shown with it. Each rule:

    {"id": "arrival", "color": "amber",
     "reason": "黄码：{days} 天内自 {origin} 返回，待核酸",
     "when": [{"condition": "arrived_within_days", "days": 7},
              {"condition": "test_result", "result": "no_negative", "days": 2}]}

`when` is one condition or a list of them (all must hold). The last rule must be the
default (`{"condition": "default"}`, alone): nobody may be left without a status. A reason
may use only the placeholders its conditions fill (`PLACEHOLDERS`); the first condition
that fills a name wins. The vocabulary is closed: `CONDITIONS`.

`DEFAULT_RULES` apply until a community saves its own version (`status.rule_set_save`).
Pure: no database.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.health.models import StatusColor
from gongzhi.health.states import Outcome

MAX_RULES = 50
MAX_REASON = 200
MAX_ID = 40
MAX_ORIGIN = 100
DAYS_RANGE = (1, 365)
HOURS_RANGE = (1, 720)

# condition -> its parameters: name -> (kind, required)
PARAMS: dict[str, dict[str, tuple[str, bool]]] = {
    "arrived_within_days": {"days": ("days", True), "origins": ("origins", False)},
    "symptoms_declared": {"days": ("days", False)},
    "test_result": {
        "result": ("result", True),
        "days": ("days", False),
        "hours": ("hours", False),
    },
    "watch_outcome": {
        "state": ("state", True),
        "outcomes": ("outcomes", False),
        "days": ("days", False),
    },
    "contact_of": {"days": ("days", True)},
    "default": {},
}
CONDITIONS = tuple(PARAMS)
TEST_RESULTS = ("positive", "pending", "no_negative")
WATCH_STATES = ("open", "closed")

# What each condition fills in a reason (for test_result and watch_outcome: per variant).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "arrived_within_days": frozenset({"days", "origin", "arrived_on"}),
    "symptoms_declared": frozenset({"days", "declared_on"}),
    "test_result:positive": frozenset({"days", "sampled_on"}),
    "test_result:pending": frozenset({"hours", "sampled_on"}),
    "test_result:no_negative": frozenset({"days"}),
    "watch_outcome:open": frozenset(),
    "watch_outcome:closed": frozenset({"days", "outcome"}),
    "contact_of": frozenset({"days", "venue", "contact_on"}),
    "default": frozenset(),
}
# Defaults of optional windows (days), so that every condition is bounded in time.
DEFAULT_DAYS = {"symptoms_declared": 14, "test_result:positive": 14, "watch_outcome:closed": 14}


def placeholders_of(condition: dict[str, Any]) -> frozenset[str]:
    name = condition.get("condition")
    variant = {"test_result": "result", "watch_outcome": "state"}.get(str(name))
    key = f"{name}:{condition.get(variant)}" if variant else str(name)
    return PLACEHOLDERS.get(key, frozenset())


DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "id": "positive",
        "color": "red",
        "reason": "红码：{sampled_on} 检测结果阳性",
        "when": [{"condition": "test_result", "result": "positive", "days": 14}],
    },
    {
        "id": "isolation",
        "color": "red",
        "reason": "红码：{outcome}中",
        "when": [
            {
                "condition": "watch_outcome",
                "state": "closed",
                "outcomes": ["central_isolation", "home_isolation"],
                "days": 14,
            }
        ],
    },
    {
        "id": "contact",
        "color": "amber",
        "reason": "黄码：{contact_on} 与红码人员同时段到过 {venue}",
        "when": [{"condition": "contact_of", "days": 14}],
    },
    {
        "id": "symptoms",
        "color": "amber",
        "reason": "黄码：{declared_on} 申报有症状，请尽快检测",
        "when": [{"condition": "symptoms_declared", "days": 14}],
    },
    {
        "id": "arrival",
        "color": "amber",
        "reason": "黄码：{days} 天内自 {origin} 返回，待核酸",
        "when": [
            {"condition": "arrived_within_days", "days": 7},
            {"condition": "test_result", "result": "no_negative", "days": 2},
        ],
    },
    {
        "id": "monitoring",
        "color": "amber",
        "reason": "黄码：{outcome}中",
        "when": [
            {
                "condition": "watch_outcome",
                "state": "closed",
                "outcomes": ["home_monitoring"],
                "days": 7,
            }
        ],
    },
    {
        "id": "follow_up",
        "color": "amber",
        "reason": "黄码：重点人员名单待网格员核实",
        "when": [{"condition": "watch_outcome", "state": "open"}],
    },
    {
        "id": "default",
        "color": "green",
        "reason": "绿码：未发现风险",
        "when": [{"condition": "default"}],
    },
]


# --- validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule set: the rule's number (1-based; 0 = the whole set), the
    field (a JSON path inside the rule), a code and the message."""

    rule: int
    field: str
    code: str
    message: str


def _msg(rule: int, field: str, text: str) -> str:
    if rule == 0:
        return text
    if field:
        return _("Rule %(rule)s, %(field)s: %(problem)s") % {
            "rule": rule,
            "field": field,
            "problem": text,
        }
    return _("Rule %(rule)s: %(problem)s") % {"rule": rule, "problem": text}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, rule: int, field: str, code: str, text: str) -> None:
        self.problems.append(Problem(rule, field, code, _msg(rule, field, text)))

    def number(self, rule: int, field: str, value: Any, bounds: tuple[int, int]) -> None:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(rule, field, "not_a_number", _("must be a whole number."))
        elif not low <= value <= high:
            self.add(
                rule,
                field,
                "out_of_range",
                _("must be between %(low)s and %(high)s.") % {"low": low, "high": high},
            )

    def condition(self, n: int, where: str, cond: Any) -> None:
        if not isinstance(cond, dict):
            self.add(n, where, "not_an_object", _("a condition must be an object."))
            return
        name = cond.get("condition")
        if name not in PARAMS:
            self.add(
                n,
                f"{where}.condition",
                "unknown_condition",
                _("unknown condition “%(value)s”; known: %(known)s.")
                % {"value": str(name)[:40], "known": ", ".join(CONDITIONS)},
            )
            return
        params = PARAMS[name]
        for key in cond:
            if key != "condition" and key not in params:
                self.add(
                    n,
                    f"{where}.{key}",
                    "unknown_field",
                    _("“%(condition)s” takes no “%(key)s”.")
                    % {"condition": name, "key": str(key)[:40]},
                )
        for key, (kind, required) in params.items():
            field = f"{where}.{key}"
            if key not in cond:
                if required:
                    self.add(n, field, "missing", _("is required."))
                continue
            self.param(n, field, kind, cond[key])
        self.variant(n, where, name, cond)

    def param(self, n: int, field: str, kind: str, value: Any) -> None:
        if kind == "days":
            self.number(n, field, value, DAYS_RANGE)
        elif kind == "hours":
            self.number(n, field, value, HOURS_RANGE)
        elif kind == "result" and value not in TEST_RESULTS:
            self.add(
                n,
                field,
                "bad_choice",
                _("must be one of: %(choices)s.") % {"choices": ", ".join(TEST_RESULTS)},
            )
        elif kind == "state" and value not in WATCH_STATES:
            self.add(
                n,
                field,
                "bad_choice",
                _("must be one of: %(choices)s.") % {"choices": ", ".join(WATCH_STATES)},
            )
        elif kind == "origins":
            ok = isinstance(value, list) and all(
                isinstance(o, str) and o.strip() and len(o) <= MAX_ORIGIN for o in value
            )
            if not ok:
                self.add(
                    n,
                    field,
                    "bad_origins",
                    _("must be a list of place names (at most %(max)s characters each).")
                    % {"max": MAX_ORIGIN},
                )
        elif kind == "outcomes":
            known = [o.value for o in Outcome]
            if not isinstance(value, list) or not value or any(o not in known for o in value):
                self.add(
                    n,
                    field,
                    "bad_choice",
                    _("must be a list of outcomes among: %(choices)s.")
                    % {"choices": ", ".join(known)},
                )

    def variant(self, n: int, where: str, name: str, cond: dict[str, Any]) -> None:
        """Parameters that depend on the variant (a test's result, an entry's state)."""
        if name == "test_result":
            result = cond.get("result")
            if result == "pending" and "hours" not in cond:
                self.add(n, f"{where}.hours", "missing", _("is required for a pending test."))
            if result == "no_negative" and "days" not in cond:
                self.add(n, f"{where}.days", "missing", _("is required for “no_negative”."))
            if result in ("positive", "no_negative") and "hours" in cond:
                self.add(n, f"{where}.hours", "unknown_field", _("applies to pending tests only."))
            if result == "pending" and "days" in cond:
                self.add(n, f"{where}.days", "unknown_field", _("use “hours” for a pending test."))
        if name == "watch_outcome":
            state = cond.get("state")
            if state == "closed" and "outcomes" not in cond:
                self.add(n, f"{where}.outcomes", "missing", _("is required for closed entries."))
            if state == "open" and ("outcomes" in cond or "days" in cond):
                field = f"{where}.{'outcomes' if 'outcomes' in cond else 'days'}"
                self.add(n, field, "unknown_field", _("applies to closed entries only."))


def _reason_fields(text: str) -> list[str] | None:
    """The placeholder names in a reason, or None when it is not a plain template (a stray
    brace, a format spec, an attribute)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            return None
        names.append(name)
    return names


def _placeholder_message(name: str, fillable: frozenset[str]) -> str:
    if not fillable:
        return _("the placeholder {%(name)s} cannot be filled: its conditions fill none.") % {
            "name": name
        }
    shown = ", ".join("{" + f + "}" for f in sorted(fillable))
    return _(
        "the placeholder {%(name)s} cannot be filled by its conditions (they fill: %(names)s)."
    ) % {
        "name": name,
        "names": shown,
    }


def problems_of(rules: Any) -> list[Problem]:
    """Everything wrong with a rule set (empty: it may be saved)."""
    check = _Checker()
    if not isinstance(rules, list):
        check.add(0, "", "not_a_list", _("The rules must be a JSON list of rules."))
        return check.problems
    if not rules:
        check.add(0, "", "empty", _("The rule set is empty: add at least the default rule."))
        return check.problems
    if len(rules) > MAX_RULES:
        check.add(0, "", "too_many", _("At most %(max)s rules in a set.") % {"max": MAX_RULES})
        return check.problems
    seen_ids: set[str] = set()
    default_at: int | None = None
    for index, rule in enumerate(rules):
        n = index + 1
        if not isinstance(rule, dict):
            check.add(n, "", "not_an_object", _("a rule must be an object."))
            continue
        for key in rule:
            if key not in ("id", "color", "reason", "when"):
                check.add(n, str(key)[:40], "unknown_field", _("is not a field of a rule."))
        rule_id = rule.get("id", "")
        if not isinstance(rule_id, str) or len(rule_id) > MAX_ID:
            check.add(
                n, "id", "bad_id", _("must be a short text (at most %(max)s).") % {"max": MAX_ID}
            )
        elif rule_id:
            if rule_id in seen_ids:
                check.add(n, "id", "duplicate_id", _("another rule has the same id."))
            seen_ids.add(rule_id)
        color = rule.get("color")
        if not color:
            check.add(n, "color", "missing", _("a colour is required (green, amber or red)."))
        elif color not in StatusColor.values:
            check.add(n, "color", "bad_choice", _("must be green, amber or red."))
        reason = rule.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            check.add(n, "reason", "missing", _("a reason text is required."))
            reason = None
        elif len(reason) > MAX_REASON:
            check.add(
                n,
                "reason",
                "too_long",
                _("at most %(max)s characters.") % {"max": MAX_REASON},
            )
        when = rule.get("when")
        conditions = [when] if isinstance(when, dict) else when
        if not isinstance(conditions, list) or not conditions:
            check.add(n, "when", "missing", _("at least one condition is required."))
            continue
        before = len(check.problems)
        for i, cond in enumerate(conditions):
            check.condition(n, f"when[{i}]", cond)
        names = [c.get("condition") for c in conditions if isinstance(c, dict)]
        if "default" in names:
            if len(conditions) > 1:
                check.add(n, "when", "default_alone", _("the default condition stands alone."))
            if default_at is None:
                default_at = n
        if reason is not None and len(check.problems) == before:
            fields = _reason_fields(reason)
            if fields is None:
                check.add(
                    n,
                    "reason",
                    "bad_template",
                    _("use placeholders as {name} only, braces nowhere else."),
                )
            else:
                fillable = frozenset().union(*(placeholders_of(c) for c in conditions))
                for name in fields:
                    if name not in fillable:
                        check.add(
                            n,
                            "reason",
                            "unknown_placeholder",
                            _placeholder_message(name, fillable),
                        )
    if default_at is None or default_at != len(rules):
        if default_at is not None and default_at < len(rules):
            check.add(
                default_at + 1,
                "",
                "after_default",
                _("no rule after the default can ever apply; the default must be last."),
            )
        else:
            check.add(
                0,
                "",
                "no_default",
                _(
                    'The last rule must be the default ({"condition": "default"}): '
                    "otherwise someone could be left with no status."
                ),
            )
    return check.problems


def validate(rules: Any) -> list[dict[str, Any]]:
    """The rules, each `when` as a list; or a ValidationError on `rules` listing every
    problem (each naming the rule's number and the field)."""
    problems = problems_of(rules)
    if problems:
        raise ValidationError(
            {
                "rules": [
                    ValidationError(
                        p.message, code=p.code, params={"rule": p.rule, "field": p.field}
                    )
                    for p in problems
                ]
            }
        )
    return normalised(rules)


def normalised(rules: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for index, rule in enumerate(rules):
        when = rule["when"]
        out.append(
            {
                "id": rule.get("id") or f"rule{index + 1}",
                "color": rule["color"],
                "reason": rule["reason"].strip(),
                "when": [dict(c) for c in ([when] if isinstance(when, dict) else when)],
            }
        )
    return out


def horizon_days(rule_sets: Iterable[list[dict[str, Any]]]) -> int:
    """The longest look-back (days) any condition of these rule sets needs."""
    longest = 1
    for rules in rule_sets:
        for rule in rules:
            for cond in rule["when"]:
                key = f"{cond['condition']}:{cond.get('result') or cond.get('state')}"
                days = (
                    cond.get("days")
                    or DEFAULT_DAYS.get(key)
                    or DEFAULT_DAYS.get(cond["condition"], 0)
                )
                hours = cond.get("hours") or 0
                longest = max(longest, int(days), -(-int(hours) // 24))
    return longest
