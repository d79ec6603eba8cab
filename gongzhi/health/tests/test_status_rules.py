"""Status rules as data: each condition with its explanation, first match wins, the
default, and the validation of a rule set (each problem names the rule and the field)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.core import clock
from gongzhi.health import status, status_rules
from gongzhi.health.models import HealthStatus
from gongzhi.health.tests import status_factories as f

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.freeze(NOW):
        yield


def _status(person):
    status.status_refresh([person.pk])
    return HealthStatus.objects.get(person=person)


# --- the default rules, input by input -----------------------------------------------------


def test_nobody_with_inputs_is_green_by_the_default_rule(world):
    row = _status(world.person_a1)
    assert row.color == "green"
    assert row.reasons == [{"rule": "default", "text": "绿码：未发现风险"}]
    assert row.rule_set is None  # the rules in code


def test_a_recent_arrival_without_a_negative_test_is_amber_with_days_and_origin(world):
    f.declaration(world.person_a1, community=world.community_a, origin="湖北省武汉市",
                  arrived_on=clock.today() - dt.timedelta(days=2))  # fmt: skip
    f.watch_entry(world.person_a1, status="closed", outcome="no_action", closed_days_ago=1)
    row = _status(world.person_a1)
    assert row.color == "amber"
    assert row.reasons[0] == {"rule": "arrival", "text": "黄码：7 天内自 湖北省武汉市 返回，待核酸"}


def test_the_same_arrival_with_a_negative_test_is_green(world):
    f.declaration(world.person_a1, community=world.community_a,
                  arrived_on=clock.today() - dt.timedelta(days=2))  # fmt: skip
    f.sample(world.person_a1, hours_ago=20, result="negative")
    assert _status(world.person_a1).color == "green"


def test_an_arrival_older_than_the_window_no_longer_counts(world):
    f.declaration(world.person_a1, community=world.community_a,
                  arrived_on=clock.today() - dt.timedelta(days=8))  # fmt: skip
    assert _status(world.person_a1).color == "green"


def test_a_positive_test_is_red_and_says_when(world):
    f.sample(world.person_a1, hours_ago=30, result="positive")
    row = _status(world.person_a1)
    assert row.color == "red"
    assert row.reasons[0] == {"rule": "positive", "text": "红码：12月5日 检测结果阳性"}


def test_a_negative_after_a_positive_ends_the_red(world):
    f.sample(world.person_a1, hours_ago=72, result="positive")
    f.sample(world.person_a1, hours_ago=5, result="negative")
    assert _status(world.person_a1).color == "green"


def test_declared_symptoms_are_amber(world):
    f.declaration(world.person_a1, community=world.community_a, symptoms=["fever"],
                  arrived_on=clock.today() - dt.timedelta(days=30))  # fmt: skip
    row = _status(world.person_a1)
    assert (row.color, row.reasons[0]["rule"]) == ("amber", "symptoms")
    assert "申报有症状" in row.reasons[0]["text"]


def test_an_open_watch_entry_is_amber(world):
    f.watch_entry(world.person_a1, status="to_verify")
    row = _status(world.person_a1)
    assert (row.color, row.reasons[0]["rule"]) == ("amber", "follow_up")


def test_an_isolation_outcome_is_red_and_names_the_outcome(world):
    f.watch_entry(world.person_a1, status="closed", outcome="home_isolation", closed_days_ago=2)
    row = _status(world.person_a1)
    assert row.color == "red"
    assert row.reasons[0]["rule"] == "isolation"
    assert row.reasons[0]["text"].endswith("中") and "{" not in row.reasons[0]["text"]


def test_a_merged_entry_does_not_count_twice_nor_alone(world):
    kept = f.watch_entry(world.person_a1, status="closed", outcome="no_action", closed_days_ago=1)
    f.watch_entry(world.person_a1, status="to_review", merged_into=kept)
    assert _status(world.person_a1).color == "green"


def test_sharing_a_venue_and_hour_with_a_red_person_is_amber(world):
    place = f.venue(world.building_a1, "玉岭菜市场")
    at = NOW - dt.timedelta(days=1)
    f.checkin(place, world.person_a2, at=at)
    f.checkin(place, world.person_a1, at=at + dt.timedelta(minutes=40))
    f.sample(world.person_a2, hours_ago=3, result="positive")
    status.status_refresh([world.person_a2.pk])  # red: their contacts are refreshed too
    row = HealthStatus.objects.get(person=world.person_a1)
    assert row.color == "amber"
    assert row.reasons[0] == {
        "rule": "contact",
        "text": "黄码：12月5日 与红码人员同时段到过 玉岭菜市场",
    }


def test_a_visit_more_than_an_hour_apart_is_no_contact(world):
    place = f.venue(world.building_a1)
    at = NOW - dt.timedelta(days=1)
    f.checkin(place, world.person_a2, at=at)
    f.checkin(place, world.person_a1, at=at + dt.timedelta(minutes=61))
    f.sample(world.person_a2, hours_ago=3, result="positive")
    status.status_refresh([world.person_a2.pk, world.person_a1.pk])
    assert HealthStatus.objects.get(person=world.person_a1).color == "green"


def test_first_match_wins_and_the_others_still_explain(world):
    f.sample(world.person_a1, hours_ago=3, result="positive")
    f.watch_entry(world.person_a1, status="to_review")
    row = _status(world.person_a1)
    assert row.color == "red"
    assert [r["rule"] for r in row.reasons] == ["positive", "follow_up"]


# --- conditions of the vocabulary not in the default rules ---------------------------------


def _rules(*rules):
    default = {"color": "green", "reason": "绿码", "when": {"condition": "default"}}
    return status_rules.validate([*rules, default])


def _eval(rules, person):
    found = status._load_inputs([person.pk], NOW, 30)
    return status.evaluate(rules, found.get(person.pk) or status.Inputs(), NOW)


def test_a_pending_test_within_its_hours(world):
    rules = _rules({"id": "p", "color": "amber", "reason": "黄码：{sampled_on} 已采样，{hours} 小时内待结果",
                    "when": {"condition": "test_result", "result": "pending", "hours": 24}})  # fmt: skip
    f.sample(world.person_a1, hours_ago=5)
    assert (
        _eval(rules, world.person_a1).reasons[0]["text"] == "黄码：12月6日 已采样，24 小时内待结果"
    )
    f.sample(world.person_a2, hours_ago=30)
    assert _eval(rules, world.person_a2).color == "green"


def test_an_arrival_from_a_listed_origin_only(world):
    rules = _rules({"color": "amber", "reason": "{origin}", "when": {
        "condition": "arrived_within_days", "days": 14, "origins": ["上海"]}})  # fmt: skip
    f.declaration(world.person_a1, community=world.community_a, origin="上海市浦东新区")
    f.declaration(world.person_a2, community=world.community_a, origin="北京市")
    assert _eval(rules, world.person_a1).reasons[0]["text"] == "上海市浦东新区"
    assert _eval(rules, world.person_a2).color == "green"


def test_everyone_without_a_negative_test(world):
    rules = _rules({"color": "amber", "reason": "{days} 天内无阴性", "when": {
        "condition": "test_result", "result": "no_negative", "days": 3}})  # fmt: skip
    assert _eval(rules, world.person_a1).reasons[0]["text"] == "3 天内无阴性"
    f.sample(world.person_a1, hours_ago=48, result="negative")
    assert _eval(rules, world.person_a1).color == "green"


# --- validation ------------------------------------------------------------------------------


def _problems(rules):
    return {(p.rule, p.field, p.code) for p in status_rules.problems_of(rules)}


def test_the_default_rules_are_valid():
    assert status_rules.problems_of(status_rules.DEFAULT_RULES) == []


def test_a_set_without_a_final_default_is_refused():
    rules = copy.deepcopy(status_rules.DEFAULT_RULES[:-1])
    assert _problems(rules) == {(0, "", "no_default")}
    with pytest.raises(ValidationError) as caught:
        status_rules.validate(rules)
    assert "rules" in caught.value.message_dict


def test_a_default_before_the_end_is_refused_naming_the_rule_after_it():
    rules = copy.deepcopy(status_rules.DEFAULT_RULES)
    rules.insert(1, rules[-1])
    problems = _problems(rules)
    assert (3, "", "after_default") in problems


def test_each_problem_names_the_rule_and_the_field():
    rules = [
        {"color": "blue", "reason": "x", "when": {"condition": "moon_phase"}},
        {"color": "amber", "reason": "", "when": {"condition": "contact_of", "days": 0}},
        {"reason": "{days} 天", "when": [{"condition": "arrived_within_days", "days": "7"}]},
        {"color": "red", "reason": "{origin}", "when": {"condition": "contact_of", "days": 3}},
        {"color": "red", "reason": "{venue.__class__}", "when": {"condition": "contact_of", "days": 3}},
        {"color": "green", "reason": "绿码 {days}", "when": {"condition": "default"}},
    ]  # fmt: skip
    assert _problems(rules) == {
        (1, "color", "bad_choice"),
        (1, "when[0].condition", "unknown_condition"),
        (2, "reason", "missing"),
        (2, "when[0].days", "out_of_range"),
        (3, "color", "missing"),
        (3, "when[0].days", "not_a_number"),
        (4, "reason", "unknown_placeholder"),
        (5, "reason", "bad_template"),
        (6, "reason", "unknown_placeholder"),
    }


def test_variant_parameters_are_checked():
    rules = [
        {"color": "amber", "reason": "x", "when": {"condition": "test_result", "result": "pending"}},
        {"color": "amber", "reason": "x", "when": {"condition": "watch_outcome", "state": "closed"}},
        {"color": "amber", "reason": "x", "when": {"condition": "watch_outcome", "state": "closed",
                                                   "outcomes": ["home_party"]}},
        {"color": "amber", "reason": "x", "when": {"condition": "test_result", "result": "maybe"}},
        {"color": "amber", "reason": "x", "when": {"condition": "contact_of", "days": 2, "hours": 3}},
        {"color": "green", "reason": "x", "when": [{"condition": "default"}, {"condition": "default"}]},
    ]  # fmt: skip
    assert _problems(rules) == {
        (1, "when[0].hours", "missing"),
        (2, "when[0].outcomes", "missing"),
        (3, "when[0].outcomes", "bad_choice"),
        (4, "when[0].result", "bad_choice"),
        (5, "when[0].hours", "unknown_field"),
        (6, "when", "default_alone"),
    }


def test_the_messages_name_the_rule_and_the_field_in_chinese():
    from django.utils import translation

    rules = [{"color": "amber", "reason": "x", "when": {"condition": "moon"}}]
    with translation.override("zh-hans"):
        text = [p.message for p in status_rules.problems_of(rules)]
    assert any(m.startswith("第 1 条规则，when[0].condition：") for m in text), text
    assert any("无状态" in m for m in text), text


def test_not_a_list_is_refused():
    assert _problems({"rules": []}) == {(0, "", "not_a_list")}
    assert _problems([]) == {(0, "", "empty")}
