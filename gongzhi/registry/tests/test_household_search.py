"""Household search shows which member matched (masked for roles that may not reveal),
and words its result count one way, one page or many."""

import pytest
from django.urls import reverse
from django.utils import translation

from gongzhi.registry import services
from gongzhi.testing import make_id_number


@pytest.fixture
def member(world):
    """李明 lives with 张晓明 (the head) in household_a1: a search for lm finds the
    household by a member who is not its head."""
    return services.person_create(
        actor=None,
        household=world.household_a1,
        data={"name": "李明", "id_number": make_id_number(), "relation": "spouse"},
    )


def _list(client, user, **params):
    client.force_login(user)
    with translation.override("zh-hans"):
        response = client.get(reverse("registry:household_list"), params)
    assert response.status_code == 200
    return response


def test_a_pinyin_search_says_which_member_matched(client, world, member):
    response = _list(client, world.grid_worker_a, q="lm")
    assert list(response.context["page_obj"]) == [world.household_a1]
    assert "匹配：李明（拼音 lm）" in response.content.decode()


def test_a_role_that_may_not_reveal_sees_the_match_masked(client, world, member):
    body = _list(client, world.by_role["party_member"], q="lm").content.decode()
    assert "匹配：李*（拼音 lm）" in body and "李明" not in body


def test_a_chinese_name_search_names_the_member_too(client, world, member):
    body = _list(client, world.grid_worker_a, q="李明").content.decode()
    assert "匹配：李明" in body


def test_the_result_count_is_worded_one_way_on_one_page_or_many(client, world, member, monkeypatch):
    one_page = _list(client, world.secretary).content.decode()
    assert "共 2 户" in one_page
    monkeypatch.setattr("gongzhi.registry.views.households.PAGE_SIZE", 1)
    many = _list(client, world.secretary).content.decode()
    assert "共 2 户" in many and "共 2 条" not in many
