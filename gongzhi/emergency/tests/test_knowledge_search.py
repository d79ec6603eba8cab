"""Searching the knowledge base in Chinese: trigrams (FTS5 on SQLite, pg_trgm on
PostgreSQL), the 1-2 character fallback, punctuation refused, the scope before the limit.
Run on both databases: `DATABASE_URL=postgres://… pytest gongzhi/emergency/tests/test_knowledge_search.py`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.emergency import knowledge
from gongzhi.emergency.tests.lesson_fixtures import other_street_community, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons(world):
    far = other_street_community(world)
    return {
        "home": write(
            world.community_a,
            title="疫情封控复盘",
            body="独居老人在居家隔离期间缺药，网格员三天后才发现。",
            tags="独居 药品",
        ),
        "fire": write(
            world.community_a, title="消防演练", body="楼道堆物堵住了疏散通道。", kind="fire"
        ),
        "b_private": write(world.community_b, title="江边隔离点", body="隔离点床位不足。"),
        "b_shared": write(
            world.community_b,
            title="江边物资",
            body="物资靠微信群接龙，居家隔离户漏送。",
            shared=True,
        ),
        "far": write(far, title="南海隔离经验", body="居家隔离的老人无人照看。", shared=True),
    }


def _titles(rows):
    return {r.title for r in rows}


def test_a_four_character_word_inside_the_body_is_found(world, lessons):
    rows = knowledge.lesson_search(world.secretary, "居家隔离")
    assert _titles(rows) == {"疫情封控复盘", "江边物资"}


def test_a_word_of_the_title_ranks_first(world, lessons):
    write(world.community_a, title="居家隔离送药", body="药品清单提前备好。")
    rows = knowledge.lesson_search(world.secretary, "居家隔离")
    assert rows[0].title == "居家隔离送药"


def test_two_characters_fall_back_to_like(world, lessons):
    rows = knowledge.lesson_search(world.secretary, "隔离")
    assert _titles(rows) == {"疫情封控复盘", "江边物资"}


def test_one_character_is_searched_too(world, lessons):
    assert _titles(knowledge.lesson_search(world.secretary, "药")) == {"疫情封控复盘"}


def test_every_word_must_be_there(world, lessons):
    assert _titles(knowledge.lesson_search(world.secretary, "居家隔离 微信群")) == {"江边物资"}


def test_tags_are_searched(world, lessons):
    write(world.community_a, title="台风", body="转移群众", tags="防汛物资清单")
    assert _titles(knowledge.lesson_search(world.secretary, "物资清单")) == {"台风"}


def test_kind_narrows(world, lessons):
    rows = knowledge.lesson_search(world.secretary, "通道", kind="fire")
    assert _titles(rows) == {"消防演练"}
    assert knowledge.lesson_search(world.secretary, "疏散通道", kind="epidemic") == []


@pytest.mark.parametrize("query", ["", "   ", "？！。，", "... ---", "（）【】"])
def test_only_punctuation_is_refused_naming_q(world, lessons, query):
    with pytest.raises(ValidationError) as exc:
        knowledge.lesson_search(world.secretary, query)
    assert "q" in exc.value.message_dict


def test_another_streets_lesson_is_never_found_even_shared(world, lessons):
    for query in ("居家隔离", "隔离", "南海隔离经验"):
        assert "南海隔离经验" not in _titles(knowledge.lesson_search(world.secretary, query))


def test_another_communitys_unshared_lesson_is_not_found(world, lessons):
    assert "江边隔离点" not in _titles(knowledge.lesson_search(world.secretary, "隔离点"))
    assert "江边隔离点" not in _titles(knowledge.lesson_search(world.secretary, "隔离"))


def test_the_street_officer_finds_all_of_the_street(world, lessons):
    officer = world.by_role[Role.STREET_OFFICER]
    assert _titles(knowledge.lesson_search(officer, "隔离")) == {
        "疫情封控复盘",
        "江边隔离点",
        "江边物资",
    }


def test_the_grid_worker_finds_the_communitys_lessons(world, lessons):
    rows = knowledge.lesson_search(world.grid_worker_a, "居家隔离")
    assert _titles(rows) == {"疫情封控复盘", "江边物资"}


def test_a_resident_finds_nothing(world, lessons):
    assert knowledge.lesson_search(world.resident, "居家隔离") == []


def test_the_snippet_marks_the_hit_and_escapes_the_rest(world):
    write(world.community_a, title="标记", body="<b>注意</b> 居家隔离 的人")
    (row,) = knowledge.lesson_search(world.secretary, "居家隔离")
    assert "<mark>居家隔离</mark>" in row.snippet
    assert "&lt;b&gt;" in row.snippet and "<b>" not in row.snippet


def test_the_scope_applies_before_the_limit(world, lessons, monkeypatch):
    monkeypatch.setattr(knowledge, "SEARCH_LIMIT", 2)
    for n in range(4):
        write(world.community_b, title=f"江边居家隔离{n}", body="居家隔离")
    rows = knowledge.lesson_search(world.secretary, "居家隔离")
    assert len(rows) == 2 and all(r.area_path == world.community_a.path or r.shared for r in rows)
    assert _titles(rows) == {"疫情封控复盘", "江边物资"}


def test_an_edit_is_searchable_at_once_and_the_old_text_is_gone(world, lessons):
    lesson = lessons["fire"]
    knowledge.lesson_edit(
        actor=None, lesson=lesson, kind="fire", title="消防演练", body="灭火器过期。"
    )
    assert _titles(knowledge.lesson_search(world.secretary, "灭火器过期")) == {"消防演练"}
    assert knowledge.lesson_search(world.secretary, "疏散通道") == []


def test_a_deleted_lesson_is_not_found(world, lessons):
    lessons["home"].delete()
    assert _titles(knowledge.lesson_search(world.secretary, "居家隔离")) == {"江边物资"}


def test_latin_words_match_whatever_the_case(world):
    write(world.community_a, title="WeChat 接龙", body="Use the WeChat group.")
    assert _titles(knowledge.lesson_search(world.secretary, "wechat")) == {"WeChat 接龙"}
